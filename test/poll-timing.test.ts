// The simulated board in real time against a device-flow server written here in a few lines,
// which times every request with its own clock (performance.now()), not the board's: no poll
// may reach it sooner than one interval after its previous answer (RFC 8628 §3.5: a client
// polls "no more frequently than" the interval; a device times the interval from when it has
// handled the reply, so it is never early). The board's clock used to lag the host's by up to
// 250 ms when a reply came in, and the mocks that time polls strictly answered slow_down.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { CONFIG_FILE } from "../firmware/store/config.ts";
import { Board } from "../host-sim/board.ts";
import { SIM_NETWORK } from "../host-sim/cli.ts";
import { bootFirmware } from "./support/firmware.ts";

/** s: the interval the server asks for (RFC 8628 §3.2) */
const INTERVAL = 1;

interface Seen {
  path: string;
  arrived: number;
  answered: number;
}

async function pendingServer(): Promise<{ base: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const srv = http.createServer((req, res) => {
    const entry: Seen = { path: req.url || "", arrived: performance.now(), answered: NaN };
    seen.push(entry);
    req.resume();
    req.on("end", () => {
      const body =
        entry.path === "/device"
          ? { device_code: "dc-1", user_code: "WDJB-MJHT", verification_uri: "http://127.0.0.1/activate", expires_in: 600, interval: INTERVAL }
          : { error: "authorization_pending" };
      res.on("finish", () => (entry.answered = performance.now()));
      res.writeHead(entry.path === "/device" ? 200 : 400, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return { base, seen, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

describe("the board in real time against a server with its own clock", () => {
  it("no poll arrives sooner than one interval after the server's previous answer", { timeout: 30000 }, async () => {
    const server = await pendingServer();
    const board = new Board();
    try {
      board.flash.set(
        CONFIG_FILE,
        JSON.stringify({
          wifi: { ...SIM_NETWORK },
          provider: "rfc8628",
          clientId: "timing-test",
          endpoints: { device: server.base + "/device", token: server.base + "/token" },
        }),
      );
      board.wifi.networks[SIM_NETWORK.ssid] = SIM_NETWORK.password;
      await bootFirmware(board);
      board.clock.startRealTime();
      const start = performance.now();
      while (server.seen.filter((s) => s.path === "/token").length < 6 && performance.now() - start < 20000) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      board.clock.stopRealTime();
      board.powerOff();
      await server.close();
    }
    expect(board.uncaught).toEqual([]);
    const seen = server.seen;
    expect(seen[0].path).toBe("/device");
    expect(seen.filter((s) => s.path === "/token").length).toBeGreaterThanOrEqual(6);
    // from each answer to the next request, on the server's clock (ms)
    const gaps = seen.slice(1).map((s, i) => Math.floor(s.arrived - seen[i].answered));
    for (const gap of gaps) expect(gap, `gaps ${gaps.join(", ")} ms`).toBeGreaterThanOrEqual(INTERVAL * 1000);
  });
});
