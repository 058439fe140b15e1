// The captive portal's name server: every A query is answered with the device's address, so a
// phone that joins the access point and checks for the internet (Android's
// connectivitycheck.gstatic.com, Apple's captive.apple.com, …) lands on the set-up page.
// RFC 1035 §4.1: a 12-byte header (ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT), then the
// question (a name as labels, QTYPE, QCLASS). Only a standard query (QR 0, OPCODE 0) with one
// question whose name is well formed gets a reply: A (1) or ANY (255) in class IN an answer,
// any other type (AAAA) none (NOERROR, no data, so the phone asks for A). Anything else is
// dropped: no reply.

/** RFC 1035 §4.2.1: a UDP message is at most 512 bytes. */
export const DNS_MAX = 512;
/** Seconds a phone may keep the answer: short, since after set-up the names are the internet's again. */
export const DNS_TTL = 10;

const u16 = (v: number): string => String.fromCharCode((v >> 8) & 255, v & 255);

/** The reply to a query (a byte string), answering with `ip` ("192.168.4.1"); "" for none. */
export function dnsReply(query: string, ip: string): string {
  if (query.length < 12 || query.length > DNS_MAX) return "";
  const b = (i: number): number => query.charCodeAt(i);
  const flags = (b(2) << 8) | b(3);
  // QR must be 0 (a query) and OPCODE 0 (a standard query)
  if (flags & 0xf800) return "";
  if (((b(4) << 8) | b(5)) !== 1) return "";
  // the name: labels of 1..63 bytes up to a zero byte, 255 bytes in all (§2.3.4); no pointer
  let p = 12;
  for (;;) {
    if (p >= query.length) return "";
    const len = b(p);
    if (len === 0) break;
    if (len > 63) return "";
    p += len + 1;
    if (p - 12 > 255) return "";
  }
  p++;
  if (p + 4 > query.length) return "";
  const qtype = (b(p) << 8) | b(p + 1);
  const qclass = (b(p + 2) << 8) | b(p + 3);
  const question = query.substring(12, p + 4);
  const answer = (qtype === 1 || qtype === 255) && qclass === 1;
  const parts = ip.split(".");
  // header: the query's ID; QR 1, AA 1, RD as asked, RCODE 0; one question, 0 or 1 answer
  let reply = query.substr(0, 2) + String.fromCharCode(0x84 | (b(2) & 1), 0) + u16(1) + u16(answer ? 1 : 0) + u16(0) + u16(0) + question;
  if (answer) {
    // the name as a pointer to the question's (offset 12), type A, class IN, TTL, 4 bytes
    reply += "\xc0\x0c" + u16(1) + u16(1) + u16(0) + u16(DNS_TTL) + u16(4);
    for (let i = 0; i < 4; i++) reply += String.fromCharCode(parseInt(parts[i], 10) & 255);
  }
  return reply;
}
