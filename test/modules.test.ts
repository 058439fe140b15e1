// require() and Modules as 2v29's jswrap_modules.c and jspEvaluateModule do them: a Storage
// file of that name is run as a module (`exports`, `module`, `this` the exports), cached until
// Modules.removeCached (which throws for a name not cached); a module that throws is cached
// with what it exported before it threw; a name over Storage's 28 characters is not looked up.
// The same program on the simulated board and, where $ESPRUINO names it, on the interpreter.
import { describe, expect, it } from "vitest";
import { ESPRUINO, runOnEspruino, runOnSimulator } from "./support/espruino.ts";

const LONG = "x".repeat(28);
const PROGRAM = `var S = require("Storage");
S.write("counter", 'var n = (global.loads = (global.loads || 0) + 1); exports.n = n; module.exports.self = this === exports;');
S.write("half", 'exports.first = 1; throw new Error("broken"); exports.second = 2;');
S.write("${LONG}", "exports.ok = 1;");
var a = require("counter"), b = require("counter"); print(a.n, b.n, a === b, a.self);
Modules.removeCached("counter"); print(require("counter").n, Modules.getCached().indexOf("counter") >= 0);
try { Modules.removeCached("nothing"); } catch (e) { print("ERR " + e.message); }
try { require("half"); } catch (e) { print("ERR " + e.message); } var h = require("half"); print(h.first, h.second);
try { require("none"); } catch (e) { print("ERR " + e.message); }
try { require("${LONG}x"); } catch (e) { print("ERR long"); } print(require("${LONG}").ok);
`;
const EXPECTED = ["1 1 true true", "2 true", 'ERR Module "nothing" not found', "ERR broken", "1 undefined", 'ERR Module "none" not found', "ERR long", "1"];

describe("require() of a Storage module", () => {
  it("on the simulated board", () => {
    expect(runOnSimulator(PROGRAM).lines.filter((l) => l !== "")).toEqual(EXPECTED);
  });

  it.skipIf(!ESPRUINO)("on the real interpreter, the same", () => {
    expect(runOnEspruino(PROGRAM).lines.filter((l) => l !== "")).toEqual(EXPECTED);
  });
});
