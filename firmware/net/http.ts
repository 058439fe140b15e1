// HTTP for the pairing flow, over Espruino's http client. What the device's client lacks is
// added here, once: a timeout of our own (it has none, nor any way to abort: a late reply is
// ignored); the throw from write()/end() when a socket cannot be made (refused, unknown host)
// turned into the same failure as a timeout; the body streamed into the JSON reader, whose
// byte limit caps what a reply may cost; plain http:// refused except to loopback; the
// config's CA certificate passed as `ca` (DER: the device cannot parse PEM).
//
// Measured on 2v29 (test/http-real.test.ts): statusCode is a String; 'data' brings at most
// 536 bytes at a time, then 'end' and close(hadError) always come; the response never gets
// 'error'; over HTTPS the request can get 'error' (mbedtls' close-notify) after a complete
// body, so a request error counts only before the response began. TLS on 2v29 verifies no
// certificate whatever `ca` says (libs/network/network.c: MBEDTLS_SSL_VERIFY_NONE).
import { createJsonReader, type JsonResult } from "../json/reader";
import { VERSION } from "../version";
import { formEncode, isLoopback, parseUrl } from "./url";

export interface HttpRequest {
  method: string;
  url: string;
  /** Sent besides Accept and User-Agent (simkl-api-key, Authorization). */
  headers?: { [name: string]: string };
  /** A form body (application/x-www-form-urlencoded). */
  form?: { [name: string]: string };
  /** Members of the JSON reply to keep (see json/reader.ts). */
  wanted: string[];
}

export interface HttpOptions {
  /** PEM of the CA that signed the servers' certificates. */
  ca?: string;
  /** ms. Default 15000. */
  timeout?: number;
}

/**
 * `status` 0: no reply came; `error` says why ("timeout", "connect", "dropped", "refused
 * http://", "bad URL"). Otherwise the status, the reply's `Retry-After` in seconds (-1 when
 * absent or a date), and the body as the JSON reader read it.
 */
export interface HttpReply {
  status: number;
  error: string;
  retryAfter: number;
  body: JsonResult | null;
}

export const USER_AGENT = "codepair/" + VERSION;

function noReply(error: string): HttpReply {
  return { status: 0, error: error, retryAfter: -1, body: null };
}

/** A header's value whatever its case, or "". */
function header(headers: { [name: string]: string } | undefined, name: string): string {
  if (!headers) return "";
  const names = Object.keys(headers);
  for (let k = 0; k < names.length; k++) if (names[k].toLowerCase() === name) return String(headers[names[k]]);
  return "";
}

/**
 * Delta-seconds of Retry-After (RFC 9110 §10.2.3); an HTTP-date needs a wall clock we lack.
 * More than 9 digits reads as 999999999: the device's parseInt wraps past 2^63 and throws
 * ("String too big to convert to number") on some 70 digits.
 */
export function retryAfterOf(value: string): number {
  const v = value.trim();
  if (!/^[0-9]+$/.test(v)) return -1;
  return v.length > 9 ? 999999999 : parseInt(v, 10);
}

/** Makes the request; `done` is called once, later (never from inside this call). */
export function request(r: HttpRequest, options: HttpOptions, done: (reply: HttpReply) => void): void {
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finish = (reply: HttpReply): void => {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    done(reply);
  };
  const later = (error: string): void => {
    setTimeout(() => finish(noReply(error)), 0);
  };
  const u = parseUrl(r.url);
  if (!u) return later("bad URL");
  if (!u.https && !isLoopback(u.host)) return later("refused http://");
  const headers: { [name: string]: string } = { Accept: "application/json" };
  const extra = r.headers || {};
  const names = Object.keys(extra);
  for (let k = 0; k < names.length; k++) {
    // a CR, LF or NUL would end the header and start lines of someone else's choosing
    if (/[\r\n\0]/.test(names[k] + extra[names[k]])) return later("bad request");
    headers[names[k]] = extra[names[k]];
  }
  const body = r.form ? formEncode(r.form) : "";
  if (r.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    headers["Content-Length"] = String(body.length);
  }
  const opts: { host: string; port: number; path: string; method: string; protocol: string; headers: { [name: string]: string }; ca?: string } = {
    host: u.host,
    port: u.port,
    // 2v29 writes "<method> <path> HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\n" itself
    // (socketserver.c), so a User-Agent among the headers would come second, where servers
    // that keep one (Node, nginx, Go) ignore it. The path ends the request line with ours
    // and a header that takes the rest of the device's line: its User-Agent comes second.
    path: u.path + " HTTP/1.1\r\nUser-Agent: " + USER_AGENT + "\r\nX-Request-Line:",
    method: r.method,
    protocol: u.https ? "https:" : "http:",
    headers: headers,
  };
  if (u.https && options.ca) opts.ca = options.ca;
  let answered = false;
  timer = setTimeout(() => {
    timer = undefined;
    finish(noReply("timeout"));
  }, options.timeout || 15000);
  try {
    const req = (require("http") as HttpModule).request(opts, (res: HttpClientResponse) => {
      answered = true;
      const status = parseInt(res.statusCode, 10) || 0;
      const reader = createJsonReader(r.wanted);
      const reply = (): void => {
        finish({ status: status, error: "", retryAfter: retryAfterOf(header(res.headers, "retry-after")), body: reader.end() });
      };
      // the reader refuses more (broken, or past its byte limit): the answer is known now
      res.on("data", (chunk: string) => {
        if (!finished && !reader.write(chunk)) reply();
      });
      res.on("close", reply);
    });
    // before a reply: the connection failed or was dropped; after: the body decides
    req.on("error", () => {
      if (!answered) finish(noReply("dropped"));
    });
    if (body) req.write(body);
    req.end();
  } catch (e) {
    // Espruino throws at once when it cannot make the socket: the same failure, later
    later("connect");
  }
}
