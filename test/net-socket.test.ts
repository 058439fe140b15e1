// Espruino's `net` client sockets (the firmware's HTTP runs over them since issue 19), the same
// program on the real interpreter ($ESPRUINO) and on the simulated board, against one raw TCP
// server on loopback: what connect() throws at once, the sizes of 'data', the order of 'end'
// and 'close', write() after end(), and that end() closes a socket the server keeps.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { ESPRUINO, runLive } from "./support/espruino.ts";
import { drive } from "./support/pairing.ts";

let server: Server;
let port = 0;
let dead = 0;
/** Sockets the server holds open ("hold"), and how many of them the client closed. */
const held = new Set<Socket>();
let closedByClient = 0;

beforeAll(async () => {
  server = createServer((s) => {
    s.setEncoding("latin1");
    s.on("error", () => {});
    let line = "";
    s.on("data", (c: string) => {
      line += c;
      if (!line.includes("\n")) return;
      const what = line.trim();
      line = "\u0000";
      if (what === "big") s.end("x".repeat(2000));
      else if (what === "reset") s.resetAndDestroy();
      else if (what === "hold") {
        held.add(s);
        s.on("close", () => {
          held.delete(s);
          closedByClient++;
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  dead = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

/** The probe: one case after another, each event printed as "EV <case> <event> <detail>", then DONE. */
const program = (p: number, deadPort: number): string => `
var net = require("net");
var cases = ["big", "reset", "hold", "refused", "nohost", "closed"];
function ev(c, e, d) { print("EV " + c + " " + e + (d === undefined ? "" : " " + d)); }
function next(k) {
  if (k === cases.length) { print("DONE"); return; }
  var c = cases[k];
  var done = function () { setTimeout(function () { next(k + 1); }, 50); };
  var s;
  try {
    if (c === "refused") s = net.connect({ host: "127.0.0.1", port: ${deadPort} }, function () { ev(c, "connect"); });
    else if (c === "nohost") s = net.connect({ host: "no-such-host.invalid", port: 80 }, function () { ev(c, "connect"); });
    else s = net.connect({ host: "127.0.0.1", port: ${p} }, function () { ev(c, "connect"); });
  } catch (e) { ev(c, "threw", e.message); return done(); }
  s.on("data", function (d) { ev(c, "data", d.length); });
  s.on("error", function (e) { ev(c, "error", e.code); });
  s.on("end", function () { ev(c, "end"); });
  s.on("close", function (had) { ev(c, "close", had); done(); });
  if (c === "closed") { s.write("quiet\\n"); s.end(); try { s.write("more"); } catch (e) { ev(c, "write threw", e.message); } return; }
  s.write(c + "\\n");
  if (c === "hold") setTimeout(function () { s.end(); }, 300);
}
require("Wifi").connect("net", { password: "p" }, function () { next(0); });
`;

/** The events of each case, in order (connect left out: when it comes is a matter of timing). */
function trace(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith("EV ") && !/ connect$/.test(l)).map((l) => l.slice(3));
}

const EXPECTED = [
  // 2000 bytes then the server's FIN: one recv of at most 536 bytes a pass
  "big data 536",
  "big data 536",
  "big data 536",
  "big data 392",
  "big end",
  "big close false",
  // a reset reads as a close on 2v29 (recv's error is taken for the end): no 'error'
  "reset end",
  "reset close false",
  // the client's end() closes a socket the server keeps open
  "hold end",
  "hold close false",
  "refused threw Unable to create socket",
  "nohost threw Unable to locate host",
  // end() with bytes still to send: closed once they are sent, later writes refused
  "closed write threw This socket is closed",
  "closed end",
  "closed close false",
];

describe("net sockets", () => {
  it("on the simulated board", async () => {
    const board = new Board();
    board.wifi.networks.net = "p";
    const closed = closedByClient;
    board.boot(program(port, dead));
    await drive(board, { held: () => held.size }, 60000, () => board.console.lines.includes("DONE"));
    expect(board.uncaught).toEqual([]);
    expect(trace(board.console.lines)).toEqual(EXPECTED);
    expect(closedByClient).toBe(closed + 1);
  });

  it.skipIf(!ESPRUINO)("on the real interpreter", async () => {
    const closed = closedByClient;
    const lines = await runLive(program(port, dead), {}, (line) => line === "DONE", 30000);
    expect(trace(lines)).toEqual(EXPECTED);
    expect(closedByClient).toBe(closed + 1);
  });
});
