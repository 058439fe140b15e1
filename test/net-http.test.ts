// firmware/net/http.ts on the simulated board and, where $ESPRUINO names one, on the real
// interpreter, against one loopback server that records what arrives: the request head as
// the server reads it (our User-Agent first), the form body byte for byte, the replies as
// the firmware sees them (JSON members, Retry-After, no reply in time, a refused port, plain
// http:// to a remote host refused before any socket).
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { VERSION } from "../firmware/version.ts";
import { Board } from "../host-sim/board.ts";
import { ESPRUINO, runLive } from "./support/espruino.ts";
import { drive } from "./support/pairing.ts";

interface Seen {
  method: string;
  url: string;
  userAgent: string | undefined;
  rawUserAgents: string[];
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: Server;
let port = 0;
let dead = 0;
let closedByDevice = 0;
const seen: Seen[] = [];
const held: { end(): void }[] = [];
let code = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("latin1");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const raw = req.rawHeaders;
      const rawUserAgents = raw.filter((_, i) => i % 2 === 1 && raw[i - 1].toLowerCase() === "user-agent");
      seen.push({ method: req.method!, url: req.url!, userAgent: req.headers["user-agent"], rawUserAgents, headers: req.headers, body });
      if (req.url!.startsWith("/json")) {
        res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "7" });
        res.end('{"a":"x","n":1,"skip":[1,2,3]}');
      } else if (req.url === "/html") {
        res.writeHead(404, { "Content-Type": "text/html" });
        res.end("<html>not here</html>");
      } else {
        // /slow: never answered while the test runs; the device closes it when it gives up
        held.push(res);
        res.on("close", () => closedByDevice++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
  // a port nothing listens on
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  dead = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const out = await bundleFirmware({ entry: "test/fixtures/net/entry.ts" });
  if (!out.ok) throw new Error(JSON.stringify(out.problems));
  code = out.code;
});

afterAll(async () => {
  for (const res of held) res.end();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function expectations(lines: string[], from: Seen[]): void {
  const replies: Record<string, { status: number; error: string; retryAfter: number; body: unknown }> = {};
  for (const l of lines) if (l.startsWith("REPLY ")) replies[l.split(" ")[1]] = JSON.parse(l.slice(l.indexOf("{")));
  expect(replies.form).toEqual({ status: 429, error: "", retryAfter: 7, body: { ok: true, members: { a: "x", n: 1 }, objects: [] } });
  expect(replies.get.body).toEqual({ ok: true, members: { a: "x" }, objects: [] });
  expect(replies.html).toMatchObject({ status: 404, body: { ok: false, at: 0 } });
  expect(replies.slow).toEqual({ status: 0, error: "timeout", retryAfter: -1, body: null });
  expect(replies.refused).toEqual({ status: 0, error: "connect", retryAfter: -1, body: null });
  expect(replies.plain).toEqual({ status: 0, error: "refused http://", retryAfter: -1, body: null });
  expect(replies.bad).toEqual({ status: 0, error: "bad URL", retryAfter: -1, body: null });
  expect(lines).toContain("URL a%20b=%C3%A9~ true false");
  // what the server read: our User-Agent, once (the firmware writes the request itself)
  const form = from.find((s) => s.url === "/json?q=1")!;
  expect(form.method).toBe("POST");
  expect(form.userAgent).toBe("codepair/" + VERSION);
  expect(form.rawUserAgents).toEqual(["codepair/" + VERSION]);
  expect(form.headers.host).toBe("127.0.0.1:" + port);
  expect(form.headers.accept).toBe("application/json");
  expect(form.headers["content-type"]).toBe("application/x-www-form-urlencoded");
  expect(form.body).toBe("k=%C3%A9%20%26&grant_type=refresh_token");
  expect(form.headers["content-length"]).toBe(String(form.body.length));
  const get = from.find((s) => s.url === "/json")!;
  expect(get.headers.authorization).toBe("Bearer t");
  expect(get.headers["content-length"]).toBeUndefined();
  expect(from.map((s) => s.url)).toEqual(["/json?q=1", "/json", "/html", "/slow"]);
}

describe("net/http.ts", () => {
  it("on the simulated board", async () => {
    const board = new Board();
    board.wifi.networks.net = "p";
    board.flash.set("net.json", JSON.stringify({ port, dead }));
    const from = seen.length;
    board.boot(code);
    const closed = closedByDevice;
    await drive(board, { held: () => held.length }, 60000, () => board.console.lines.includes("DONE"));
    expect(board.uncaught).toEqual([]);
    expectations(board.console.lines, seen.slice(from));
    // the request that timed out was closed by the device, not left open
    await until(() => closedByDevice > closed);
  });

  it.skipIf(!ESPRUINO)("on the real interpreter", async () => {
    const from = seen.length;
    const closed = closedByDevice;
    const lines = await runLive(code, {}, (line) => line === "DONE", 20000, `require("Storage").writeJSON("net.json", ${JSON.stringify({ port, dead })});\n`);
    expectations(lines, seen.slice(from));
    await until(() => closedByDevice > closed);
  });
});

/** Waits (real time, at most 5 s; not a timing assertion) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let k = 0; k < 500 && !cond(); k++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
