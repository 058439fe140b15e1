// firmware/net/http.ts reads a reply whose head comes in pieces, one ending right after a
// header line's CRLF, as one head: 2v29's indexOf finds "\r\n\r\n" in a text that only ends
// with "\r\n" (host-sim/realm.ts, test/string-search-real.test.ts), so looking for the blank
// line in the head so far took the first piece for the whole head. On the simulated board
// and, with $ESPRUINO, on the real interpreter.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { Board } from "../host-sim/board.ts";
import { ESPRUINO, runLive } from "./support/espruino.ts";

let server: net.Server;
let port = 0;
let code = "";

beforeAll(async () => {
  server = net.createServer((s) => {
    s.once("data", () => {
      s.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");
      setTimeout(() => s.end('Content-Length: 13\r\n\r\n{"a":"whole"}'), 300);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as net.AddressInfo).port;
  const out = await bundleFirmware({ entry: "test/fixtures/net/request-entry.ts" });
  if (!out.ok) throw new Error(JSON.stringify(out.problems));
  code = out.code;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const program = (): string =>
  `request({ method: "GET", url: "http://127.0.0.1:${port}/", wanted: ["a"] }, { timeout: 5000 }, function (r) { print("REPLY " + r.status + " " + JSON.stringify(r.body && r.body.ok ? r.body.members : r.body)); });`;
const EXPECTED = 'REPLY 200 {"a":"whole"}';

describe("a reply head in two pieces", () => {
  it("is read whole on the simulated board", async () => {
    const board = new Board();
    board.wifi.networks = { lab: "pw" };
    board.wifi.joinDelayMs = 0;
    board.boot(code + `require("Wifi").connect("lab", { password: "pw" }, function () { ${program()} });`);
    board.clock.startRealTime();
    for (let i = 0; i < 200 && !board.console.lines.some((l) => l.startsWith("REPLY")); i++) await new Promise((r) => setTimeout(r, 20));
    expect(board.console.lines.filter((l) => l.startsWith("REPLY"))).toEqual([EXPECTED]);
    board.powerOff();
  });

  it.skipIf(!ESPRUINO)("is read whole on the real interpreter", async () => {
    const lines = await runLive(code + program(), {}, (l) => l.startsWith("REPLY"), 20000);
    expect(lines.filter((l) => l.startsWith("REPLY"))).toEqual([EXPECTED]);
  });
});
