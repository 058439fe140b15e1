// TLS: which interpreter the device runs, what it trusts, and what a failed handshake means.
// Any transport (Espruino's http client, or one over require("tls").connect) takes the same
// options from tlsOptions(): both reach ssl_newSocketData in libs/network/network.c.
//
// Two interpreters (README, "Security notes"):
// - Espruino 2v29 as released sends the constant server name "mbed TLS Server 1" and verifies
//   no certificate, `ca` or not. Edges that route by server name (Auth0's, Cloudflare's) refuse
//   it: the request fails with {code -15 "no response"} (or -8 "unsent data" while the server
//   keeps the connection open) and an uncaught "mbedtls_ssl_handshake returned ..." on the console.
// - The codepair image (tools/espruino/patches/codepair) says so in process.env.TLS_VERIFY,
//   sends the host's name and, given `ca`, refuses a server that does not chain to it or is
//   for another host, before sending anything. Its 'error' codes: -13 handshake refused, -16
//   certificate not trusted, -17 certificate for another host, -2 out of memory; a connection
//   whose buffers cannot be had throws "mbedtls_ssl_setup: Not enough memory" from end().

// Espruino's process (module-local: the host project's Node types declare another)
declare const process: { env: { [name: string]: unknown } };

/** True on an interpreter that names the server and verifies it against `ca`: the codepair image. */
export function canVerify(): boolean {
  const env = process.env as { TLS_VERIFY?: boolean };
  return env.TLS_VERIFY === true;
}

/**
 * The trust set when the config names no `ca`: the roots the supported providers' chains end
 * at (build.mjs names them, from Node's copy of Mozilla's root store), as DER certificates one
 * after another. Made at each call: the text stays in flash with the code until needed.
 */
export function defaultRoots(): string {
  return atob(__TRUST_ROOTS__);
}

/**
 * The TLS options of a connection to `host` trusting `ca` (DER certificates, or a function the
 * interpreter calls for them; "" trusts nothing).
 */
export function tlsOptions(host: string, ca: string | (() => string)): { host: string; ca?: string | (() => string) } {
  const o: { host: string; ca?: string | (() => string) } = { host: host };
  if (ca) o.ca = ca;
  return o;
}

/**
 * What a failed request says about TLS: "tls refused" (the server refused the handshake: its
 * name or suites), "tls untrusted", "tls host" (a trusted certificate for another host),
 * "memory", or "" (not a TLS failure). `code` is the 'error' event's; `https`: it was one.
 */
export function tlsFailureOf(code: number, https: boolean): string {
  if (!https) return "";
  if (code === -13) return "tls refused";
  if (code === -16) return "tls untrusted";
  if (code === -17) return "tls host";
  if (code === -2) return "memory";
  // 2v29 reports a failed handshake as the connection's end: "unsent data" (-8) while the
  // server keeps the connection open after its alert, "no response" (-15) once it closed it
  // (as edges do); a server that closes an https connection unanswered reads the same
  if ((code === -8 || code === -15) && !canVerify()) return "tls refused";
  return "";
}

/** What end() threw, as a failure: "memory" when the connection's buffers could not be had. */
export function thrownFailureOf(e: any): string {
  return /Not enough memory/.test(String(e && e.message)) ? "memory" : "";
}

/** The screen's words for a TLS failure (see tlsFailureOf), or null when `error` is none. */
export function tlsTrouble(error: string): { reason: string; hint: string } | null {
  if (error === "tls refused") {
    return canVerify()
      ? { reason: "Server refused the secure connection", hint: "Check the URL; press to retry" }
      : { reason: "Server refused this Espruino (no server name)", hint: "Flash the codepair image" };
  }
  if (error === "tls untrusted") return { reason: "Server certificate not trusted", hint: "Check ca in the config" };
  if (error === "tls host") return { reason: "Certificate is for another host", hint: "Check the URL and ca" };
  if (error === "memory") return { reason: "Out of memory for a secure connection", hint: "Press to retry" };
  return null;
}
