// Every screen drawn by the real interpreter ($ESPRUINO): the display code's I2C bytes there
// equal the simulator's, screen after screen, on both panels. Skipped without $ESPRUINO.
import { describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { ESPRUINO, I2C_TRACE_PRELUDE, i2cLines, runOnEspruino } from "./support/espruino.ts";
import { boardWithConfig } from "./support/firmware.ts";
import { NOW, SCREENS } from "./support/screen-states.ts";

describe.skipIf(!ESPRUINO)("screens on the real interpreter ($ESPRUINO)", () => {
  for (const height of [64, 32] as const) {
    it(`sends the same I2C bytes as the simulator for every screen on a 128x${height} panel`, async () => {
      const out = await bundleFirmware({ entry: "test/fixtures/display/entry.ts" });
      expect(out.problems).toEqual([]);
      const config = { display: { height } };
      const calls = Object.keys(SCREENS).map((name) => `show(${JSON.stringify(SCREENS[name])}, ${NOW}); settle();`);
      const real = runOnEspruino(
        `require("Storage").writeJSON("codepair.json", ${JSON.stringify(config)});\n` + I2C_TRACE_PRELUDE + out.code + "\n" + calls.join("\n"),
        // the QR codes are built here too (settle): a minute for a busy machine under qemu
        60000,
      );
      expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
      const board = boardWithConfig(config);
      board.i2c1.transcript = [];
      board.boot(out.code);
      for (const call of calls) board.evaluate(call);
      expect(board.uncaught).toEqual([]);
      const sim = i2cLines(board);
      expect(sim.length).toBeGreaterThan(Object.keys(SCREENS).length);
      expect(real.lines.filter((l) => l.startsWith("I2C "))).toEqual(sim);
    });
  }
});

describe.skipIf(!ESPRUINO)("the QR code is built between turns of the interpreter's event loop ($ESPRUINO)", () => {
  it("a press that comes while the QR code is being built is answered before the QR code is done", async () => {
    const out = await bundleFirmware({ entry: "test/fixtures/display/entry.ts" });
    expect(out.problems).toEqual([]);
    // The Linux build cannot fire a pin's watch: a timer stands in for the button's event (both
    // are events the same loop runs). I2C writes are counted: the first frame's, then the QR code's.
    const real = runOnEspruino(
      `var writes = 0, start = 0, pressed = -1, writesAtPress = -1, turns = 0;
I2C1.writeTo = function () { writes++; };
` +
        out.code +
        `
start = getTime();
show(${JSON.stringify(SCREENS["code-kinde-qr"])}, ${NOW});
var firstFrame = writes;
var probe = setInterval(function () { turns++; }, 1);
setTimeout(function () { pressed = getTime() - start; writesAtPress = writes; }, 5);
setTimeout(function () {
  clearInterval(probe);
  print("FIRST " + firstFrame + " PRESS " + writesAtPress + " END " + writes + " TURNS " + turns + " AT " + Math.round(pressed * 1000));
}, 3000);`,
      30000,
    );
    expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
    const line = real.lines.find((l) => l.startsWith("FIRST ")) || "";
    const [first, atPress, end, turns, at] = line.split(" ").filter((_, i) => i % 2 === 1).map(Number);
    console.log(`a press 5 ms after the code screen was answered ${at} ms after it (${turns} turns of a 1-ms timer in the 3 s)`);
    expect(first).toBeGreaterThan(0); // the code's frame is flushed at once
    expect(atPress).toBe(first); // the press is answered before the QR code reaches the panel
    expect(end).toBeGreaterThan(first); // and then the QR code is drawn
    expect(turns).toBeGreaterThan(5);
  });
});
