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
