// A device-flow server written to misbehave, for tests (issue 19): an RFC 8628 server
// (device authorization, token, refresh, userinfo) on 127.0.0.1 only, speaking raw TCP so that
// a scenario can answer with anything (a head of 150 KB, a token with CR/LF in it, a
// Retry-After of 70 digits, a link to javascript:, silence). Every request is recorded as it
// arrived, raw. It is bounded: at most MAX_OPEN connections at once (more are closed at once),
// none kept longer than MAX_LIFE_MS of real time, at most MAX_RECORDED requests recorded.
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export const MAX_OPEN = 32;
export const MAX_LIFE_MS = 60000;
export const MAX_RECORDED = 20000;
/** Most bytes of one request read (head and body). */
const MAX_REQUEST = 65536;

export type Endpoint = "start" | "poll" | "refresh" | "userinfo" | "other";

export interface Seen {
  endpoint: Endpoint;
  /** `now()` when the request's head came in */
  at: number;
  /** the request as it arrived (head and body), latin1 */
  raw: string;
  method: string;
  path: string;
  form: Record<string, string>;
}

/** What to answer: a JSON body (status 200 unless given), or raw bytes as they are, or nothing ever. */
export type Answer = { status?: number; json?: unknown; body?: string; headers?: [string, string][] } | { raw: string } | { hold: true };

export interface Scenario {
  /** An answer instead of the default one; `n` counts requests to that endpoint from 1. */
  answer?(endpoint: Endpoint, n: number, seen: Seen, server: HostileServer): Answer | undefined;
  /** The grant's members over the default ones (user_code, interval, …). */
  grant?: Record<string, unknown>;
  /** The token reply's members over the default ones; `n` counts tokens issued. */
  token?(n: number): Record<string, unknown>;
  /** The account's name in userinfo. */
  name?: string;
}

export interface HostileServer {
  url: string;
  port: number;
  seen: Seen[];
  /** Requests recorded since start (seen keeps the newest MAX_RECORDED). */
  count: number;
  /** Approve the pending code: polls now get a token. */
  approve(): void;
  /** Connections open now. */
  open(): number;
  /** Connections the server holds without answering (for the test support's settle()). */
  held(): number;
  /** Connections ever accepted. */
  accepted: number;
  close(): Promise<void>;
}

function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of body.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        return s;
      }
    };
    out[dec(eq < 0 ? part : part.slice(0, eq))] = dec(eq < 0 ? "" : part.slice(eq + 1));
  }
  return out;
}

function response(a: { status?: number; json?: unknown; body?: string; headers?: [string, string][] }): string {
  // a JSON body goes out as UTF-8 (RFC 8259 §8.1); `body` is sent as the bytes it holds
  const body = a.body !== undefined ? a.body : Buffer.from(JSON.stringify(a.json), "utf8").toString("latin1");
  const status = a.status || 200;
  let head = "HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + Buffer.byteLength(body, "latin1") + "\r\nConnection: close\r\n";
  for (const [k, v] of a.headers || []) head += k + ": " + v + "\r\n";
  return head + "\r\n" + body;
}

export async function startHostileServer(scenario: Scenario, now: () => number = Date.now): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const holding = new Set<Socket>();
  const counts: Record<Endpoint, number> = { start: 0, poll: 0, refresh: 0, userinfo: 0, other: 0 };
  let approved = false;
  let tokens = 0;
  let server: Server;
  const self: HostileServer = {
    url: "",
    port: 0,
    seen: [],
    count: 0,
    accepted: 0,
    approve: () => {
      approved = true;
    },
    open: () => sockets.size,
    held: () => holding.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const defaultAnswer = (endpoint: Endpoint, seen: Seen): Answer => {
    if (endpoint === "start") {
      return { json: { device_code: "dc-1", user_code: "HOST-ILE1", verification_uri: self.url + "/activate", expires_in: 900, interval: 5, ...scenario.grant } };
    }
    if (endpoint === "poll") {
      if (seen.form.device_code !== "dc-1") return { status: 400, json: { error: "invalid_grant" } };
      if (!approved) return { status: 400, json: { error: "authorization_pending" } };
    }
    if (endpoint === "poll" || endpoint === "refresh") {
      tokens++;
      return { json: { access_token: "tok-" + tokens, refresh_token: "ref-" + tokens, token_type: "Bearer", expires_in: 3600, ...(scenario.token ? scenario.token(tokens) : {}) } };
    }
    if (endpoint === "userinfo") return { json: { sub: "u1", name: scenario.name === undefined ? "Ann" : scenario.name } };
    return { status: 404, json: { error: "not_found" } };
  };

  const handle = (socket: Socket, raw: string): void => {
    const headEnd = raw.indexOf("\r\n\r\n");
    const head = raw.slice(0, headEnd);
    const lines = head.split("\r\n");
    const [method = "", path = ""] = lines[0].split(" ");
    const body = raw.slice(headEnd + 4);
    const form = parseForm(body);
    const endpoint: Endpoint =
      path.startsWith("/device") ? "start" : path.startsWith("/token") ? (form.grant_type === "refresh_token" ? "refresh" : "poll") : path.startsWith("/userinfo") ? "userinfo" : "other";
    const seen: Seen = { endpoint, at: now(), raw, method, path, form };
    self.count++;
    self.seen.push(seen);
    if (self.seen.length > MAX_RECORDED) self.seen.shift();
    counts[endpoint]++;
    const a = (scenario.answer && scenario.answer(endpoint, counts[endpoint], seen, self)) || defaultAnswer(endpoint, seen);
    if ("hold" in a) {
      holding.add(socket);
      return;
    }
    socket.end("raw" in a ? a.raw : response(a), "latin1");
  };

  server = createServer((socket) => {
    self.accepted++;
    if (sockets.size >= MAX_OPEN) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const life = setTimeout(() => socket.destroy(), MAX_LIFE_MS);
    let raw = "";
    let done = false;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      if (done) return;
      raw += chunk;
      if (raw.length > MAX_REQUEST) {
        done = true;
        socket.destroy();
        return;
      }
      const headEnd = raw.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const m = /\r\ncontent-length: *([0-9]+)/i.exec(raw.slice(0, headEnd));
      if (raw.length - headEnd - 4 < (m ? Number(m[1]) : 0)) return;
      done = true;
      handle(socket, raw);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(life);
      sockets.delete(socket);
      holding.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  self.port = (server.address() as AddressInfo).port;
  self.url = "http://127.0.0.1:" + self.port;
  return self;
}

/** A head far over any cap a device could afford: 150 lines of 1000 bytes, then a tiny body. */
export function hugeHead(): string {
  let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
  for (let k = 0; k < 150; k++) head += "X-Pad-" + String(k).padStart(3, "0") + ": " + "p".repeat(988) + "\r\n";
  return head + "Content-Length: 2\r\n\r\n{}";
}
