// HTTP/1.1 for the pairing flow, spoken by the firmware itself over Espruino's `net` and `tls`
// sockets (RFC 9112), not through its `http` module. 2v29's http client keeps every header of
// a reply until the blank line (150 header lines of 1000 bytes ran the ESP32-like interpreter
// out of memory, and its OUT OF MEMORY cannot be caught), and gives JavaScript no way to close
// a request it has given up on (each time-out left its socket open and ~212 JsVars in use).
// Here the status line and headers are read with a byte cap (MAX_HEAD) and only the three
// headers the flow uses are kept; a request given up on is closed (socket.end()); the
// request is written whole by us, with our own User-Agent, once.
//
// Also here, once: a timeout (sockets have none); the throw from connect() when a socket
// cannot be made (refused, unknown host) turned into the same failure as a timeout; the body
// (by Content-Length, chunked, or to the close) streamed into the JSON reader, whose byte
// limit caps what a reply may cost; plain http:// refused except to loopback; no header value
// with CR, LF or NUL; the config's CA certificate passed as `ca` (DER).
//
// Measured on 2v29 (test/http-real.test.ts, test/net-socket-real.test.ts): connect() throws
// InternalError "Unable to create socket" on a refused port and "Unable to locate host" for
// an unknown name; 'data' brings at most 536 bytes at a time; 'end' then 'close' end every
// socket, after 'error' when there was one; end() with nothing left to send closes the socket
// at the next idle pass. Over TLS a close_notify can come as 'error' after a complete body, so
// an error counts only before the reply's head. TLS on 2v29 verifies no certificate whatever
// `ca` says (libs/network/network.c: MBEDTLS_SSL_VERIFY_NONE); the codepair image does, and a
// failed handshake is told apart (net/tls.ts: "tls refused", "tls untrusted", "tls host",
// "memory"), as is a connection whose TLS buffers could not be had ("memory").
import { createJsonReader, type JsonReader, type JsonResult } from "../json/reader";
import { VERSION } from "../version";
import { tlsFailureOf, tlsOptions, thrownFailureOf } from "./tls";
import { formEncode, isLoopback, parseUrl, type Url } from "./url";

export interface HttpRequest {
  method: string;
  url: string;
  /** Sent besides Host, User-Agent, Accept and Connection (simkl-api-key, Authorization). */
  headers?: { [name: string]: string };
  /** A form body (application/x-www-form-urlencoded). */
  form?: { [name: string]: string };
  /** Members of the JSON reply to keep (see json/reader.ts). */
  wanted: string[];
}

export interface HttpOptions {
  /**
   * The trust set: DER certificates one after another, or a function that returns them (called
   * for each connection); "" or none: nothing is verified.
   */
  ca?: string | (() => string);
  /** ms. Default 15000. */
  timeout?: number;
}

/**
 * `status` 0: no reply came; `error` says why ("timeout", "connect", "dropped", "refused
 * http://", "bad URL", "bad request", "bad reply", or a TLS failure: "tls refused", "tls
 * untrusted", "tls host", "memory"). Otherwise the status, the reply's
 * `Retry-After` in seconds (-1 when absent or a date), and the body as the JSON reader read it.
 */
export interface HttpReply {
  status: number;
  error: string;
  retryAfter: number;
  body: JsonResult | null;
}

export const USER_AGENT = "codepair/" + VERSION;

/**
 * Most bytes of a reply's status line and headers (before its blank line). A provider's head
 * is well under 2 KB (Auth0's, with its security headers and cookies, about 1.5 KB); past this
 * the reply is broken, and the socket is closed.
 */
export const MAX_HEAD = 8192;

function noReply(error: string): HttpReply {
  return { status: 0, error: error, retryAfter: -1, body: null };
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

/** What connect() is given: host and port, and for https the CA (DER) when there is one. */
export function socketOptions(u: Url, options: HttpOptions): { host: string; port: number; ca?: string | (() => string) } {
  const t = tlsOptions(u.host, u.https ? options.ca || "" : "");
  const o: { host: string; port: number; ca?: string | (() => string) } = { host: t.host, port: u.port };
  if (t.ca) o.ca = t.ca;
  return o;
}

/** The request's bytes (RFC 9112 §3), or "" when a header would carry CR, LF or NUL. */
function requestText(r: HttpRequest, u: Url): string {
  const body = r.form ? formEncode(r.form) : "";
  // RFC 9110 §7.2: the port is left out when it is the scheme's default
  let text = r.method + " " + u.path + " HTTP/1.1\r\nHost: " + u.host + (u.port === (u.https ? 443 : 80) ? "" : ":" + u.port);
  text += "\r\nUser-Agent: " + USER_AGENT + "\r\nAccept: application/json\r\nConnection: close\r\n";
  const extra = r.headers || {};
  const names = Object.keys(extra);
  for (let k = 0; k < names.length; k++) {
    // a CR, LF or NUL would end the header and start lines of someone else's choosing
    if (/[\r\n\0:]/.test(names[k]) || /[\r\n\0]/.test(extra[names[k]])) return "";
    text += names[k] + ": " + extra[names[k]] + "\r\n";
  }
  if (r.form) text += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length + "\r\n";
  return text + "\r\n" + body;
}

/**
 * Reads a reply as its bytes come: the head (at most MAX_HEAD bytes), then the body by
 * Content-Length, chunked transfer coding (RFC 9112 §7.1) or the close, into the JSON reader.
 * `write` returns false once the answer is known (complete, broken or refused).
 */
interface ReplyReader {
  write(data: string): boolean;
  end(why: string): HttpReply;
}

function createReplyReader(wanted: string[]): ReplyReader {
  /** The body's JSON reader: made once the head is in (not held while the head is awaited). */
  let reader: JsonReader = null as unknown as JsonReader;
  /** The head's line being read: the head is read line by line as it comes, never kept whole. */
  let headLine = "";
  /** Bytes of the head read so far. */
  let headBytes = 0;
  let inHead = true;
  let status = 0;
  let retryAfter = -1;
  /** Body bytes still to come by Content-Length; -1: to the close. */
  let left = -1;
  let chunked = false;
  /** Chunked: bytes left of the current chunk, -1 while its size line is read, -2 its CRLF. */
  let chunk = -1;
  let line = "";
  let broken = "";

  function dechunk(data: string): boolean {
    let at = 0;
    while (at < data.length) {
      if (chunk === -1) {
        const eol = data.indexOf("\n", at);
        line += data.substr(at, eol < 0 ? data.length - at : eol - at);
        if (line.length > 64) return fail();
        if (eol < 0) return true;
        at = eol + 1;
        const size = /^[0-9a-fA-F]+/.exec(line.trim());
        line = "";
        if (!size || size[0].length > 6) return fail();
        chunk = parseInt(size[0], 16);
        // the last chunk: the body is whole (trailers are not read)
        if (!chunk) return false;
      } else if (chunk === -2) {
        // the CRLF after a chunk's data
        const eol = data.indexOf("\n", at);
        if (eol < 0) return true;
        at = eol + 1;
        chunk = -1;
      } else {
        const piece = data.substr(at, chunk);
        at += piece.length;
        chunk -= piece.length;
        if (!chunk) chunk = -2;
        if (!reader.write(piece)) return false;
      }
    }
    return true;
  }

  function fail(): boolean {
    broken = "bad reply";
    return false;
  }

  function write(data: string): boolean {
    if (inHead) {
      // line by line (RFC 9112 §2.1: a line ends in CRLF; a LF alone does not end one): only the
      // line being read is kept, and only the three headers the flow uses are read (here, not in
      // a function of its own: each closure of a reader costs ~9 JsVars while a request is in
      // flight). A provider's head is up to ~1.5 KB: kept whole and then split into its lines,
      // it held twice that in JsVars as it was read (a 6 KB head ~530 more than a short one on the
      // ESP32-like build: test/http-split-head.test.ts).
      let at = 0;
      for (;;) {
        const eol = data.indexOf("\n", at);
        const piece = data.substring(at, eol < 0 ? data.length : eol + 1);
        headBytes += piece.length;
        if (headBytes > MAX_HEAD + 4) return fail();
        headLine += piece;
        if (eol < 0) return true;
        at = eol + 1;
        if (headLine.charCodeAt(headLine.length - 2) !== 13) continue;
        const l = headLine.substr(0, headLine.length - 2);
        headLine = "";
        if (!status) {
          const m = /^HTTP\/1\.[01] ([1-5][0-9][0-9])/.exec(l);
          if (!m) return fail();
          status = parseInt(m[1], 10);
        } else if (l) {
          const colon = l.indexOf(":");
          if (colon <= 0) continue;
          const name = l.substr(0, colon).toLowerCase();
          const value = l.substr(colon + 1).trim();
          if (name === "retry-after") retryAfter = retryAfterOf(value);
          else if (name === "content-length") left = /^[0-9]+$/.test(value) && value.length < 10 ? parseInt(value, 10) : -1;
          else if (name === "transfer-encoding") chunked = /chunked$/i.test(value);
        } else if (status < 200) {
          // RFC 9110 §15.2: an interim 1xx reply comes before the real one; its headers are its own
          status = 0;
          headBytes = 0;
          retryAfter = -1;
          left = -1;
          chunked = false;
        } else break;
      }
      // the blank line: the head is in. RFC 9112 §6.3: chunked wins over Content-Length
      if (chunked) left = -1;
      data = data.substr(at);
      inHead = false;
      reader = createJsonReader(wanted);
      if (left === 0) return false;
    }
    if (chunked) return dechunk(data);
    // body bytes by Content-Length, or to the close
    if (left < 0) return reader.write(data);
    if (data.length > left) data = data.substr(0, left);
    left -= data.length;
    return reader.write(data) && left > 0;
  }

  return {
    write: write,
    /** The reply as far as it came: "dropped" when its head never did. */
    end(why: string): HttpReply {
      if (broken || inHead) return noReply(broken || why);
      return { status: status, error: "", retryAfter: retryAfter, body: reader.end() };
    },
  };
}

/** Makes the request; `done` is called once, later (never from inside this call). */
export function request(r: HttpRequest, options: HttpOptions, done: (reply: HttpReply) => void): void {
  const u = parseUrl(r.url);
  let why = !u ? "bad URL" : !u.https && !isLoopback(u.host) ? "refused http://" : "";
  const text = u && !why ? requestText(r, u) : "";
  if (!why && !text) why = "bad request";
  // the exchange is a function of its own, so that what its callbacks keep alive while the
  // reply is awaited is its own: not `r` (the request's fields, its form)
  exchange(u, why, text, r.wanted, options, done);
}

/**
 * The request's bytes to `u` and its reply, read for the members `wanted`; or `why` it was not
 * sent. The reply's reader is made when its first bytes come: made with the request, its ~270
 * JsVars (the JSON reader's closures and state, measured on the ESP32-like interpreter) were
 * held beside the request's text while it was sent, the most a poll held at any time.
 */
function exchange(u: Url | null, why: string, text: string, wanted: string[], options: HttpOptions, done: (reply: HttpReply) => void): void {
  let reader: ReplyReader | null = null;
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let socket: NetSocket | null = null;
  let closed = false;
  const finish = (reply: HttpReply): void => {
    if (finished) return;
    finished = true;
    // (the reader's part is done: it goes now, not with the socket's last callback)
    reader = null;
    wanted = [];
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    // whatever is left of the socket goes now: a server that stalls keeps nothing of ours open
    const s = socket;
    socket = null;
    if (s && !closed) {
      // a TLS socket's buffers are freed when it closes (the interpreter's next idle pass): the
      // reply is told then, so that the next request's connection is not made beside them
      // (on the ESP32-like build two connections did not fit in the codepair image's heap)
      let told = false;
      // (the fallback timer is cleared once told: a pending timer would keep this request's
      // whole scope, reader and socket handlers included, for its second: ~500 JsVars)
      let fallback: ReturnType<typeof setTimeout> | undefined;
      const tell = (): void => {
        if (told) return;
        told = true;
        if (fallback !== undefined) clearTimeout(fallback);
        fallback = undefined;
        done(reply);
      };
      s.on("close", tell);
      fallback = setTimeout(tell, 1000);
      try {
        s.end();
      } catch (err) {
        tell();
      }
      return;
    }
    // never from inside a socket's callback: the caller may make its next request at once,
    // and 2v29 crashes (SIGSEGV) on a tls.connect() made inside a TLS socket's 'data'
    // (measured on the ESP32-like interpreter; test/net-https.test.ts)
    setTimeout(() => done(reply), 0);
  };
  const later = (error: string): void => {
    setTimeout(() => finish(noReply(error)), 0);
  };
  if (why || !u) return later(why);
  const https = u.https;
  timer = setTimeout(() => {
    timer = undefined;
    finish(noReply("timeout"));
  }, options.timeout || 15000);
  try {
    const s = (require(https ? "tls" : "net") as NetModule).connect(socketOptions(u, options), () => {});
    socket = s;
    s.on("data", (chunk: string) => {
      if (finished) return;
      if (!reader) reader = createReplyReader(wanted);
      if (!reader.write(chunk)) finish(reader.end("dropped"));
    });
    // a failed TLS handshake says why in 'error' (then 'close' comes)
    let failure = "";
    s.on("error", (e: { code?: number; message?: string }) => {
      failure = failure || tlsFailureOf(e ? e.code || 0 : 0, https);
    });
    // before the head: the connection failed or was dropped; after it, the body decides
    s.on("close", () => {
      closed = true;
      // (no reader: not a byte of the reply came)
      if (!finished) finish(reader ? reader.end(failure || "dropped") : noReply(failure || "dropped"));
    });
    s.write(text);
    // the socket has its copy: ours would be kept as long as the socket's callbacks
    text = "";
    u = null;
  } catch (e) {
    // Espruino throws at once when it cannot make the socket (or a TLS connection's buffers):
    // the same failure, later
    socket = null;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    later(thrownFailureOf(e) || "connect");
  }
}
