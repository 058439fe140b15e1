// The codepair image's default trust set (used when the config names no `ca`): a few public
// roots, taken by name from Node's copy of Mozilla's root store at build time (nothing of them
// is committed). The firmware gets them as __TRUST_ROOTS__ (base64 of the DER certificates one
// after another); the config's `ca` replaces them, without reflashing anything but the config.
//
// Why these (README, "Security notes"): the supported providers sit behind CDNs and managed
// certificates whose chains end at these CAs: Cloudflare (Simkl's API; Auth0's edge) issues from
// Let's Encrypt (ISRG), Google Trust Services and Sectigo; Amazon CloudFront (Kinde) from Amazon's
// roots; DigiCert serves much of the rest. Each root costs heap at every handshake (mbedTLS parses
// the trust set per connection): bench/tls.ts measures it. A root per CA family, RSA and ECDSA
// where the CA has both, so that a CA switching its chains between them still verifies.
import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";

/** Subject common names of the roots, as in Mozilla's store. */
export const TRUST_ROOTS = [
  "ISRG Root X1",
  "ISRG Root X2",
  "GTS Root R1",
  "GTS Root R4",
  "Amazon Root CA 1",
  "Amazon Root CA 3",
  "DigiCert Global Root G2",
  "USERTrust RSA Certification Authority",
];

/** The roots' DER, one after another, as base64; throws if Node's store lacks one. */
export function trustRootsBase64() {
  /** @type {Buffer[]} */
  const ders = [];
  for (const name of TRUST_ROOTS) {
    const pem = rootCertificates.find((p) => new X509Certificate(p).subject.split("\n").includes("CN=" + name));
    if (!pem) throw new Error(`trust root "${name}" is not in this Node's root store`);
    ders.push(new X509Certificate(pem).raw);
  }
  return Buffer.concat(ders).toString("base64");
}
