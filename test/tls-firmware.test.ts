// The firmware's TLS pieces on their own: the config's `ca` (one PEM text with several
// certificates, or a list), the default trust set, and what a failed request means.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkConfig, dersOf } from "../firmware/store/config.ts";
import { defaultRoots, tlsFailureOf, tlsTrouble } from "../firmware/net/tls.ts";
import { makeTestCa } from "../host-sim/tls-certs.ts";
import { TRUST_ROOTS } from "../tools/trust-roots.mjs";

describe("ca in the config", () => {
  const a = makeTestCa("first");
  const b = makeTestCa("second");
  const base = { wifi: { ssid: "lab" }, clientId: "x" };

  it("a PEM text with two certificates becomes both DERs, in order; a list does the same", () => {
    expect(dersOf(a.cert + "\n" + b.cert)).toBe(a.der + b.der);
    expect(checkConfig({ ...base, ca: a.cert + b.cert }).config.ca).toBe(a.der + b.der);
    expect(checkConfig({ ...base, ca: [b.cert, a.cert] }).config.ca).toBe(b.der + a.der);
  });

  it("a broken block, or something else than text, is a problem naming ca", () => {
    const broken = a.cert + "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
    expect(dersOf(broken)).toBe("");
    expect(checkConfig({ ...base, ca: broken }).problems).toEqual(["ca not a PEM certificate"]);
    expect(checkConfig({ ...base, ca: [a.cert, 7] }).problems).toEqual(["ca must be PEM text or a list of it"]);
    expect(checkConfig({ ...base, ca: "" }).config.ca).toBe("");
  });
});

describe("the default trust set", () => {
  it("is the named roots, each a certificate authority, one after another", () => {
    let der = Buffer.from(defaultRoots(), "latin1");
    const names: string[] = [];
    while (der.length) {
      // a SEQUENCE with a two-byte length (every root here is 256..65535 bytes)
      expect(der[0]).toBe(0x30);
      expect(der[1]).toBe(0x82);
      const len = 4 + der.readUInt16BE(2);
      const cert = new X509Certificate(der.subarray(0, len));
      expect(cert.ca).toBe(true);
      names.push(cert.subject.split("\n").find((l) => l.startsWith("CN="))!.slice(3));
      der = der.subarray(len);
    }
    expect(names).toEqual(TRUST_ROOTS);
  });
});

describe("a failed request's meaning", () => {
  it("the codepair image's codes over https; nothing over http", () => {
    expect(tlsFailureOf(-13, true)).toBe("tls refused");
    expect(tlsFailureOf(-16, true)).toBe("tls untrusted");
    expect(tlsFailureOf(-17, true)).toBe("tls host");
    expect(tlsFailureOf(-2, true)).toBe("memory");
    expect(tlsFailureOf(-9, true)).toBe("");
    expect(tlsFailureOf(-13, false)).toBe("");
    // 2v29 (no TLS_VERIFY here, in Node): the handshake failed before the request went out
    expect(tlsFailureOf(-8, true)).toBe("tls refused");
    expect(tlsFailureOf(-15, true)).toBe("tls refused");
    expect(tlsFailureOf(-15, false)).toBe("");
    expect(tlsTrouble("tls refused")).toEqual({ reason: "Server refused this Espruino (no server name)", hint: "Flash the codepair image" });
    expect(tlsTrouble("dropped")).toBe(null);
  });
});
