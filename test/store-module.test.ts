// store/use.ts's withStore loads the store module (`codepair-store` in Storage) for one use and
// drops it from require's cache after, also when the use throws; without the module in Storage
// it throws as require() does. A stand-in module in Storage; the same program on the simulated
// board and, where $ESPRUINO names it, on the interpreter.
import { beforeAll, describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { ESPRUINO, runOnEspruino, runOnSimulator } from "./support/espruino.ts";

let code = "";
beforeAll(async () => {
  const out = await bundleFirmware({ entry: "test/fixtures/store/use-entry.ts" });
  if (!out.ok) throw new Error(JSON.stringify(out.problems));
  code = out.code;
});

const program = (): string =>
  code +
  `var cached = function () { return Modules.getCached().indexOf("codepair-store") >= 0; };
  try { withStore(function (s) { return 1; }); } catch (e) { print("ERR " + e.message + " " + cached()); }
  require("Storage").write("codepair-store", 'exports.readConfig = function () { return 7; }; exports.loadToken = function () { throw new Error("flash gone"); };');
  print(withStore(function (s) { print("IN " + cached()); return s.readConfig(); }) + " " + cached());
  try { withStore(function (s) { return s.loadToken(); }); } catch (e) { print("ERR " + e.message + " " + cached()); }
  `;
const EXPECTED = ['ERR Module "codepair-store" not found false', "IN true", "7 false", "ERR flash gone false"];

describe("withStore", () => {
  it("on the simulated board: loaded for the use, dropped after it, a throw too", () => {
    expect(runOnSimulator(program()).lines.filter((l) => l !== "")).toEqual(EXPECTED);
  });

  it.skipIf(!ESPRUINO)("on the real interpreter, the same", () => {
    expect(runOnEspruino(program()).lines.filter((l) => l !== "")).toEqual(EXPECTED);
  });
});
