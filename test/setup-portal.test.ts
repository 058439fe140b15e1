// The set-up's captive portal (firmware/setup/) on the simulated board: the page served over
// loopback as a phone would get it, the name server, every bad input refused with Storage
// unchanged, a request that never ends timed out, and the form saved as a two-slot record
// that readConfig puts in place of the config's WiFi. test/setup-real.test.ts runs the same
// on the real interpreter.
import { describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { exercisePortal, NEW_PASSWORD, portalProgram, setupBundle } from "./support/setup-device.ts";

describe("the set-up portal on the simulated board", () => {
  it("serves the page and the name server, refuses bad input, saves the form, then is gone", async () => {
    const bundle = await setupBundle();
    const board = new Board();
    board.boot(bundle + portalProgram(80, 53, NEW_PASSWORD));
    board.clock.startRealTime();
    for (let i = 0; i < 100 && !(board.net.listening[80] && board.dgram.bound[53]); i++) await new Promise((r) => setTimeout(r, 20));
    const flashed = JSON.stringify(board.flash.names().map((n) => [n, board.flash.get(n)]));
    await exercisePortal(board.net.listening[80], board.dgram.bound[53], () => board.console.lines, () => JSON.stringify(board.flash.names().map((n) => [n, board.flash.get(n)])) === flashed);
    expect(board.uncaught).toEqual([]);
    board.powerOff();
  }, 60000);
});
