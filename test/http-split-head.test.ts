// firmware/net/http.ts reads a reply's head line by line as its pieces come, on the simulated
// board and, with $ESPRUINO, on the real interpreter:
// - a head in two pieces, one ending right after a header line's CRLF, is one head: 2v29's
//   indexOf finds "\r\n\r\n" in a text that only ends with "\r\n" (host-sim/realm.ts,
//   test/string-search-real.test.ts), so looking for the blank line in the head so far took
//   the first piece for the whole head;
// - a CRLF split between two pieces ends its line; a LF alone does not;
// - an interim 1xx reply's headers are not the final reply's;
// - a head of many lines is never kept whole: the JsVars in use while it comes stay flat.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { Board } from "../host-sim/board.ts";
import { ESPRUINO, runLive } from "./support/espruino.ts";

/** Header lines of the big head: 60 of 100 bytes, 6 KB (MAX_HEAD is 8 KB). */
const BIG_LINES = 60;
const bigHead = (): string => {
  let head = "HTTP/1.1 200 OK\r\n";
  for (let k = 0; k < BIG_LINES; k++) head += `X-Filler-${String(k).padStart(2, "0")}: ${"f".repeat(100 - 16)}\r\n`;
  return head + 'Content-Length: 13\r\n\r\n{"a":"whole"}';
};

/** Each path's reply, in pieces sent `gap` ms apart. */
const REPLIES: Record<string, { pieces: string[]; gap: number }> = {
  "/two": { pieces: ["HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", 'Content-Length: 13\r\n\r\n{"a":"whole"}'], gap: 300 },
  "/crlf": { pieces: ["HTTP/1.1 200 OK\r", "\nRetry-After: 7\r", "\n", "X-Bare: one\nRetry-After: 9\r\nContent-Length: 13\r\n\r", '\n{"a":"whole"}'], gap: 60 },
  "/interim": { pieces: ["HTTP/1.1 100 Continue\r\nRetry-After: 9\r\n\r\n", 'HTTP/1.1 503 Busy\r\nContent-Length: 13\r\n\r\n{"a":"whole"}'], gap: 60 },
  "/big": { pieces: bigHead().match(/[^]{1,500}/g) as string[], gap: 60 },
};

let server: net.Server;
let port = 0;
let code = "";

beforeAll(async () => {
  server = net.createServer((s) => {
    s.once("data", (d: Buffer) => {
      const path = / (\/[a-z]+) /.exec(d.toString("latin1"))![1];
      const reply = REPLIES[path];
      reply.pieces.forEach((piece, k) => setTimeout(() => (k === reply.pieces.length - 1 ? s.end(piece) : s.write(piece)), k * reply.gap));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as net.AddressInfo).port;
  const out = await bundleFirmware({ entry: "test/fixtures/net/request-entry.ts" });
  if (!out.ok) throw new Error(JSON.stringify(out.problems));
  code = out.code;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/**
 * Requests each path in turn (the next from a timer, as the firmware does); prints each reply,
 * and the most JsVars in use while it came above those before it (0 in the simulator, which
 * counts none).
 */
const program = (): string =>
  `var paths = ${JSON.stringify(Object.keys(REPLIES))};
  function used() { return process.memory ? process.memory().usage : 0; }
  function next(k) {
    if (k === paths.length) return print("DONE");
    var before = used(), most = before;
    var watch = setInterval(function () { var u = used(); if (u > most) most = u; }, 20);
    request({ method: "GET", url: "http://127.0.0.1:${port}" + paths[k], wanted: ["a"] }, { timeout: 5000 }, function (r) {
      clearInterval(watch);
      print("REPLY " + paths[k] + " " + r.status + " " + r.retryAfter + " " + JSON.stringify(r.body && r.body.ok ? r.body.members : r.body));
      print("MOST " + paths[k] + " " + (most - before));
      setTimeout(function () { next(k + 1); }, 100);
    });
  }
  setTimeout(function () { next(0); }, 100);`;

const EXPECTED = ['REPLY /two 200 -1 {"a":"whole"}', 'REPLY /crlf 200 7 {"a":"whole"}', 'REPLY /interim 503 -1 {"a":"whole"}', 'REPLY /big 200 -1 {"a":"whole"}'];

describe("a reply's head in pieces", () => {
  it("is read line by line on the simulated board", async () => {
    const board = new Board();
    board.wifi.networks = { lab: "pw" };
    board.wifi.joinDelayMs = 0;
    board.boot(code + `require("Wifi").connect("lab", { password: "pw" }, function () { ${program()} });`);
    board.clock.startRealTime();
    for (let i = 0; i < 400 && !board.console.lines.includes("DONE"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(board.console.lines.filter((l) => l.startsWith("REPLY"))).toEqual(EXPECTED);
    board.powerOff();
  });

  it.skipIf(!ESPRUINO)("is read line by line on the real interpreter, never kept whole", async () => {
    const lines = await runLive(code + program(), {}, (l) => l === "DONE", 30000);
    expect(lines.filter((l) => l.startsWith("REPLY"))).toEqual(EXPECTED);
    // the 6 KB head came in 13 pieces: kept whole it took ~530 JsVars more (ESP32-like build) by its
    // end; read line by line, what is in use while it comes is what the two-piece reply takes
    const most = (path: string): number => Number(lines.find((l) => l.startsWith("MOST " + path + " "))!.split(" ")[2]);
    expect(most("/big")).toBeLessThan(most("/two") + 60);
  });
});
