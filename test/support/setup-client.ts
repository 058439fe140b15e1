// A phone's side of the set-up portal, over loopback: raw HTTP requests (so a test can send
// what no browser would) and DNS queries.
import dgram from "node:dgram";
import net from "node:net";

export interface RawReply {
  status: number;
  head: string;
  body: string;
  /** ms from the connection to the close */
  ms: number;
}

/**
 * Sends `parts` (written one after another, `gapMs` apart) on one connection and reads
 * until the server closes; `null` when nothing came within `limitMs`.
 */
export function rawRequest(port: number, parts: string[], gapMs = 0, limitMs = 20000): Promise<RawReply | null> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = net.connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => s.destroy(), limitMs);
    s.on("connect", async () => {
      for (const p of parts) {
        if (s.destroyed) return;
        s.write(Buffer.from(p, "latin1"));
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    s.on("data", (d) => (got = Buffer.concat([got, d])));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(timer);
      const text = got.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
      resolve(m ? { status: Number(m[1]), head: text.slice(0, end), body: Buffer.from(text.slice(end + 4), "latin1").toString("utf8"), ms: Date.now() - started } : null);
    });
  });
}

export const get = (port: number, path = "/"): Promise<RawReply | null> => rawRequest(port, [`GET ${path} HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n`]);

/** A POST of a urlencoded body, as a browser sends the form. */
export function postForm(port: number, body: string, type = "application/x-www-form-urlencoded"): Promise<RawReply | null> {
  const bytes = Buffer.from(body, "utf8").toString("latin1");
  return rawRequest(port, [`POST / HTTP/1.1\r\nHost: 192.168.4.1\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n\r\n${bytes}`]);
}

/** A DNS query (RFC 1035 §4.1) for `name`, type `qtype` (1 A, 28 AAAA). */
export function dnsQuery(id: number, name: string, qtype: number): Buffer {
  const labels = name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")]));
  const head = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([head, ...labels, Buffer.from([0, qtype >> 8, qtype & 255, 0, 1])]);
}

/** Sends a datagram and waits for one reply (null: none within `limitMs`). */
export function udpExchange(port: number, msg: Buffer, limitMs = 1500): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, limitMs);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, port, "127.0.0.1");
  });
}

/** The A answers of a DNS reply, as dotted addresses (the name pointer form the portal sends). */
export function answersOf(reply: Buffer): { id: number; flags: number; addresses: string[] } {
  const an = reply.readUInt16BE(6);
  let p = 12;
  while (reply[p] !== 0) p += reply[p] + 1;
  p += 5;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    const type = reply.readUInt16BE(p + 2);
    const len = reply.readUInt16BE(p + 10);
    if (type === 1 && len === 4) addresses.push([...reply.subarray(p + 12, p + 16)].join("."));
    p += 12 + len;
  }
  return { id: reply.readUInt16BE(0), flags: reply.readUInt16BE(2), addresses };
}
