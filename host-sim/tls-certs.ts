// Test certificates made at run time with the openssl command line (Node can check
// certificates but not sign them): a CA, and server certificates it signs. Nothing here is
// ever written to the repository; the keys live in a temporary directory only while openssl
// runs, then in memory.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa {
  /** the CA's certificate, PEM */
  cert: string;
  /** its DER bytes as a byte string (what the device's `ca` option takes) */
  der: string;
  key: string;
  name: string;
}

export interface ServerCert {
  cert: string;
  key: string;
  /** the host names it is for (subjectAltName DNS) */
  names: string[];
}

function inTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "codepair-certs-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** The DER bytes of the first certificate of a PEM text, as a byte string. */
export function derOfPem(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error("not a PEM certificate");
  return Buffer.from(m[1].replace(/\s+/g, ""), "base64").toString("latin1");
}

/** A new CA (RSA 2048, valid 2 days) named `name`. */
export function makeTestCa(name: string): TestCa {
  return inTempDir((dir) => {
    openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      "-keyout", "ca.key", "-out", "ca.pem"]);
    const cert = readFileSync(join(dir, "ca.pem"), "utf8");
    return { cert, der: derOfPem(cert), key: readFileSync(join(dir, "ca.key"), "utf8"), name };
  });
}

/** A server certificate for `names` signed by `ca`: RSA 2048, or ECDSA P-256 with `ec`. */
export function issueServerCert(ca: TestCa, names: string[], opts: { ec?: boolean } = {}): ServerCert {
  return inTempDir((dir) => {
    writeFileSync(join(dir, "ca.pem"), ca.cert);
    writeFileSync(join(dir, "ca.key"), ca.key, { mode: 0o600 });
    writeFileSync(join(dir, "ext"), "subjectAltName=" + names.map((n) => "DNS:" + n).join(",") + "\nextendedKeyUsage=serverAuth\n");
    if (opts.ec) openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "srv.key"]);
    else openssl(dir, ["genrsa", "-out", "srv.key", "2048"]);
    openssl(dir, ["req", "-new", "-key", "srv.key", "-subj", "/CN=" + names[0], "-out", "srv.csr"]);
    openssl(dir, ["x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
      "-extfile", "ext", "-out", "srv.pem"]);
    return { cert: readFileSync(join(dir, "srv.pem"), "utf8"), key: readFileSync(join(dir, "srv.key"), "utf8"), names };
  });
}
