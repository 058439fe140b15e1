// The set-up's captive portal: the page's HTTP server and the name server, on the device's
// access point. The page is served over a `net` server with an HTTP/1.1 reader of its own
// rather than Espruino's http.createServer, because 2v29's HTTP server (libs/network/
// socketserver.c, httpParseHeaders) keeps every byte of a request until its blank line before
// the firmware hears of it: a request whose head never ends can neither be seen nor closed, and
// a long one fills the interpreter's memory, which it cannot survive (the README's security
// notes say the same of its HTTP client). Here each connection is bounded: its head to
// HEAD_MAX bytes, its body to BODY_MAX, its whole life to REQUEST_TIME, and at most
// CONNECTIONS at once. Every GET is answered with the set-up page (so a phone's check for the
// internet, at whatever address the name server gave, shows it); only a POST of the form to /
// can save anything.
import { dnsReply } from "./dns";
import { readForm, type WifiChoice } from "./form";
import { savedPage, setupPage, type ScannedNetwork } from "./page";

/** A request's head (request line and headers) is at most this many bytes. */
export const HEAD_MAX = 2048;
/** A form's body is at most this many bytes (the form itself is under 200). */
export const BODY_MAX = 1024;
/** A request must be whole within this many ms of its connection, else it is answered 408 and closed. */
export const REQUEST_TIME = 10000;
/** Connections served at once; more are closed at once (the ESP32's lwIP has 10 sockets in all). */
export const CONNECTIONS = 4;

export interface PortalOptions {
  /** the access point's address: the name server's answer */
  ip: string;
  httpPort: number;
  dnsPort: number;
  /** the networks to list, strongest first */
  networks(): ScannedNetwork[];
  /** a message above the form (why the last join failed), or "" */
  message(): string;
  /** keeps the choice: "" once it is saved, else why not (a sentence for the page) */
  save(choice: WifiChoice): string;
  /** called once the page after Save has gone out (its connection closed) */
  saved(choice: WifiChoice): void;
}

export interface Portal {
  /** closes the server, the name server and every connection */
  stop(): void;
}

const REASONS: { [code: number]: string } = { 200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 408: "Request Timeout", 413: "Content Too Large", 431: "Request Header Fields Too Large" };

/** One HTTP/1.1 response, closing the connection (RFC 9112). */
function response(status: number, body: string): string {
  return (
    "HTTP/1.1 " + status + " " + REASONS[status] + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " + body.length +
    "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + body
  );
}

/** A request's head: method, target and the two headers that matter, or null when it is not HTTP/1.x. */
function readHead(head: string): { method: string; target: string; type: string; length: number; chunked: boolean } | null {
  const lines = head.split("\r\n");
  const first = lines[0].split(" ");
  if (first.length !== 3 || !/^HTTP\/1\.[01]$/.test(first[2]) || !/^[A-Z]+$/.test(first[0])) return null;
  let type = "";
  let length = -1;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(":");
    if (colon <= 0) return null;
    const name = lines[i].substr(0, colon).toLowerCase();
    const value = lines[i].substr(colon + 1).trim();
    if (name === "content-type") type = value.toLowerCase();
    else if (name === "transfer-encoding") chunked = true;
    else if (name === "content-length") {
      // one Content-Length, digits only (RFC 9110 §8.6)
      if (length >= 0 || !/^[0-9]+$/.test(value) || value.length > 6) return null;
      length = parseInt(value, 10);
    }
  }
  return { method: first[0], target: first[1], type: type, length: length, chunked: chunked };
}

export function startPortal(o: PortalOptions): Portal {
  let open = 0;
  const sockets: NetSocket[] = [];
  const server = require("net").createServer((sock: NetSocket) => {
    if (open >= CONNECTIONS) {
      sock.end();
      return;
    }
    open++;
    sockets.push(sock);
    let data = "";
    let done = false;
    let after: WifiChoice | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reply = (status: number, body: string): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      sock.write(response(status, body));
      sock.end();
    };
    const page = (status: number, message: string): void => reply(status, setupPage(o.networks(), message));
    timer = setTimeout(() => reply(408, "<p>Too slow.</p>"), REQUEST_TIME);
    sock.on("close", () => {
      if (timer !== undefined) clearTimeout(timer);
      open--;
      const at = sockets.indexOf(sock);
      if (at >= 0) sockets.splice(at, 1);
      if (after) o.saved(after);
    });
    sock.on("data", (chunk: string) => {
      if (done) return;
      data += chunk;
      let end = data.indexOf("\r\n\r\n");
      // 2v29's indexOf also matches a text that ends with the start of what is sought
      // ("ab\r\n".indexOf("\r\n\r\n") is 2: host-sim/realm.ts): whole matches only
      if (end + 4 > data.length) end = -1;
      if (end < 0) {
        if (data.length > HEAD_MAX) reply(431, "<p>Request too long.</p>");
        return;
      }
      if (end > HEAD_MAX) return reply(431, "<p>Request too long.</p>");
      const head = readHead(data.substr(0, end));
      if (!head) return page(400, "That was not a request this page understands.");
      if (head.method === "GET" || head.method === "HEAD") return page(200, o.message());
      if (head.method !== "POST") return reply(405, "<p>Only GET and POST.</p>");
      if (head.target !== "/" || head.type.split(";")[0].trim() !== "application/x-www-form-urlencoded" || head.chunked || head.length < 0) {
        return page(400, "That was not the set-up form: nothing was changed.");
      }
      if (head.length > BODY_MAX) return page(413, "The form was too long: nothing was changed.");
      const body = data.substr(end + 4);
      if (body.length < head.length) return;
      if (body.length > head.length) return page(400, "That was not the set-up form: nothing was changed.");
      const choice = readForm(body);
      if (typeof choice === "string") return page(400, choice + " Nothing was changed.");
      const problem = o.save(choice);
      if (problem) return page(200, problem);
      after = choice;
      reply(200, savedPage(choice.ssid));
    });
  });
  server.listen(o.httpPort);

  const dns = require("dgram").createSocket("udp4");
  dns.on("message", (msg: string, from: { address: string; port: number }) => {
    const answer = dnsReply(msg, o.ip);
    if (answer) dns.send(answer, from.port, from.address);
  });
  dns.bind(o.dnsPort);

  return {
    stop: (): void => {
      server.close();
      dns.close();
      while (sockets.length) (sockets.pop() as NetSocket).end();
    },
  };
}
