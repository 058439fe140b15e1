// firmware/net/http.ts over Espruino's `tls` sockets (issue 19's transport), on the simulated
// board and on the real interpreter, against a Node HTTPS server with a certificate made at
// run time: a body by Content-Length and one in chunked coding (RFC 9112 §7.1) both read.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { Board } from "../host-sim/board.ts";
import { ESPRUINO, runLive } from "./support/espruino.ts";
import { drive } from "./support/pairing.ts";

let server: Server;
let port = 0;
let caDer = "";
let code = "";
const seen: { url: string; body: string; ua: string | undefined }[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "codepair-cert-"));
  let key = "";
  let cert = "";
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    key = readFileSync(join(dir, "key.pem"), "utf8");
    cert = readFileSync(join(dir, "cert.pem"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  caDer = Buffer.from(new X509Certificate(cert).raw).toString("base64");
  server = createServer({ key, cert }, (req, res) => {
    let body = "";
    req.setEncoding("latin1");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ url: req.url!, body, ua: req.headers["user-agent"] });
      if (req.url === "/length") {
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "16" });
        res.end('{"a":"x","n":12}');
      } else {
        // no length: Node sends it chunked, one chunk a write
        res.writeHead(200, { "Content-Type": "application/json" });
        res.write('{"a":"');
        res.write("y".repeat(700));
        setTimeout(() => res.end('","n":3}'), 20);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
  const out = await bundleFirmware({ entry: "test/fixtures/net/https-entry.ts" });
  if (!out.ok) throw new Error(JSON.stringify(out.problems));
  code = out.code;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function expectations(lines: string[]): void {
  const replies: Record<string, unknown> = {};
  for (const l of lines) if (l.startsWith("REPLY ")) replies[l.split(" ")[1]] = JSON.parse(l.slice(l.indexOf("{")));
  expect(replies.length).toEqual({ status: 200, error: "", retryAfter: -1, body: { ok: true, members: { a: "x", n: 12 }, objects: [] } });
  expect(replies.chunked).toEqual({ status: 200, error: "", retryAfter: -1, body: { ok: true, members: { a: "y".repeat(700), n: 3 }, objects: [] } });
}

/**
 * A TLS socket whose 'data' listener opens the next TLS socket at once, or (`later`) from a timer
 * once the first has closed: the ESP32-like build's mbedTLS heap (70000 bytes, patch 0004) holds
 * one connection, so a second opened while the first is still up fails "Not enough memory", as
 * on a board; the firmware also hands a reply over only after its socket closed.
 */
const chain = (p: number, later: boolean): string => `
var n = 0;
function one() {
  if (n === 2) { print("DONE"); return; }
  n++;
  var s = require("tls").connect({ host: "127.0.0.1", port: ${p} }, function () {});
  var first = true;
  s.on("data", function () { if (first) { first = false; print("data " + n); ${later ? "" : "one();"} } });
  ${later ? 's.on("close", function () { if (!first) setTimeout(one, 0); });' : ""}
  s.write("POST /length HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\nContent-Length: 0\\r\\n\\r\\n");
}
require("Wifi").connect("net", { password: "p" }, function () { one(); });
`;

describe("a TLS connect inside a TLS socket's 'data' listener", () => {
  it("stops the simulated board, as it crashes the interpreter; from a timer after the close it is fine", async () => {
    for (const later of [false, true]) {
      const board = new Board();
      board.wifi.networks.net = "p";
      board.boot(chain(port, later));
      await drive(board, { held: () => 0 }, 60000, () => board.console.lines.includes("DONE") || !board.powered);
      if (later) {
        expect(board.uncaught).toEqual([]);
        expect(board.console.lines).toContain("DONE");
      } else {
        expect(board.powered).toBe(false);
        expect(board.console.lines.filter((l) => l.startsWith("data") || l.includes("crash"))).toEqual([
          "data 1",
          "codepair-sim: the interpreter would crash here: tls.connect() inside a TLS socket's 'data' listener: 2v29 crashes (SIGSEGV)",
        ]);
      }
    }
  });

  it.skipIf(!ESPRUINO)("on the real interpreter: the process dies at once; from a timer after the close it is fine", async () => {
    const now = await runLive(chain(port, false), {}, (line) => line === "DONE", 20000);
    expect(now.filter((l) => l.startsWith("data") || l === "DONE")).toEqual(["data 1"]);
    const later = await runLive(chain(port, true), {}, (line) => line === "DONE", 20000);
    expect(later.filter((l) => l.startsWith("data") || l === "DONE")).toEqual(["data 1", "data 2", "DONE"]);
  }, 60000);
});

describe("net/http.ts over tls", () => {
  it("on the simulated board", async () => {
    const board = new Board();
    board.wifi.networks.net = "p";
    board.flash.set("tls.json", JSON.stringify({ port, ca: caDer }));
    const from = seen.length;
    board.boot(code);
    await drive(board, { held: () => 0 }, 60000, () => board.console.lines.includes("DONE"));
    expect(board.uncaught).toEqual([]);
    expectations(board.console.lines);
    expect(seen.slice(from).map((s) => [s.url, s.body])).toEqual([["/length", "k=v"], ["/chunked", "k=v"]]);
  });

  it.skipIf(!ESPRUINO)("on the real interpreter", async () => {
    const from = seen.length;
    const lines = await runLive(code, {}, (line) => line === "DONE", 60000, `require("Storage").writeJSON("tls.json", ${JSON.stringify({ port, ca: caDer })});\n`);
    expect(lines.filter((l) => /Uncaught|ERROR/.test(l))).toEqual([]);
    expectations(lines);
    expect(seen.slice(from).map((s) => s.ua)).toEqual([expect.stringMatching(/^codepair\//), expect.stringMatching(/^codepair\//)]);
  }, 90000);
});
