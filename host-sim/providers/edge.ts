// An HTTPS edge in front of a plain HTTP server, behaving as the providers' CDN edges do:
// - it reads the ClientHello first and refuses (a fatal unrecognized_name alert, RFC 6066 §3,
//   then close) one whose server name is not its host, or that has none: Auth0 documents that
//   its edge "requires a Server Name Indication (SNI) to be set on all requests"; Cloudflare
//   and CloudFront's SNI-only mode do the same;
// - it speaks TLS 1.2 and 1.3 and offers only ECDHE suites on TLS 1.2 (Auth0's choice);
// - then it forwards the decrypted bytes to the server behind it (the Host header made the
//   server's own, as a CDN names its origin), and back.
// Every connection is recorded: the name the client sent, whether it was refused, the TLS
// version and suite, and how many bytes of application data came through (what a test asserts
// on: a refused or unverified client must send none).
import net, { type AddressInfo } from "node:net";
import { Duplex } from "node:stream";
import tls from "node:tls";

/** ECDHE suites only, for TLS 1.2 (TLS 1.3's are ECDHE by design). */
export const EDGE_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

export interface EdgeConnection {
  /** the server name of the ClientHello, null when it had none */
  servername: string | null;
  refused: boolean;
  /** once the handshake completed: "TLSv1.2", "TLSv1.3" */
  protocol?: string;
  cipher?: string;
  /** bytes of application data the client sent (decrypted) */
  appBytes: number;
  /** why TLS failed after the ClientHello was accepted (Node's code), if it did */
  tlsError?: string;
}

export interface Edge {
  port: number;
  /** https://HOST:PORT */
  url: string;
  connections: EdgeConnection[];
  close(): Promise<void>;
}

export interface EdgeOptions {
  /** the host name it serves (its certificate's) */
  host: string;
  key: string;
  cert: string;
  /** where the plain HTTP server behind it listens (127.0.0.1) */
  backendPort: number;
  /** loopback port to listen on (0: any) */
  port?: number;
}

/**
 * The server name in a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3): the name, null when the
 * hello has none, undefined while more bytes are needed. Throws if it is not a ClientHello.
 */
export function clientHelloServerName(b: Buffer): string | null | undefined {
  if (b.length < 5) return undefined;
  if (b[0] !== 22) throw new Error("not a TLS handshake record");
  const recordEnd = 5 + b.readUInt16BE(3);
  if (b.length < recordEnd) return undefined;
  let p = 5;
  if (b[p] !== 1) throw new Error("not a ClientHello");
  p += 4 + 2 + 32; // handshake header, client_version, random
  p += 1 + b[p]; // session id
  p += 2 + b.readUInt16BE(p); // cipher suites
  p += 1 + b[p]; // compression methods
  if (p + 2 > recordEnd) return null; // no extensions
  const extEnd = Math.min(recordEnd, p + 2 + b.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    p += 4;
    if (type === 0) {
      // server_name: a list of (type, name); type 0 is host_name
      let q = p + 2;
      while (q + 3 <= p + len) {
        const nameType = b[q];
        const nameLen = b.readUInt16BE(q + 1);
        if (nameType === 0) return b.subarray(q + 3, q + 3 + nameLen).toString("latin1");
        q += 3 + nameLen;
      }
      return null;
    }
    p += len;
  }
  return null;
}

/** A fatal alert record: unrecognized_name (112). */
const UNRECOGNIZED_NAME = Buffer.from([21, 3, 1, 0, 2, 2, 112]);

export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const connections: EdgeConnection[] = [];
  const open = new Set<net.Socket>();
  const secure = tls.createServer({
    key: opts.key,
    cert: opts.cert,
    ciphers: EDGE_CIPHERS,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
  });
  secure.on("secureConnection", (s: tls.TLSSocket) => {
    const c = (s as tls.TLSSocket & { edge?: EdgeConnection }).edge;
    if (c) {
      c.protocol = s.getProtocol() || undefined;
      c.cipher = s.getCipher().name;
    }
    const back = net.connect({ host: "127.0.0.1", port: opts.backendPort });
    open.add(back);
    back.on("close", () => open.delete(back));
    // as a CDN sends its origin the origin's name: the first request's Host becomes the
    // server's own (the mock providers answer only requests naming them: DNS rebinding)
    let head: Buffer | null = Buffer.alloc(0);
    s.on("data", (d: Buffer) => {
      if (c) c.appBytes += d.length;
      if (!head) return void back.write(d);
      head = Buffer.concat([head, d]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0 && head.length < 16384) return;
      const text = head.toString("latin1");
      const at = end < 0 ? text.length : end;
      back.write(Buffer.from(text.slice(0, at).replace(/\r\nHost:[^\r]*/i, "\r\nHost: 127.0.0.1:" + opts.backendPort) + text.slice(at), "latin1"));
      head = null;
    });
    s.on("end", () => back.end());
    back.on("data", (d: Buffer) => s.write(d));
    back.on("end", () => s.end());
    back.on("error", () => s.destroy());
    s.on("error", () => back.destroy());
  });
  secure.on("tlsClientError", (e: NodeJS.ErrnoException, s: tls.TLSSocket) => {
    const c = (s as tls.TLSSocket & { edge?: EdgeConnection }).edge;
    if (c) c.tlsError = e.code || e.message;
  });

  const front = net.createServer((raw) => {
    open.add(raw);
    raw.on("close", () => open.delete(raw));
    raw.on("error", () => raw.destroy());
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      let name: string | null | undefined;
      try {
        name = clientHelloServerName(head);
      } catch {
        raw.destroy();
        return;
      }
      if (name === undefined) return;
      raw.off("data", onData);
      const c: EdgeConnection = { servername: name, refused: name !== opts.host, appBytes: 0 };
      connections.push(c);
      if (c.refused) {
        raw.end(UNRECOGNIZED_NAME);
        return;
      }
      // hand the bytes, hello included, to a TLS socket (through a plain stream: a TLSSocket
      // over a net.Socket would read its handle directly and miss the hello read here)
      const pipe = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, cb) {
          raw.write(chunk, cb);
        },
        final(cb) {
          raw.end();
          cb();
        },
        destroy(err, cb) {
          raw.destroy();
          cb(err);
        },
      });
      pipe.push(head);
      raw.on("data", (b: Buffer) => pipe.push(b));
      raw.on("end", () => pipe.push(null));
      raw.on("close", () => pipe.destroy());
      const s = new tls.TLSSocket(pipe, { isServer: true, server: secure, secureContext: tls.createSecureContext({
        key: opts.key, cert: opts.cert, ciphers: EDGE_CIPHERS, minVersion: "TLSv1.2", maxVersion: "TLSv1.3" }) });
      (s as tls.TLSSocket & { edge?: EdgeConnection }).edge = c;
      s.on("secure", () => secure.emit("secureConnection", s));
      s.on("error", (e: NodeJS.ErrnoException) => {
        if (!c.protocol) c.tlsError = e.code || e.message;
        s.destroy();
      });
    };
    raw.on("data", onData);
  });
  await new Promise<void>((resolve) => front.listen(opts.port || 0, "127.0.0.1", resolve));
  const port = (front.address() as AddressInfo).port;
  return {
    port,
    url: "https://" + opts.host + ":" + port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        front.close(() => resolve());
      }),
  };
}
