// The real bundle boots on the simulated board and the panel shows the splash, pixel for
// pixel as checked in under docs/screens/.
import { describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { Flash } from "../host-sim/storage.ts";
import { CONFIG_FILE } from "../firmware/store/config.ts";
import { SPLASH } from "../firmware/app.ts";
import { VERSION } from "../firmware/version.ts";
import { boardWithConfig, bootFirmware, firmwareBundle } from "./support/firmware.ts";
import { compareWithScreen } from "./support/screens.ts";

function litCount(pixels: Uint8Array): number {
  let n = 0;
  for (const p of pixels) n += p;
  return n;
}

describe("boot", () => {
  it("shows the splash on a 128x64 panel with no config in flash", async () => {
    const board = new Board();
    await bootFirmware(board);
    expect(board.uncaught).toEqual([]);
    // the console names each screen as it comes up (one JSON line: the headless mode reads it)
    expect(board.console.lines).toEqual([JSON.stringify({ screen: "splash", texts: [VERSION] })]);
    expect(board.display.state.on).toBe(true);
    expect(board.display.state.chargePump).toBe(true);
    expect(litCount(board.screen())).toBeGreaterThan(200);
    expect(compareWithScreen("splash-128x64", board.screen(), 128, 64)).toBe("");
  });

  it("with no config, says so on the screen and on the console once the splash has been up", async () => {
    const board = new Board();
    await bootFirmware(board);
    board.advance(SPLASH);
    expect(board.console.lines.slice(1)).toEqual([JSON.stringify({ screen: "setup", texts: ["no config"] }), "codepair: config: no config"]);
    expect(board.uncaught).toEqual([]);
  });

  it("a bundle flashed without its store module says so on the console, and touches neither panel nor Storage", async () => {
    const board = new Board();
    board.boot(await firmwareBundle());
    board.advance(SPLASH + 100);
    expect(board.uncaught).toEqual([]);
    expect(board.console.lines).toEqual(["codepair: Storage holds no codepair-store module: flash the firmware again with tools/flash.ts (README)"]);
    expect(litCount(board.screen())).toBe(0);
    expect(board.flash.names()).toEqual([]);
  });

  it("drives a 128x32 panel when the config says so", async () => {
    const board = boardWithConfig({ display: { height: 32 } });
    await bootFirmware(board);
    expect(board.uncaught).toEqual([]);
    expect(board.display.state.multiplex).toBe(31); // N - 1, as sent
    expect(compareWithScreen("splash-128x32", board.screen(), 128, 32)).toBe("");
  });

  it("talks to the panel at the configured address", async () => {
    const board = boardWithConfig({ display: { address: 0x3d } });
    await bootFirmware(board);
    expect(board.uncaught).toEqual([]);
    expect(compareWithScreen("splash-128x64", board.screen(), 128, 64)).toBe("");
  });

  it("reports the missing panel when the address is wrong, as the device would", async () => {
    const flash = new Flash();
    flash.set(CONFIG_FILE, JSON.stringify({ display: { address: 0x3d } }));
    const board = new Board({ flash }); // the panel answers at 0x3C
    await bootFirmware(board);
    expect(board.console.lines.join("\n")).toMatch(/Uncaught Error: jshI2CWrite: slave doesn't ACK the transfer/);
    expect(litCount(board.screen())).toBe(0);
  });

  it("sends the whole frame once, one page per transaction, and only then switches the panel on", async () => {
    const board = new Board();
    board.i2c1.transcript = [];
    await bootFirmware(board);
    const t = board.i2c1.transcript;
    // init (display off), then per page: a window command and 128 data bytes, then display on
    expect(t.length).toBe(1 + 8 * 2 + 1);
    expect(t[0].bytes.slice(0, 2)).toEqual([0x00, 0xae]);
    expect(t[0].bytes).not.toContain(0xaf);
    for (let p = 0; p < 8; p++) {
      expect(t[1 + 2 * p].bytes).toEqual([0x00, 0x21, 0, 127, 0x22, p, p]);
      expect(t[2 + 2 * p].bytes.length).toBe(129);
      expect(t[2 + 2 * p].bytes[0]).toBe(0x40);
    }
    expect(t[17].bytes).toEqual([0x00, 0xaf]);
    expect(board.display.stats.dataBytes).toBe(1024);
  });

  it("never shows the controller's power-up noise: the panel is dark until the frame is in", async () => {
    const board = new Board();
    const seen: number[] = [];
    const receive = board.display.receive.bind(board.display);
    board.display.receive = (bytes) => {
      receive(bytes);
      seen.push(board.display.panel().reduce((a: number, b: number) => a + b, 0));
    };
    await bootFirmware(board);
    const splashLit = seen[seen.length - 1];
    expect(splashLit).toBeGreaterThan(200);
    expect(seen.slice(0, -1).every((lit) => lit === 0)).toBe(true);
  });

  it("a reboot initialises the panel again and redraws; a power cycle too", async () => {
    const board = new Board();
    await bootFirmware(board);
    const first = Array.from(board.screen());
    board.i2c1.transcript = [];
    const controller = board.display;
    board.reboot();
    expect(board.display).toBe(controller); // the panel stayed powered: same controller state
    expect(board.i2c1.transcript.length).toBe(18);
    expect(Array.from(board.screen())).toEqual(first);
    board.i2c1.transcript = [];
    board.powerCycle();
    expect(board.display).not.toBe(controller); // a controller back from its reset state
    expect(board.i2c1.transcript.length).toBe(18);
    expect(Array.from(board.screen())).toEqual(first);
    expect(board.uncaught).toEqual([]);
  });
});
