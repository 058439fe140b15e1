// Espruino's `require("http")` client (and the global `url`) over real sockets, as the ESP32
// build of 2v29 behaves. The client is a transcription of libs/network/socketserver.c: one
// "idle pass" per connection (push received data, send up to 536 bytes, recv up to 536
// bytes, decide whether to close), then the queued callbacks, repeated while anything moves.
//
// Measured on the Linux build of 2v29 (/work/espruino-bin/espruino-esp32like, same socket
// code as the ESP32 one) against raw Node servers on 127.0.0.1:
// - Request bytes: `${method} ${path} HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\nConnection:
//   close\r\n`, then options.headers in their order and casing (`k: String(v)\r\n`), then
//   `Host: host:port` (`Host: host` when port is 80 or unset) unless a header named host in
//   any case was given, then `\r\n` and the body. No Content-Length is added; a missing
//   method or path is sent as "undefined". With a `Transfer-Encoding: chunked` header (that
//   exact name) every write is sent as a chunk (`%x\r\n…\r\n`) and end() adds `0\r\n\r\n`.
// - Nothing is sent until the first write()/end(); that call connects. The connect is
//   blocking on the device (lwIP), so a refused port throws from that call: the console
//   shows "ERROR: Connect failed (err 111)" (Linux; lwIP's ECONNRESET 104 on the ESP32) and
//   the call throws InternalError "Unable to create socket". A host name that does not
//   resolve throws InternalError "Unable to locate host". http.request() itself only throws
//   from bad arguments, and http.get() throws what end() throws.
// - The response callback gets `res` (this = req) once the head is in. res.statusCode is a
//   String ("200"), res.statusMessage and res.httpVersion ("1.1") too; res.headers keeps the
//   server's casing, the first of duplicate names, and — as the parser reads every line of
//   the first segment — also `key: value` lines of a body that came in the same segment.
// - 'data' gets byte strings of at most 536 bytes (one recv), chunked bodies de-chunked.
//   'end' then 'close'(hadError) end every response. A body without Content-Length ends at
//   the first pass that finds no new data (the rest is lost). Content-Length larger than what
//   came, then the server closes: 'end', close(false) — no error. Bytes beyond
//   Content-Length in the same segment are delivered.
// - Errors go to req only (res never gets 'error'), as {code, message}: server closed or
//   reset before a full head: {-15, "no response"}. Over TLS, the server's close_notify read
//   while the response is still open gives {-30848, "unknown error"} and close(true) — also
//   after a complete body when it comes in the same pass (a race on the device).
// - A server that never answers: nothing, ever (no timeout). There is no abort: httpCRq and
//   httpCRs have no methods of their own; write()/end() after end() throw Error "This socket
//   is closed". A firmware gives up on a request by ignoring its late events.
// - HTTPS: TLS 1.2, no SNI, and the server certificate is never verified (mbedtls
//   MBEDTLS_SSL_VERIFY_NONE in libs/network/network.c), `ca` or not. `ca` must be DER bytes
//   (atob of the PEM body): a PEM string throws InternalError "HTTPS init failed!
//   mbedtls_x509_crt_parse of 'ca': Invalid format"; a string of ≤100 characters is taken
//   for a file name. A handshake that fails reports "Uncaught InternalError:
//   mbedtls_ssl_handshake returned -0x…" and req gets 'error'.
// - Callbacks run between timers, in the order the passes queue them.
// That is the stock interpreter (`interpreter: "stock"`), with the mbedTLS configuration of the
// ESP32's ESP-IDF (tools/espruino/patches/common): it sends the constant server name
// "mbed TLS Server 1". The codepair image (`"codepair"`, tools/espruino/patches/codepair,
// measured on its ESP32-like build) differs:
// - the server name is options.host (none for an IP address); given `ca` (DER certificates, one
//   after another, or an array of them), the server must chain to one of them and be for that
//   host, else the handshake fails before any byte of the request is sent;
// - a failed handshake is no uncaught error: req's 'error' says why, {-13, "SSL handshake
//   failed"} (refused: an alert, a cut), {-16, "SSL certificate not trusted"}, {-17, "SSL
//   certificate for another host"}, {-2, "out of memory"} (not modelled here: no heap);
// - the request's own User-Agent header replaces Espruino's; process.env.TLS_VERIFY is true.
// On the ESP32 the network state is always "online" (jswrap_esp32_wifi_soft_init), so
// "Not connected to the internet" never comes: without WiFi a host name fails to resolve and
// an IP address has no route (lwIP EHOSTUNREACH, err 113).
import { X509Certificate } from "node:crypto";
import { isIPv4 } from "node:net";
import { Worker } from "node:worker_threads";
import { PowerOff, type Realm } from "./realm.ts";
import { PowerCut } from "./storage.ts";

/** net->chunkSize (network_esp32.c, network_linux.c): bytes per send and per recv. */
const CHUNK = 536;
/** jswrap_stream.h: what a stream keeps while nobody listens to 'data'. */
const STREAM_MAX_BUFFER_SIZE = 512;
const USER_AGENT = "Espruino 2v29";

// libs/network/socketerrors.h
const SOCKET_ERR_CLOSED = -1;
const SOCKET_ERR_UNSENT_DATA = -8;
const SOCKET_ERR_NO_RESP = -15;
const SOCKET_ERR_SSL_HAND = -13;
const SOCKET_ERR_SSL_UNTRUSTED = -16;
const SOCKET_ERR_SSL_HOSTNAME = -17;
const SOCKET_ERRORS = [
  "connection closed",
  "out of memory",
  "timeout",
  "no route",
  "busy",
  "not found",
  "max sockets",
  "unsent data",
  "connection reset",
  "unknown error",
  "no connection",
  "bad argument",
  "SSL handshake failed",
  "invalid SSL data",
  "no response",
  // the codepair image's (tools/espruino/patches/codepair/0012-tls-verify-with-ca.patch)
  "SSL certificate not trusted",
  "SSL certificate for another host",
];
function socketErrorString(code: number): string {
  return SOCKET_ERRORS[-1 - (code < -SOCKET_ERRORS.length ? -10 : code)];
}

/** Which interpreter the board runs: 2v29 as released, or the codepair image. */
export type Interpreter = "stock" | "codepair";
/** The server name 2v29's network.c sends, whatever the host. */
export const STOCK_SERVER_NAME = "mbed TLS Server 1";

/** What the TLS handshake is told: the name to send, and the CAs to verify against (PEM), if any. */
interface TlsSetup {
  servername: string;
  ca: string[] | null;
}
/** mbedtls_ssl_read's answer to the peer's close_notify alert (MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY). */
const PEER_CLOSE_NOTIFY = -0x7880;
/** errno the ESP32's lwIP gives a blocking connect(): refused (RST → ECONNRESET), no route, timeout. */
const ERRNO = { refused: 104, noRoute: 113, timeout: 116 };

/** One request, as the board's network log keeps it: method and URL only, never headers or bodies. */
export interface NetLogEntry {
  /** Board clock (ms since power-up) when the request went out (its first write or end). */
  at: number;
  method: string;
  url: string;
  /** The response's status, once its head came. */
  status?: number;
  /** Why it failed: the thrown message or the 'error' event's message. */
  error?: string;
  /** Board clock when it ended (closed, failed, or dropped). */
  doneAt?: number;
}

/** What the network needs from the board. */
export interface NetworkHost {
  now(): number;
  /** Runs a firmware callback as a task of its own (uncaught throws reported, then promise jobs). */
  runTask(fn: () => void): void;
  /** Runs the firmware's timers that are due now (the clock does not move). */
  runDueTimers(): void;
  print(line: string): void;
  /** True while the station is connected to an access point that is there. */
  online(): boolean;
  /** The interpreter itself would crash here (a segfault): the board reports it and stops. */
  crash(reason: string): void;
}

// ---------------------------------------------------------------------------------------------
// Bytes

/** A firmware value as the bytes Espruino sends (jsvAsString): characters above 0xFF as UTF-8. */
function asByteString(v: unknown): string {
  const s = String(v);
  return /[^\x00-\xff]/.test(s) ? Buffer.from(s, "utf8").toString("latin1") : s;
}

/** jsvNewFromStringVar(s, start, len): a negative length (size_t) means "to the end". */
function sub(s: string, start: number, len: number): string {
  return len < 0 ? s.slice(start) : s.substr(start, len);
}

/** jsvGetInteger of a header value: a decimal number, else 0. */
function integerOf(v: string | undefined): number {
  if (v === undefined || !/^[\t\x0b\x0c \n\r]*[-+]?[0-9]+(\.[0-9]*)?[\t\x0b\x0c \n\r]*$/.test(v)) return 0;
  return parseInt(v, 10);
}

/** jsvGetInteger of an option (port): numbers truncated, numeric strings parsed, else 0. */
function integerOption(v: unknown): number {
  if (typeof v === "number") return isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  return typeof v === "string" ? integerOf(v) : 0;
}

const isWhitespace = (ch: string): boolean => ch === "\t" || ch === "\x0b" || ch === "\x0c" || ch === " " || ch === "\n" || ch === "\r";

// ---------------------------------------------------------------------------------------------
// url.parse (libs/network/jswrap_net.c, jswrap_url_parse)

function hexNibble(ch: string | undefined): number {
  return ch === undefined ? -1 : "0123456789abcdef".indexOf(ch.toLowerCase());
}

function parseQueryString(q: string): Record<string, string> {
  const out: Record<string, string> = {};
  let key = "";
  let val = "";
  let hadEquals = false;
  const add = (): void => {
    // jsvAddName adds a second child of the same name; a lookup finds the first
    if (!Object.prototype.hasOwnProperty.call(out, key)) out[key] = val;
  };
  for (let i = 0; i < q.length; i++) {
    let ch = q[i];
    if (ch === "&") {
      if (key || val) {
        add();
        key = val = "";
        hadEquals = false;
      }
    } else if (!hadEquals && ch === "=") {
      hadEquals = true;
    } else {
      if (ch === "%") {
        const hi = hexNibble(q[++i]);
        const lo = hexNibble(q[++i]);
        ch = String.fromCharCode(hi < 0 || lo < 0 ? 0xff : (hi << 4) | lo);
      }
      if (hadEquals) val += ch;
      else key += ch;
    }
  }
  if (key || val) add();
  return out;
}

/** url.parse(urlStr, parseQuery) as plain data (keys in the device's order). */
export function urlParse(url: string, parseQuery = false): Record<string, unknown> {
  let slashes = 0;
  let colons = 0;
  let addrStart = -1;
  let portStart = -1;
  let pathStart = -1;
  let searchStart = -1;
  let portNumber = 0;
  for (let i = 0; i < url.length; i++) {
    const ch = url[i];
    if (ch === "/") {
      slashes++;
      if (pathStart < 0) pathStart = i;
      if (colons === 1 && slashes === 2 && addrStart < 0) {
        addrStart = i;
        pathStart = -1;
        searchStart = -1;
      }
    }
    if (ch === ":") {
      colons++;
      if (addrStart >= 0 && pathStart < 0) portStart = i;
    }
    if (portStart >= 0 && i > portStart && pathStart < 0 && ch >= "0" && ch <= "9") portNumber = portNumber * 10 + (ch.charCodeAt(0) - 48);
    if (ch === "?" && pathStart >= 0) searchStart = i;
  }
  if (pathStart < 0) pathStart = url.length;
  const addrEnd = portStart >= 0 ? portStart : pathStart;
  const out: Record<string, unknown> = {};
  if (addrStart > 0) out.protocol = url.substr(0, addrStart - 1);
  out.method = "GET";
  out.host = sub(url, addrStart + 1, addrEnd - (addrStart + 1));
  out.path = url.slice(pathStart) || "/";
  out.pathname = (searchStart >= 0 ? url.slice(pathStart, searchStart) : url.slice(pathStart)) || "/";
  out.search = searchStart >= 0 ? url.slice(searchStart) : null;
  out.port = portNumber <= 0 || portNumber > 65535 ? null : portNumber;
  const query = searchStart >= 0 ? url.slice(searchStart + 1) : null;
  out.query = parseQuery && query !== null ? parseQueryString(query) : query;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The response head (socketserver.c, httpParseHeaders, client side)

export interface ResponseHead {
  /** Name/value pairs in order, duplicates included. */
  headers: [string, string][];
  httpVersion: string;
  statusCode: string;
  statusMessage: string;
  /** What follows the blank line. */
  rest: string;
}

/**
 * The head of `data` if its end ("\r\n\r\n") is there, else undefined. Like the device, every
 * line of `data` with a colon becomes a header, body lines included, and bare "\n" line ends
 * are not recognised.
 */
export function parseResponseHead(data: string): ResponseHead | undefined {
  let newlineIdx = 0;
  let headerEnd = -1;
  for (let i = 0; i < data.length; i++) {
    const ch = data[i];
    if (ch === "\r") {
      if (newlineIdx === 0) newlineIdx = 1;
      else if (newlineIdx === 2) newlineIdx = 3;
    } else if (ch === "\n") {
      if (newlineIdx === 1) newlineIdx = 2;
      else if (newlineIdx === 3) {
        headerEnd = i + 1;
        break;
      }
    } else newlineIdx = 0;
  }
  if (headerEnd < 0) return undefined;
  const headers: [string, string][] = [];
  let firstSpace = -1;
  let secondSpace = -1;
  let firstEOL = -1;
  let lineNumber = 0;
  let lastLineStart = 0;
  let colonPos = 0;
  let valueStart = 0;
  for (let i = 0; i < data.length; i++) {
    const ch = data[i];
    if (ch === " " || ch === "\r") {
      if (firstSpace < 0) firstSpace = i;
      else if (secondSpace < 0) secondSpace = i;
    }
    if (ch === ":" && colonPos < 0) colonPos = i;
    else if (colonPos > 0 && !valueStart && !isWhitespace(ch)) valueStart = i;
    if (ch === "\r") {
      if (firstEOL < 0) firstEOL = i;
      if (lineNumber > 0 && colonPos > lastLineStart && valueStart > lastLineStart && lastLineStart < i) {
        headers.push([data.slice(lastLineStart, colonPos), data.slice(valueStart, i)]);
      }
      lineNumber++;
      colonPos = -1;
      valueStart = 0;
    }
    if (ch === "\r" || ch === "\n") lastLineStart = i + 1;
  }
  return {
    headers,
    httpVersion: sub(data, 5, firstSpace - 5),
    statusCode: sub(data, firstSpace + 1, secondSpace - (firstSpace + 1)),
    statusMessage: sub(data, secondSpace + 1, firstEOL - (secondSpace + 1)),
    rest: data.slice(headerEnd),
  };
}

/** jsvObjectGetChildI: the first header of that name in any case. */
function headerI(headers: [string, string][], name: string): string | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of headers) if (k.toLowerCase() === n) return v;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Sockets. The device's connect() blocks; Node's is asynchronous. The sockets live in a worker
// thread, and the board's thread waits (Atomics.wait) for the TCP connect to succeed or fail,
// so that a refused connection throws from write()/end() as on the device. The TCP handshake
// is the kernel's: a server in the board's own thread accepts while that thread waits. Data
// then flows as messages, read by the passes in the board's thread.

type SocketEvent =
  | { id: number; t: "data"; b: Uint8Array }
  | { id: number; t: "secure" }
  /**
   * The TLS handshake failed: `code` is the mbedtls error (-0x2700: the certificate did not
   * verify, and `verify` says which check: "untrusted" or "host").
   */
  | { id: number; t: "tlsfail"; code: string; verify?: string; closed?: boolean }
  /** End of the stream; `notify`: the peer's TLS close_notify came first. */
  | { id: number; t: "end"; notify: boolean }
  | { id: number; t: "gone" }
  /** A listening socket (`sid`) accepted a connection: `id` (negative: the worker's numbering). */
  | { id: number; t: "accept"; sid: number };

const WORKER_SOURCE = String.raw`
const { parentPort } = require("node:worker_threads");
const net = require("node:net");
const tls = require("node:tls");
const { Duplex } = require("node:stream");
const sockets = new Map();
const servers = new Map();
let acceptedId = 0;
// connects the board stopped waiting for: closed as soon as they succeed
const abandoned = new Set();
const post = (m) => parentPort.postMessage(m);
function bytes(b) { const u = new Uint8Array(b.length); u.set(b); return u; }
// TLS over a Duplex that sees the raw records, to tell an alert (close_notify or fatal) from a
// bare end of stream, and garbage from a handshake cut short.
function overTls(id, raw, setup) {
  let alert = false, garbage = false, head = Buffer.alloc(0), left = 0;
  const scanAll = (b) => {
    // record headers may straddle chunks: walk byte by byte through headers, jump over bodies
    let i = 0;
    while (i < b.length) {
      if (left > 0) { const n = Math.min(left, b.length - i); left -= n; i += n; continue; }
      head = Buffer.concat([head, b.subarray(i, i + 1)]); i++;
      if (head.length === 5) {
        const type = head[0];
        if (type < 20 || type > 23) garbage = true;
        if (type === 21) alert = true;
        left = head.readUInt16BE(3);
        head = Buffer.alloc(0);
      }
    }
  };
  const pipe = new Duplex({
    read() {},
    write(chunk, enc, cb) { raw.write(chunk, cb); },
    final(cb) { raw.end(); cb(); },
    destroy(err, cb) { raw.destroy(); cb(err); },
  });
  raw.on("data", (b) => { scanAll(b); pipe.push(b); });
  raw.on("end", () => pipe.push(null));
  raw.on("error", () => pipe.destroy());
  raw.on("close", () => { if (!pipe.destroyed) pipe.push(null); });
  // the device's mbedTLS speaks TLS 1.2 only; a certificate is checked only against \`ca\`
  const s = tls.connect({ socket: pipe, servername: setup.servername, minVersion: "TLSv1.2", maxVersion: "TLSv1.2",
    rejectUnauthorized: !!setup.ca, ca: setup.ca || undefined });
  let secure = false, ended = false, verify = "";
  s.on("secureConnect", () => { secure = true; post({ id, t: "secure" }); });
  s.on("data", (b) => post({ id, t: "data", b: bytes(b) }));
  let rawEnded = false, failPending = false, goneAfter = false;
  raw.on("end", () => { rawEnded = true; });
  const finish = (e) => {
    if (ended) return; ended = true;
    if (e && setup.ca && !secure) verify = e.code === "ERR_TLS_CERT_ALTNAME_INVALID" ? "host" : /CERT|SIGNATURE|ISSUER|CHAIN/.test(String(e.code)) ? "untrusted" : "";
    // a refusal's alert usually comes with the end of the stream: wait a moment to know which
    // (the device's next read of the socket sees it closed, or not)
    if (!secure) {
      failPending = true;
      setTimeout(() => {
        post({ id, t: "tlsfail", code: garbage ? "-0x7200" : alert ? "-0x7780" : verify ? "-0x2700" : "-0x1", verify, closed: rawEnded });
        failPending = false;
        if (goneAfter) post({ id, t: "gone" });
      }, alert ? 30 : 0);
    } else post({ id, t: "end", notify: alert });
  };
  s.on("end", () => finish());
  s.on("error", finish);
  s.on("close", () => { finish(); if (failPending) goneAfter = true; else post({ id, t: "gone" }); });
  return s;
}
// a plain TCP socket's events, for a connected or an accepted one
function plain(id, raw) {
  let ended = false;
  const finish = () => { if (!ended) { ended = true; post({ id, t: "end", notify: false }); } };
  raw.on("data", (b) => post({ id, t: "data", b: bytes(b) }));
  raw.on("end", finish);
  raw.on("error", finish);
  raw.on("close", () => { finish(); post({ id, t: "gone" }); });
}
parentPort.on("message", (m) => {
  if (m.op === "listen") {
    const flag = new Int32Array(m.flag);
    const server = net.createServer((raw) => {
      const id = --acceptedId;
      raw.setNoDelay(true);
      sockets.set(id, raw);
      post({ id, t: "accept", sid: m.sid });
      plain(id, raw);
    });
    const settle = (v, port) => { Atomics.store(flag, 1, port); Atomics.store(flag, 0, v); Atomics.notify(flag, 0); };
    server.once("error", () => settle(2, 0));
    server.listen(m.port, "127.0.0.1", () => { servers.set(m.sid, server); settle(1, server.address().port); });
  } else if (m.op === "unlisten") {
    const server = servers.get(m.sid);
    servers.delete(m.sid);
    if (server) server.close();
  } else if (m.op === "connect") {
    const flag = new Int32Array(m.flag);
    let settled = false;
    const settle = (v) => { if (settled) return; settled = true; Atomics.store(flag, 0, v); Atomics.notify(flag, 0); };
    const raw = net.connect({ host: m.host, port: m.port });
    raw.setNoDelay(true);
    raw.once("connect", () => {
      if (abandoned.delete(m.id)) { raw.destroy(); return; }
      const s = m.tls ? overTls(m.id, raw, m.tls) : raw;
      sockets.set(m.id, s);
      if (!m.tls) plain(m.id, raw);
      settle(1);
    });
    raw.once("error", (e) => { if (!settled) { settle(e && e.code === "ECONNREFUSED" ? 2 : 3); raw.destroy(); } });
  } else if (m.op === "write") {
    const s = sockets.get(m.id);
    if (s && !s.destroyed) s.write(Buffer.from(m.b.buffer, m.b.byteOffset, m.b.byteLength));
  } else if (m.op === "destroy") {
    const s = sockets.get(m.id);
    sockets.delete(m.id);
    if (s) s.destroy();
    else abandoned.add(m.id);
  }
});
`;

class SocketWorker {
  private worker: Worker;
  private handlers = new Map<number, (e: SocketEvent) => void>();
  private acceptors = new Map<number, (id: number) => void>();
  private nextId = 1;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on("message", (e: SocketEvent) => {
      if (e.t === "accept") {
        const accept = this.acceptors.get(e.sid);
        if (accept) accept(e.id);
        else this.destroy(e.id);
        return;
      }
      const h = this.handlers.get(e.id);
      if (h) h(e);
      if (e.t === "gone") this.release(e.id);
    });
  }

  /**
   * A blocking TCP connect, as lwIP's: the socket's id, or the errno the ESP32 would report.
   * `onEvent` then gets the socket's data and end.
   */
  connect(host: string, port: number, tls: TlsSetup | null, onEvent: (e: SocketEvent) => void): { id: number } | { errno: number } {
    const id = this.nextId++;
    const flag = new SharedArrayBuffer(4);
    this.handlers.set(id, onEvent);
    this.worker.ref();
    this.worker.postMessage({ op: "connect", id, host, port, tls, flag });
    // the first connect also waits for the worker to start; a host that never answers costs
    // this long (lwIP's own connect timeout is longer still)
    const waited = Atomics.wait(new Int32Array(flag), 0, 0, 10000);
    const result = Atomics.load(new Int32Array(flag), 0);
    if (waited === "timed-out" || result !== 1) {
      this.release(id);
      if (waited === "timed-out") this.worker.postMessage({ op: "destroy", id });
      return { errno: waited === "timed-out" ? ERRNO.timeout : result === 2 ? ERRNO.refused : ERRNO.noRoute };
    }
    return { id };
  }

  /**
   * A listening TCP socket on loopback (`port`, or 0: any free one): the port, or 0 when it
   * cannot be had. `onAccept` gets each connection's id; `handle` then takes its events.
   */
  listen(port: number, onAccept: (id: number) => void): { sid: number; port: number } {
    const sid = this.nextId++;
    const flag = new SharedArrayBuffer(8);
    this.worker.ref();
    this.worker.postMessage({ op: "listen", sid, port, flag });
    Atomics.wait(new Int32Array(flag), 0, 0, 10000);
    const state = new Int32Array(flag);
    if (Atomics.load(state, 0) !== 1) {
      this.worker.unref();
      return { sid, port: 0 };
    }
    this.acceptors.set(sid, onAccept);
    return { sid, port: Atomics.load(state, 1) };
  }

  unlisten(sid: number): void {
    this.worker.postMessage({ op: "unlisten", sid });
    this.acceptors.delete(sid);
    if (!this.handlers.size && !this.acceptors.size) this.worker.unref();
  }

  /** The events of an accepted connection go to `onEvent`. */
  handle(id: number, onEvent: (e: SocketEvent) => void): void {
    this.handlers.set(id, onEvent);
  }

  write(id: number, bytes: string): void {
    this.worker.postMessage({ op: "write", id, b: Uint8Array.from(Buffer.from(bytes, "latin1")) });
  }

  destroy(id: number): void {
    this.worker.postMessage({ op: "destroy", id });
    this.release(id);
  }

  private release(id: number): void {
    this.handlers.delete(id);
    if (!this.handlers.size && !this.acceptors.size) this.worker.unref();
  }
}

let sharedWorker: SocketWorker | undefined;
function sockets(): SocketWorker {
  return (sharedWorker = sharedWorker || new SocketWorker());
}

// ---------------------------------------------------------------------------------------------
// Events on firmware objects: Espruino's `on`/`emit` with its stream special case for 'data'.

type Listener = (...args: unknown[]) => unknown;

class Emitters {
  private table = new WeakMap<object, Map<string, Listener[]>>();

  listeners(obj: object, event: string): Listener[] {
    const m = this.table.get(obj);
    return (m && m.get(event)) || [];
  }

  add(obj: object, event: string, fn: Listener): void {
    let m = this.table.get(obj);
    if (!m) this.table.set(obj, (m = new Map()));
    m.set(event, this.listeners(obj, event).concat([fn]));
  }

  removeAll(obj: object): void {
    this.table.delete(obj);
  }

  remove(obj: object, event: string, fn?: Listener): void {
    const m = this.table.get(obj);
    if (!m) return;
    if (fn === undefined) m.delete(event);
    else m.set(event, this.listeners(obj, event).filter((f) => f !== fn));
  }
}

// ---------------------------------------------------------------------------------------------
// Connections

interface Conn {
  /** An http client request (httpCRq and httpCRs), or a `net`/`tls` client socket (req === res). */
  kind: "http" | "socket";
  req: object;
  res: object;
  realmGen: number;
  tls: boolean;
  /** A socket's 'connect' has been queued (HTTP_NAME_CONNECTED). */
  connected: boolean;
  entry: NetLogEntry;
  /** Worker socket id, 0 before the connect. */
  socket: number;
  /** Accepted by a listening socket of the board's (a phone on its access point), not made by it. */
  accepted: boolean;
  // httpCRq's hidden children
  sendData: string | undefined;
  chunked: boolean;
  close: boolean;
  closeNow: boolean;
  receiveData: string;
  // httpCRs's
  hadHeaders: boolean;
  receiveCount: number;
  resChunked: boolean;
  ended: boolean;
  buffer: string | undefined;
  // what the socket has delivered and not been read yet
  inbound: string;
  remote: "open" | "ended" | "notified";
  tlsState: "handshake" | "secure" | "failed";
  tlsFailure: string;
  /** which check failed when tlsFailure is -0x2700: "untrusted" or "host" */
  tlsVerify: string;
  tlsReported: boolean;
}

function makeConn(kind: Conn["kind"], req: object, res: object, tls: boolean, realmGen: number): Conn {
  return {
    kind,
    req,
    res,
    realmGen,
    tls,
    connected: false,
    entry: { at: 0, method: "", url: "" },
    socket: 0,
    accepted: false,
    sendData: undefined,
    chunked: false,
    close: false,
    closeNow: false,
    receiveData: "",
    // a socket has no head to wait for (socketReceived: !isHttp)
    hadHeaders: kind === "socket",
    receiveCount: 0,
    resChunked: false,
    ended: false,
    buffer: undefined,
    inbound: "",
    remote: "open",
    tlsState: "handshake",
    tlsFailure: "",
    tlsVerify: "",
    tlsReported: false,
  };
}

interface QueuedEvent {
  thisObj: object;
  fns: Listener[];
  args: unknown[];
}

/** Entries the network log keeps: the newest; `requests` counts them all. */
export const NET_LOG_MAX = 2000;

/** The board's network: the http module it gives the firmware, and the log tests read. */
export class Network {
  /** The newest NET_LOG_MAX requests (a device left running would otherwise fill the host's memory). */
  readonly log: NetLogEntry[] = [];
  /** Requests made since power-up. */
  requests = 0;
  /** Called when a request goes out. */
  onRequest: (entry: NetLogEntry) => void = () => {};
  /** Called when a request is over (doneAt set): answered, failed or dropped. */
  onResponse: (entry: NetLogEntry) => void = () => {};
  /**
   * Names the board can resolve (its DNS), to IPv4 addresses. IP literals resolve as they
   * are; any other name fails as an unknown host does on the device.
   */
  hosts: Record<string, string> = { localhost: "127.0.0.1" };
  /** Which interpreter's TLS and request head (see the top of this file). */
  interpreter: Interpreter = "stock";
  private conns: Conn[] = [];
  private queue: QueuedEvent[] = [];
  /**
   * The board's listening TCP sockets (net.createServer().listen(port)): the board's port →
   * the loopback port where the host reaches it (a phone on the board's access point).
   */
  readonly listening: Record<number, number> = {};
  /** The worker's listening socket of each board port. */
  private servers: Record<number, number> = {};

  /** Logs a request; `onRequest` hears of it now, or (a socket) once its first bytes name it. */
  private logRequest(entry: NetLogEntry, tell: boolean): void {
    this.requests++;
    this.log.push(entry);
    if (this.log.length > NET_LOG_MAX) this.log.splice(0, this.log.length - NET_LOG_MAX);
    if (tell) this.onRequest(entry);
  }
  private emitters = new Emitters();
  private gen = 0;
  private scheduled = false;
  private waiters: (() => void)[] = [];
  /** Exceptions of this turn's callbacks (and of its passes: the TLS handshake). */
  private uncaught: unknown[] = [];

  constructor(private host: NetworkHost) {}

  /** Requests that have gone out and are not over. */
  get inFlight(): number {
    return this.log.filter((e) => e.doneAt === undefined).length;
  }

  /** Resolves once no request is in flight (now, if none is). */
  idle(): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The board stops (reboot, power off): every socket goes, no callback of the old firmware runs again. */
  reset(): void {
    this.gen++;
    this.inTlsData = 0;
    for (const c of this.conns) this.drop(c, "board halted");
    this.conns = [];
    for (const port of Object.keys(this.servers)) this.unlisten(Number(port));
    this.queue = [];
    this.uncaught = [];
  }

  /** The access point went away: open connections go silent (lwIP would give up minutes later). */
  linkLost(): void {
    for (const c of this.conns) if (!c.accepted) this.drop(c, "wifi dropped");
    // the firmware's objects stay as they are: open, and never hear anything again
    this.conns = this.conns.filter((c) => c.accepted);
  }

  /** The board's access point stopped: the phones on it, and their connections, are gone. */
  apStopped(): void {
    for (const c of this.conns) if (c.accepted) this.drop(c, "access point stopped");
    this.conns = this.conns.filter((c) => !c.accepted);
  }

  private unlisten(port: number): void {
    const sid = this.servers[port];
    if (sid === undefined) return;
    sockets().unlisten(sid);
    delete this.servers[port];
    delete this.listening[port];
  }

  /**
   * `require("http")` for a board's realm; with `kind` "net" or "tls", `require("net")` or
   * `require("tls")`: connect() makes a client socket at once (throwing as the device does when
   * it cannot), writes go out as they are, end() closes it once what was written is sent
   * (at once when nothing is left), 'data' gets at most 536 bytes at a time, 'error' (not for
   * a plain close) then 'end' then 'close'(hadError) end it.
   */
  module(realm: Realm, kind: "http" | "net" | "tls" = "http"): Record<string, unknown> {
    const gen = this.gen;
    const em = this.emitters;
    const net = this;
    const describe = (v: unknown): string =>
      v === undefined ? "undefined" : v === null ? "null" : typeof v === "string" ? "String" : typeof v === "number" ? "Number" : typeof v === "function" ? "Function" : Array.isArray(v) ? "Array" : typeof v === "boolean" ? "Boolean" : "Object";
    const common = {
      on(this: object, event: unknown, fn: Listener): void {
        const name = String(event);
        em.add(this, name, fn);
        // jswrap_object_on: data that came while nobody listened goes to the listeners now, later
        const c = net.connOf(this);
        if (name === "data" && c && c.res === this && c.buffer !== undefined) {
          net.enqueue(c, this, "data", [c.buffer]);
          c.buffer = undefined;
          net.schedule();
        }
      },
      addListener(this: object, event: unknown, fn: Listener): void {
        common.on.call(this, event, fn);
      },
      // queued, as jsiQueueObjectCallbacks does: the listeners run after the caller's task
      emit(this: object, event: unknown, ...args: unknown[]): void {
        const c = net.connOf(this);
        if (c) net.enqueue(c, this, String(event), args);
        net.schedule();
      },
      removeListener(this: object, event: unknown, fn: Listener): void {
        em.remove(this, String(event), fn);
      },
      removeAllListeners(this: object, event?: unknown): void {
        if (event === undefined) em.removeAll(this);
        else em.remove(this, String(event));
      },
    };
    const reqProto = realm.object(
      Object.assign({}, common, {
        write(this: object, data: unknown): boolean {
          net.write(this, data);
          return false;
        },
        end(this: object, data?: unknown): void {
          if (data !== undefined) net.write(this, data);
          net.end(this);
        },
      }),
    );
    const resProto = realm.object(
      Object.assign({}, common, {
        available(this: object): number {
          const c = net.connOf(this);
          return c && c.buffer !== undefined ? c.buffer.length : 0;
        },
        read(this: object, chars?: unknown): string | undefined {
          const c = net.connOf(this);
          if (!c || c.buffer === undefined) return undefined;
          const n = integerOption(chars);
          const out = n > 0 ? c.buffer.slice(0, n) : c.buffer;
          c.buffer = n > 0 && n < c.buffer.length ? c.buffer.slice(n) : undefined;
          return out;
        },
      }),
    );
    const create = (realm.global.Object as ObjectConstructor).create;
    const newConn = (kind: Conn["kind"], req: object, res: object, tls: boolean): Conn => makeConn(kind, req, res, tls, gen);
    /** The options (a URL string parsed) as http.request and net/tls.connect check them, or undefined after 2v29's error line. */
    const optionsOf = (options: unknown, callback: unknown): unknown => {
      let opts = options;
      if (typeof opts === "string") opts = realm.fromHost(urlParse(opts));
      if (typeof opts !== "object" || opts === null) {
        net.host.print("ERROR: Expecting Options to be an Object but it was " + describe(opts));
        return undefined;
      }
      if (callback !== undefined && typeof callback !== "function") {
        net.host.print("ERROR: Expecting Callback Function but got " + describe(callback));
        return undefined;
      }
      return opts;
    };
    const request = (options: unknown, callback: unknown): object | undefined => {
      const opts = optionsOf(options, callback);
      if (opts === undefined) return undefined;
      const req = create(reqProto) as object;
      const res = create(resProto) as object;
      if (typeof callback === "function") em.add(req, "connect", callback as Listener);
      const o = opts as Record<string, unknown>;
      const c = newConn("http", req, res, o.protocol === "https:");
      net.pending.set(req, { conn: c, options: o, realm });
      net.byObject.set(req, c);
      net.byObject.set(res, c);
      return req;
    };
    if (kind !== "http") {
      // jswrap_net_connect: a Socket (stream methods and write/end), connected at once
      const socketProto = realm.object(
        Object.assign({}, common, {
          write(this: object, data: unknown): boolean {
            net.write(this, data);
            return false;
          },
          end(this: object, data?: unknown): void {
            if (data !== undefined) net.write(this, data);
            net.end(this);
          },
          available: resProto.available,
          read: resProto.read,
        }),
      );
      // jswrap_net_createServer, serverListen, serverClose; socketIdle accepts (as a client socket)
      const serverProto = realm.object({
        listen(this: object, port: unknown): object {
          const p = integerOption(port) & 0xffff;
          if (Object.prototype.hasOwnProperty.call(net.servers, p)) {
            // the device's bind() fails on a port in use
            throw new realm.InternalError("Unable to create socket");
          }
          const server = this;
          const made = sockets().listen(0, (id) => net.accept(server, id, socketProto, realm, gen));
          if (!made.port) throw new realm.InternalError("Unable to create socket");
          net.servers[p] = made.sid;
          net.listening[p] = made.port;
          net.serverPort.set(server, p);
          return server;
        },
        close(this: object): void {
          const p = net.serverPort.get(this);
          if (p === undefined) return;
          net.serverPort.delete(this);
          net.unlisten(p);
        },
      });
      const library: Record<string, unknown> = {
        connect(options: unknown, callback: unknown): object | undefined {
          const opts = optionsOf(options, callback);
          if (opts === undefined) return undefined;
          const sock = create(socketProto) as object;
          if (typeof callback === "function") em.add(sock, "connect", callback as Listener);
          // 2v29 segfaults on a TLS connect made inside a TLS socket's 'data' listener (they run
          // inside the socket loop, jswrap_stream_pushData): measured on the ESP32-like build
          if (kind === "tls" && net.inTlsData > 0) {
            net.host.crash("tls.connect() inside a TLS socket's 'data' listener: 2v29 crashes (SIGSEGV)");
            throw new PowerOff();
          }
          const o = opts as Record<string, unknown>;
          const c = newConn("socket", sock, sock, kind === "tls");
          net.pending.set(sock, { conn: c, options: o, realm });
          net.byObject.set(sock, c);
          net.connect(c, o, realm);
          return sock;
        },
      };
      if (kind === "net") {
        library.createServer = (callback: unknown): object | undefined => {
          if (typeof callback !== "function") {
            net.host.print("ERROR: Expecting Callback Function but got " + describe(callback));
            return undefined;
          }
          const server = create(serverProto) as object;
          em.add(server, "#connect", callback as Listener);
          return server;
        };
      }
      return realm.library(library);
    }
    return realm.library({
      request,
      get(options: unknown, callback: unknown): object | undefined {
        if (typeof options === "object" && options !== null) (options as Record<string, unknown>).method = "GET";
        const req = request(options, callback);
        if (req) net.end(req);
        return req;
      },
    });
  }

  /**
   * The device's global `url` (libs/network/jswrap_net.c). Not put on the board yet: the
   * dialect gate's GLOBALS (dialect/espruino.mjs) does not list "url".
   */
  urlGlobal(realm: Realm): Record<string, unknown> {
    return realm.library({
      parse: (u: unknown, parseQuery?: unknown): unknown => (typeof u === "string" ? realm.fromHost(urlParse(u, !!parseQuery)) : undefined),
    });
  }

  // -------------------------------------------------------------------------------------------

  private byObject = new WeakMap<object, Conn>();
  private serverPort = new WeakMap<object, number>();

  /** socketIdle: a new connection on a board's listening socket, a Socket like a client's, given to the server's callback. */
  private accept(server: object, id: number, socketProto: object, realm: Realm, gen: number): void {
    if (gen !== this.gen) {
      sockets().destroy(id);
      return;
    }
    const sock = (realm.global.Object as ObjectConstructor).create(socketProto) as object;
    const c: Conn = Object.assign(makeConn("socket", sock, sock, false, gen), { socket: id, accepted: true, tlsState: "secure" as const });
    this.pending.set(sock, { conn: c, options: {}, realm });
    this.byObject.set(sock, c);
    sockets().handle(id, (e) => this.onSocket(c, e));
    this.conns.push(c);
    const fns = this.emitters.listeners(server, "#connect");
    if (fns.length) this.queue.push({ thisObj: server, fns, args: [sock] });
    this.schedule();
  }
  private pending = new WeakMap<object, { conn: Conn; options: Record<string, unknown>; realm: Realm }>();

  private connOf(obj: object): Conn | undefined {
    return this.byObject.get(obj);
  }

  /** clientRequestWrite: the head on the first call, then the data; connects on the first call. */
  private write(req: object, data: unknown): void {
    const p = this.pending.get(req);
    if (!p) return;
    const { conn: c, options: o, realm } = p;
    if (c.close || c.closeNow) throw new realm.Error("This socket is closed");
    if (c.kind === "socket") {
      if (data !== undefined && data !== null) {
        const bytes = asByteString(data);
        // the log names the request a socket carries, as a sniffer would read its first line
        if (c.sendData === undefined && c.entry.url) {
          sniffRequest(c.entry, bytes);
          this.onRequest(c.entry);
        }
        c.sendData = (c.sendData || "") + bytes;
      } else if (c.sendData === undefined) c.sendData = "";
      this.schedule();
      return;
    }
    if (c.sendData === undefined) {
      let head = "";
      if (!c.socket) {
        const headers = o.headers;
        // the codepair image leaves Espruino's User-Agent out when the request has its own
        const own = this.interpreter === "codepair" && typeof headers === "object" && headers !== null &&
          Object.keys(headers).some((k) => k.toLowerCase() === "user-agent");
        head = String(o.method) + " " + String(o.path) + " HTTP/1.1\r\n" + (own ? "" : "User-Agent: " + USER_AGENT + "\r\n") + "Connection: close\r\n";
        let hasHost = false;
        if (typeof headers === "object" && headers !== null) {
          const h = headers as Record<string, unknown>;
          for (const k of Object.keys(h)) {
            if (k.toLowerCase() === "host") hasHost = true;
            head += asByteString(k) + ": " + asByteString(h[k]) + "\r\n";
          }
          // the exact name, any case of value (compareTransferEncodingAndUnlock)
          if (typeof h["Transfer-Encoding"] === "string" && (h["Transfer-Encoding"] as string).toLowerCase() === "chunked") c.chunked = true;
        }
        if (!hasHost) {
          const port = integerOption(o.port);
          head += "Host: " + String(o.host) + (port > 0 && port !== 80 ? ":" + port : "") + "\r\n";
        }
        head += "\r\n";
      }
      c.sendData = head;
    }
    if (data !== undefined && data !== null) {
      const s = asByteString(data);
      c.sendData += c.chunked ? s.length.toString(16) + "\r\n" + s + "\r\n" : s;
    }
    if (!c.socket) this.connect(c, o, realm);
    this.schedule();
  }

  /** clientRequestEnd */
  private end(req: object): void {
    const p = this.pending.get(req);
    if (!p) return;
    const c = p.conn;
    if (c.kind === "socket") {
      // clientRequestEnd: with nothing left to send, close at the next pass (for the log, the
      // request is over now: nothing the socket does from here reaches the firmware but 'close')
      if (!c.sendData) {
        c.closeNow = true;
        this.finish(c, undefined);
      }
      c.close = true;
      this.schedule();
      return;
    }
    this.write(req, c.chunked ? "" : undefined);
    c.close = true;
  }

  /** clientRequestConnect: resolve, then the blocking connect; failures throw as the device's do. */
  private connect(c: Conn, o: Record<string, unknown>, realm: Realm): void {
    let port = integerOption(o.port);
    if (port === 0) port = c.tls ? 443 : c.kind === "http" ? 80 : 0;
    const hostName = o.host;
    // the request-target as a server reads it from the request line: up to the first space
    // (the path can carry more of the head, as the firmware's does to send its User-Agent first)
    const target = c.kind === "socket" ? "" : String(o.path).split(" ")[0];
    c.entry = {
      at: this.host.now(),
      method: c.kind === "socket" ? "" : String(o.method),
      url: (c.tls ? "https://" : "http://") + String(hostName === undefined ? "127.0.0.1" : hostName) + ":" + port + target,
    };
    this.logRequest(c.entry, c.kind === "http");
    const fail = (err: Error): never => {
      c.closeNow = true;
      this.finish(c, err.message);
      throw err;
    };
    let address: string | undefined;
    if (hostName === undefined) address = "127.0.0.1";
    else {
      const name = String(hostName).slice(0, 127);
      address = isIPv4(name) ? name : this.host.online() ? this.hosts[name] : undefined;
    }
    if (!address) fail(new realm.InternalError("Unable to locate host"));
    // ssl_newSocketData loads `ca` right after the TCP connect; checked first here, so a bad
    // certificate costs no connection (the device leaves one open)
    let setup: TlsSetup | null = null;
    if (c.tls) {
      const codepair = this.interpreter === "codepair";
      const problem = certificateProblem(o.ca, realm, codepair);
      if (problem) {
        if (problem.warning) this.host.print(problem.warning);
        fail(problem.error);
      }
      // the codepair image names the host (Node will not send an IP address as a name, the
      // device would) and verifies against `ca`; 2v29 sends a constant and verifies nothing
      const name = hostName === undefined ? "" : String(hostName);
      setup = codepair
        ? { servername: isIPv4(name) ? "" : name, ca: o.ca === undefined ? null : certificatesOf(o.ca) }
        : { servername: STOCK_SERVER_NAME, ca: null };
    }
    const connected = this.host.online()
      ? sockets().connect(address as string, port, setup, (e) => this.onSocket(c, e))
      : { errno: ERRNO.noRoute };
    if ("errno" in connected) {
      this.host.print("ERROR: Connect failed (err " + connected.errno + ")");
      fail(new realm.InternalError("Unable to create socket"));
      return;
    }
    c.socket = connected.id;
    if (!c.tls) c.tlsState = "secure";
    this.conns.push(c);
  }

  private onSocket(c: Conn, e: SocketEvent): void {
    if (e.t === "data") c.inbound += Buffer.from(e.b.buffer, e.b.byteOffset, e.b.byteLength).toString("latin1");
    else if (e.t === "secure") c.tlsState = "secure";
    else if (e.t === "tlsfail") {
      c.tlsState = "failed";
      c.tlsFailure = e.code;
      c.tlsVerify = e.verify || "";
      if (e.closed) c.remote = "ended";
    } else if (e.t === "end") c.remote = e.notify ? "notified" : "ended";
    else return;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.runIdle();
    });
  }

  /**
   * One turn of Espruino's idle loop (jsiIdle) for the network: timers that are due, one
   * pass over every connection, then the queued callbacks; the next turn is a macrotask of
   * its own, so the host's I/O and the board's real-time clock interleave as on the device.
   * Uncaught exceptions are reported once per turn, the last one (jsiCheckErrors).
   */
  private runIdle(): void {
    const gen = this.gen;
    this.host.runDueTimers();
    if (this.gen !== gen) return;
    let moved = false;
    for (const c of this.conns.slice()) {
      if (this.gen !== gen) return;
      if (this.pass(c)) moved = true;
    }
    if (this.queue.length) moved = true;
    while (this.queue.length && this.gen === gen) {
      const ev = this.queue.shift() as QueuedEvent;
      for (const fn of ev.fns) if (this.gen === gen) this.task(() => fn.apply(ev.thisObj, ev.args));
    }
    if (this.gen !== gen) return;
    if (this.uncaught.length) {
      const last = this.uncaught[this.uncaught.length - 1];
      this.uncaught = [];
      this.host.runTask(() => {
        throw last;
      });
    }
    if (moved && this.gen === gen) this.schedule();
  }

  /** A firmware callback; its exception is kept for the end of the turn (power loss stops at once). */
  private task(fn: () => void): void {
    this.host.runTask(() => {
      try {
        fn();
      } catch (err) {
        if (err instanceof PowerOff || err instanceof PowerCut) throw err;
        this.uncaught.push(err);
      }
    });
  }

  /** jsiQueueObjectCallbacks: the listeners there are now, run after this pass. */
  private enqueue(c: Conn, obj: object, event: string, args: unknown[]): void {
    if (c.realmGen !== this.gen) return;
    const fns = this.emitters.listeners(obj, event);
    if (fns.length) this.queue.push({ thisObj: obj, fns, args });
  }

  /** netSend: bytes taken, 0 while the TLS handshake runs, -1 when the socket is gone. */
  private netSend(c: Conn, bytes: string): number {
    if (c.tlsState === "failed") return this.tlsFailed(c);
    if (c.tlsState === "handshake") return 0;
    sockets().write(c.socket, bytes);
    return bytes.length;
  }

  /** netRecv: up to 536 bytes, 0 when none has come, below 0 when the socket is over. */
  private netRecv(c: Conn): number | string {
    if (c.tlsState === "failed" && this.interpreter === "codepair") return this.tlsFailed(c);
    if (c.tlsState === "failed") {
      const r = this.tlsFailed(c);
      // after an alert mbedtls wants more while the peer keeps the connection open; after
      // garbage, a cut, or an alert and the end of the stream it fails again
      return c.tlsFailure === "-0x7780" && c.remote === "open" ? 0 : r;
    }
    if (c.inbound) {
      const got = c.inbound.slice(0, CHUNK);
      c.inbound = c.inbound.slice(CHUNK);
      return got;
    }
    if (c.remote === "notified") return PEER_CLOSE_NOTIFY;
    if (c.remote === "ended") return SOCKET_ERR_CLOSED;
    return 0;
  }

  /**
   * ssl_getSocketData: 2v29 raises the handshake's error (reported as uncaught) and fails the
   * call; the codepair image keeps the reason, which every later send and recv return.
   */
  private tlsFailed(c: Conn): number {
    if (this.interpreter === "codepair") {
      if (c.tlsFailure !== "-0x2700") return SOCKET_ERR_SSL_HAND;
      return c.tlsVerify === "host" ? SOCKET_ERR_SSL_HOSTNAME : SOCKET_ERR_SSL_UNTRUSTED;
    }
    if (!c.tlsReported) {
      c.tlsReported = true;
      const p = this.pending.get(c.req);
      if (p) {
        const err = new p.realm.InternalError("mbedtls_ssl_handshake returned " + c.tlsFailure);
        this.uncaught.push(err);
      }
    }
    return -1;
  }

  /** One pass of socketClientConnectionsIdle for this connection; true when anything changed. */
  private pass(c: Conn): boolean {
    if (c.realmGen !== this.gen) return false;
    const isHttp = c.kind === "http";
    const before = [c.sendData, c.receiveData, c.inbound.length, c.hadHeaders, c.ended, c.buffer, this.queue.length, c.remote, c.connected].join("\u0000");
    let error = 0;
    let closeNow = c.closeNow;
    const hadHeaders = c.hadHeaders;
    let receiveData = c.receiveData;
    if (c.socket) {
      // written back here, unlike the device, which pushes it again on every pass with no new data
      if (hadHeaders) receiveData = c.receiveData = this.pushReceiveData(c, receiveData, false);
      if (!closeNow) {
        if (c.sendData) {
          const num = this.netSend(c, c.sendData.slice(0, CHUNK));
          if (num > 0 && !c.connected && !isHttp) this.socketConnected(c, false);
          if (num < 0) {
            closeNow = true;
            error = num;
          } else if (num > 0) {
            c.sendData = c.sendData.slice(num);
            // socketSendData: all sent, and no close wanted: 'drain'
            if (!c.sendData && !c.close) this.enqueue(c, c.req, "drain", [c.req]);
          }
        } else {
          if (c.close) closeNow = true;
          if (isHttp) {
            if (c.receiveCount > 0 || !hadHeaders) closeNow = false;
            else if (!c.ended) {
              c.ended = true;
              this.enqueue(c, c.res, "end", []);
            }
          }
        }
        const got = this.netRecv(c);
        if (typeof got === "number" && got < 0) {
          closeNow = true;
          if (got === SOCKET_ERR_CLOSED) {
            if (!isHttp || c.receiveCount > 0 || !hadHeaders) error = hadHeaders ? got : SOCKET_ERR_NO_RESP;
          } else error = got;
        } else {
          // a socket is connected once a recv does not fail (the handshake done, over TLS)
          if (!c.connected && !isHttp && c.tlsState === "secure") this.socketConnected(c, !c.sendData);
          if (typeof got === "string") {
            receiveData = this.received(c, receiveData + got);
            c.receiveData = receiveData;
          }
        }
      }
    }
    if (closeNow) {
      receiveData = this.pushReceiveData(c, receiveData, true);
      if (!receiveData) {
        if (c.sendData && error === SOCKET_ERR_CLOSED) error = SOCKET_ERR_UNSENT_DATA;
        this.conns = this.conns.filter((x) => x !== c);
        c.close = true;
        c.closeNow = true;
        if (c.socket) sockets().destroy(c.socket);
        // fireErrorEvent: only the request (or the socket) hears it; a plain close is no error
        const hadError = error < 0 && error !== SOCKET_ERR_CLOSED;
        if (hadError) {
          const p = this.pending.get(c.req);
          if (p) this.enqueue(c, c.req, "error", [p.realm.fromHost({ code: error, message: socketErrorString(error) })]);
        }
        if (!c.ended) {
          c.ended = true;
          this.enqueue(c, c.res, "end", []);
        }
        this.enqueue(c, c.res, "close", [hadError]);
        this.finish(c, hadError ? socketErrorString(error) : undefined);
        return true;
      }
      c.receiveData = receiveData;
    }
    const after = [c.sendData, c.receiveData, c.inbound.length, c.hadHeaders, c.ended, c.buffer, this.queue.length, c.remote, c.connected].join("\u0000");
    return before !== after;
  }

  /** A socket's 'connect' (with the socket), and 'drain' when nothing waits to be sent. */
  private socketConnected(c: Conn, drain: boolean): void {
    c.connected = true;
    this.enqueue(c, c.req, "connect", [c.req]);
    if (drain) this.enqueue(c, c.req, "drain", [c.req]);
  }

  /** socketReceived: the head first (then the response callback), then the body. */
  private received(c: Conn, data: string): string {
    let rd = data;
    if (c.kind === "socket") {
      // the log's status, as a sniffer reads it from the first line that comes back
      if (c.entry.status === undefined) {
        const m = /^HTTP\/1\.[01] ([0-9]{3})/.exec(rd);
        if (m) c.entry.status = Number(m[1]);
      }
      return this.pushReceiveData(c, rd, false);
    }
    if (!c.hadHeaders) {
      const head = parseResponseHead(rd);
      if (head) {
        const p = this.pending.get(c.req);
        const headers: Record<string, string> = {};
        for (const [k, v] of head.headers) if (!Object.prototype.hasOwnProperty.call(headers, k)) headers[k] = v;
        const te = headerI(head.headers, "Transfer-Encoding");
        if (te !== undefined && te.toLowerCase() === "chunked") {
          c.resChunked = true;
          c.receiveCount = 1;
        } else c.receiveCount = integerOf(headerI(head.headers, "Content-Length"));
        const res = c.res as Record<string, unknown>;
        res.headers = p ? p.realm.fromHost(headers) : headers;
        res.httpVersion = head.httpVersion;
        res.statusCode = head.statusCode;
        res.statusMessage = head.statusMessage;
        c.hadHeaders = true;
        c.entry.status = parseInt(head.statusCode, 10);
        rd = head.rest;
        this.enqueue(c, c.req, "connect", [c.res]);
      }
    }
    if (!c.hadHeaders) return rd;
    return this.pushReceiveData(c, rd, false);
  }

  /** socketPushReceiveData: de-chunk, count, hand to 'data' (or the stream buffer); what is left. */
  private pushReceiveData(c: Conn, data: string, force: boolean): string {
    let rd = data;
    if (!rd) return rd;
    let nextChunk = "";
    let partialChunk = "";
    if (c.resChunked) {
      const len = rd.length;
      if (len < 5) return rd;
      let startIdx = rd.indexOf("\r\n");
      const chunkLen = parseInt(rd, 16) || 0;
      c.receiveCount = chunkLen ? 1 : 0;
      if (!chunkLen) return "";
      startIdx += 2;
      const nextIdx = startIdx + chunkLen + 2;
      if (nextIdx < len) nextChunk = rd.slice(nextIdx);
      else if (nextIdx > len) {
        if (nextIdx - len < 3) return rd; // only the CRLF is missing: wait
        partialChunk = (nextIdx - len - 2).toString(16) + "\r\n";
      }
      rd = rd.substr(startIdx, chunkLen);
    } else {
      c.receiveCount -= rd.length;
    }
    if (rd && !this.pushData(c, rd, force)) return rd;
    rd = nextChunk || partialChunk;
    if (nextChunk) rd = this.pushReceiveData(c, rd, force);
    return rd;
  }

  /** Depth of 'data' listeners of TLS sockets running now (see the socket module's connect). */
  inTlsData = 0;

  /** jswrap_stream_pushData: to the 'data' listeners now, or into the buffer (512 bytes). */
  private pushData(c: Conn, data: string, force: boolean): boolean {
    const fns = this.emitters.listeners(c.res, "data");
    if (fns.length) {
      const gen = this.gen;
      const tls = c.kind === "socket" && c.tls;
      for (const fn of fns) {
        if (this.gen !== gen || c.realmGen !== gen) continue;
        if (tls) this.inTlsData++;
        try {
          this.task(() => fn.call(c.res, data));
        } finally {
          if (tls) this.inTlsData--;
        }
      }
      return true;
    }
    if (c.buffer === undefined) {
      c.buffer = data;
      return true;
    }
    const ok = c.buffer.length + data.length <= STREAM_MAX_BUFFER_SIZE;
    if ((ok || force) && c.buffer.length < STREAM_MAX_BUFFER_SIZE) c.buffer += data.slice(0, STREAM_MAX_BUFFER_SIZE - c.buffer.length);
    return ok;
  }

  /** Ends a connection in the simulator only: the socket goes, the firmware hears nothing. */
  private drop(c: Conn, why: string): void {
    if (c.socket) sockets().destroy(c.socket);
    this.finish(c, why);
  }

  private finish(c: Conn, error: string | undefined): void {
    if (c.entry.doneAt !== undefined || !c.entry.url) return;
    if (error !== undefined) c.entry.error = error;
    c.entry.doneAt = this.host.now();
    this.onResponse(c.entry);
    if (!this.inFlight) for (const w of this.waiters.splice(0)) w();
  }
}

/** The method and URL of an HTTP request a socket carries, for the board's network log (not the device's). */
function sniffRequest(entry: NetLogEntry, bytes: string): void {
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/.exec(bytes);
  if (!m) return;
  entry.method = m[1];
  if (m[2].startsWith("/")) entry.url += m[2];
}

/** `ca` as the device reads it: a function's result; an array's items one after another (JSV_GET_AS_CHAR_ARRAY). */
function caBytes(ca: unknown): Buffer {
  let value: unknown = ca;
  if (typeof value === "function") value = (value as () => unknown)();
  const text = Array.isArray(value) ? value.map(asByteString).join("") : asByteString(value);
  return Buffer.from(text, "latin1");
}

/** DER certificates one after another (each a SEQUENCE and its length), or null where one is not. */
function splitDer(der: Buffer): Buffer[] | null {
  const out: Buffer[] = [];
  let p = 0;
  while (p < der.length) {
    if (der[p] !== 0x30 || p + 2 > der.length) return null;
    let len = der[p + 1];
    let head = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 3 || p + 2 + n > der.length) return null;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + der[p + 2 + k];
      head += n;
    }
    if (p + head + len > der.length) return null;
    out.push(der.subarray(p, p + head + len));
    p += head + len;
  }
  return out;
}

/** The codepair image's trust set from `ca`: each certificate, as PEM. */
function certificatesOf(ca: unknown): string[] {
  return (splitDer(caBytes(ca)) || []).map((d) => new X509Certificate(d).toString());
}

/**
 * What ssl_load_cacert makes of `ca`: nothing wrong, or the warning and error the device gives.
 * 2v29 parses the first certificate only; the codepair image (`all`) every one.
 */
function certificateProblem(ca: unknown, realm: Realm, all: boolean): { warning?: string; error: Error } | undefined {
  if (ca === undefined) return undefined;
  // decode_certificate_var: a short string names a file (USE_FILESYSTEM, on the ESP32 too)
  if (typeof ca === "string" && ca.length <= 100) {
    return { warning: 'WARNING: File "' + ca + '" not found', error: new realm.Error("Could not open file : UNKNOWN") };
  }
  const der = caBytes(ca);
  const parsed = (d: Buffer): boolean => {
    try {
      new X509Certificate(d);
      return d[0] === 0x30;
    } catch {
      return false;
    }
  };
  const each = der[0] === 0x30 ? splitDer(der) : null;
  if (each ? (all ? each : each.slice(0, 1)).every(parsed) : parsed(der)) return undefined;
  // mbedtls_x509_crt_parse_der: not a SEQUENCE at all (a PEM text) is "Invalid format"; a
  // broken SEQUENCE is reported by its code
  const code = der[0] === 0x30 ? "-0x21e2" : "Invalid format";
  return { error: new realm.InternalError("HTTPS init failed! mbedtls_x509_crt_parse of 'ca': " + code) };
}
