// The real bundle boots on the simulated board and the panel shows the splash, pixel for
// pixel as checked in under docs/screens/.
import { describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { Flash } from "../host-sim/storage.ts";
import { firmwareBundle } from "./support/firmware.ts";
import { compareWithScreen } from "./support/screens.ts";

function litCount(pixels: Uint8Array): number {
  let n = 0;
  for (const p of pixels) n += p;
  return n;
}

describe("boot", () => {
  it("shows the splash on a 128x64 panel with no config in flash", async () => {
    const board = new Board();
    board.boot(await firmwareBundle());
    expect(board.uncaught).toEqual([]);
    expect(board.console.lines).toEqual([]);
    expect(board.display.state.on).toBe(true);
    expect(board.display.state.chargePump).toBe(true);
    expect(litCount(board.screen())).toBeGreaterThan(200);
    expect(compareWithScreen("splash-128x64", board.screen(), 128, 64)).toBe("");
  });

  it("drives a 128x32 panel when the config says so", async () => {
    const flash = new Flash();
    flash.set("codepair.json", JSON.stringify({ display: { height: 32 } }));
    const board = new Board({ panel: { height: 32 }, flash });
    board.boot(await firmwareBundle());
    expect(board.uncaught).toEqual([]);
    expect(board.display.state.multiplex).toBe(31); // N - 1, as sent
    expect(compareWithScreen("splash-128x32", board.screen(), 128, 32)).toBe("");
  });

  it("talks to the panel at the configured address", async () => {
    const flash = new Flash();
    flash.set("codepair.json", JSON.stringify({ display: { address: 0x3d } }));
    const board = new Board({ panel: { address: 0x3d }, flash });
    board.boot(await firmwareBundle());
    expect(board.uncaught).toEqual([]);
    expect(compareWithScreen("splash-128x64", board.screen(), 128, 64)).toBe("");
  });

  it("reports the missing panel when the address is wrong, as the device would", async () => {
    const flash = new Flash();
    flash.set("codepair.json", JSON.stringify({ display: { address: 0x3d } }));
    const board = new Board({ flash });
    board.boot(await firmwareBundle());
    expect(board.console.lines.join("\n")).toMatch(/Uncaught Error: jshI2CWrite: slave doesn't ACK the transfer/);
    expect(litCount(board.screen())).toBe(0);
  });

  it("sends the whole frame once, one page per transaction", async () => {
    const board = new Board();
    board.boot(await firmwareBundle());
    // init, then per page: a window command and 128 data bytes
    expect(board.i2c1.stats.transactions).toBe(1 + 8 * 2);
    expect(board.display.stats.dataBytes).toBe(1024);
  });

  it("comes back with the same screen after a reboot and after a power cycle", async () => {
    const board = new Board();
    board.boot(await firmwareBundle());
    const first = Array.from(board.screen());
    board.reboot();
    expect(Array.from(board.screen())).toEqual(first);
    board.powerCycle();
    expect(Array.from(board.screen())).toEqual(first);
    expect(board.uncaught).toEqual([]);
  });
});
