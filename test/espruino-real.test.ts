// The truth about the dialect is the interpreter itself. Where $ESPRUINO names a Linux build
// of Espruino, the same programs run there and on the simulated board, and their output must
// be the same: the firmware bundle's I2C bytes, Graphics' pixels, and which built-ins exist.
// Without $ESPRUINO these tests are reported as skipped.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { GLOBALS, MISSING_GLOBALS, MISSING_MEMBERS } from "../dialect/espruino.mjs";
import { bundleFirmware } from "../build.mjs";
import { Board } from "../host-sim/board.ts";
import { packFont, parseFont } from "../tools/fontpack.mjs";
import { ESPRUINO, I2C_TRACE_PRELUDE, i2cLines, runOnEspruino, runOnSimulator } from "./support/espruino.ts";
import { ROOT, boardWithConfig, bootFirmware, firmwareBundle, modulesProgram, type DeviceConfig } from "./support/firmware.ts";

/**
 * How long the bundle runs on both (ms): the splash, then the setup screen a device with no
 * provider configured shows. The app keeps a timer, so the interpreter is told to quit.
 */
const RUN_MS = 3000;
const QUIT = `setTimeout(function () { quit(); }, ${RUN_MS});\n`;

/** The bundle on the simulated board, its I2C traffic in the interpreter prelude's format. */
async function simTranscript(code: string, config?: DeviceConfig): Promise<string[]> {
  const board = config ? boardWithConfig(config) : new Board();
  board.i2c1.transcript = [];
  await bootFirmware(board, code);
  board.advance(RUN_MS);
  return i2cLines(board);
}

describe.skipIf(!ESPRUINO)("on the real interpreter ($ESPRUINO)", () => {
  it("the bundle boots and sends the same I2C bytes as in the simulator (128x64)", async () => {
    const code = await firmwareBundle();
    const real = runOnEspruino(QUIT + I2C_TRACE_PRELUDE + code, 15000, await modulesProgram());
    expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
    expect(real.status).toBe(0);
    const sim = await simTranscript(code);
    expect(sim.length).toBeGreaterThan(8);
    expect(real.lines.filter((l) => l.startsWith("I2C "))).toEqual(sim);
  });

  it("the bundle boots with a stored config for a 128x32 panel at 0x3D, same bytes", async () => {
    const code = await firmwareBundle();
    const config = { display: { height: 32, address: 0x3d } };
    const writeConfig = `require("Storage").writeJSON("codepair.json", ${JSON.stringify(config)});\n`;
    const real = runOnEspruino(QUIT + writeConfig + I2C_TRACE_PRELUDE + code, 15000, await modulesProgram());
    expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
    const sim = await simTranscript(code, config);
    expect(sim[0]).toMatch(/^I2C 61 /);
    expect(real.lines.filter((l) => l.startsWith("I2C "))).toEqual(sim);
  });

  for (const fixture of ["lowered", "clean"]) {
    it(`what the gate lets through runs there: test/fixtures/dialect/${fixture}.ts`, async () => {
      const out = await bundleFirmware({ entry: `test/fixtures/dialect/${fixture}.ts` });
      expect(out.problems).toEqual([]);
      const real = runOnEspruino(out.code);
      expect(real.status).toBe(0);
      expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
      expect(runOnSimulator(out.code).lines).toEqual(real.lines);
    });
  }

  it("Graphics draws the same bytes: layouts, rectangles, our font, images, clipping", () => {
    const font = packFont(parseFont(readFileSync(resolve(ROOT, "firmware/display/fonts/small.font"), "utf8"), "small.font"));
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
    const program = `
function dump(tag, g) { var u = new Uint8Array(g.buffer), s = ""; for (var i = 0; i < u.length; i++) s += (256 + u[i]).toString(16).substr(1); print(tag + " " + s); }
var layouts = [{vertical_byte:true}, {vertical_byte:true, msb:false}, {}, {msb:false}];
layouts.forEach(function (o, n) {
  var g = Graphics.createArrayBuffer(24, 16, 1, o);
  g.setPixel(0, 0); g.setPixel(5, 13); g.setPixel(23, 15); g.setPixel(-1, 3); g.setPixel(30, 2);
  g.fillRect(7, 5, 3, 2); g.fillRect(20, 12, 40, 40); g.clearRect(4, 3, 5, 4); g.drawRect(10, 1, 14, 9);
  g.fillRect(0.6, 10.6, 2.4, 12.4);
  dump("layout" + n, g);
});
var g = Graphics.createArrayBuffer(64, 32, 1, {vertical_byte:true, msb:false});
var bitmap = atob("${b64(font.bitmap)}"), widths = atob("${b64(font.widths)}");
g.setFontCustom(bitmap, ${font.first}, widths, ${font.height});
print("h " + g.getFontHeight() + " w " + g.stringWidth("Hello, 0O1lI!") + " " + g.stringWidth("ab\\nabcdef") + " " + g.stringWidth(""));
g.drawString("Hi 0O1lI", 1, 0); g.drawString("x\\nyz", -2, 9); g.drawString("edge", 50, 28);
dump("text", g);
g.clear(); g.drawString("M", 63, 0); g.drawString("M", 62, 9); g.drawString("MM", 58, 18); g.drawString("W", -4, 24);
dump("clip", g);
g.clear(); g.fillRect(0, 0, 63, 31); g.setBgColor(0); g.drawString("solid", 3, 3, true); g.setBgColor(1); g.setColor(0); g.drawString("inv", 3, 14, true);
g.setColor(1); g.setBgColor(0); dump("solid", g);
g.clear(); g.setFontCustom(bitmap, ${font.first}, widths, ${font.height} | (2 << 8));
print("h2 " + g.getFontHeight() + " w2 " + g.stringWidth("ABC"));
g.drawString("Ag", 3, 2); dump("scale2", g);
g.clear(); g.setFontCustom(bitmap, ${font.first}, widths, ${font.height} | (3 << 8)); g.drawString("7", 40, 1); dump("scale3", g);
g.clear(1); g.setColor(1); g.fillRect(0, 0, 63, 31); g.setColor(0); g.setFontCustom(bitmap, ${font.first}, widths, ${font.height});
g.drawString("dark", 2, 2); dump("dark", g);
g.clear(); g.setColor(1); g.setBgColor(0);
var img = {width: 11, height: 5, bpp: 1, buffer: new Uint8Array([0xA5, 0x3C, 0xFF, 0x01, 0x80, 0x55, 0xAA]).buffer};
g.drawImage(img, 2, 3); g.drawImage(img, -4, -2); g.drawImage(img, 58, 29);
g.fillRect(30, 0, 50, 20); g.drawImage(img, 32, 4); g.drawImage({width: 11, height: 5, bpp: 1, transparent: 0, buffer: img.buffer}, 32, 12);
dump("image", g);
g.setBgColor(1); g.clear(); dump("clearbg", g);
`;
    const real = runOnEspruino(program);
    expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
    const sim = runOnSimulator(program);
    expect(sim.board.uncaught).toEqual([]);
    expect(real.lines.length).toBeGreaterThan(10);
    expect(sim.lines).toEqual(real.lines);
  });

  it("promise jobs run after the timers due in the same turn of the idle loop, as on the interpreter", () => {
    const program = `Promise.resolve().then(function () { print("job 1"); return 0; }).then(function () { print("job 2"); });
setTimeout(function () {
  print("timer a");
  Promise.resolve().then(function () { print("job in a"); });
  setTimeout(function () { print("timer in a"); }, 0);
}, 0);
setTimeout(function () { print("timer b"); }, 0);
for (var i = 0, n = 0; i < 3000; i++) n += i;
print("sync");
`;
    // (the loop: on the plain Linux build, 0 ms timers made in the program's last microseconds
    // were not yet due at the first turn, measured; a little work after them and they are, as
    // they are on the ESP32-like build either way)
    const real = runOnEspruino(program).lines.filter((l) => l !== "");
    expect(real).toEqual(["sync", "timer a", "timer b", "job 1", "job in a", "job 2", "timer in a"]);
    expect(runOnSimulator(program).lines).toEqual(real);
  });

  it("an uncaught error is printed with the stack the interpreter prints: frames, names, lines, carets", () => {
    // each throw in a timer of its own, far enough apart that the interpreter reports each
    const program = `function inner(a) {
  var x = a + 1;
  throw new Error("inner " + x);
}
function outer() { var o = { m: function (v) { return inner(v); } }; o.m(42); }
setTimeout(function () { outer(); }, 100);
setTimeout(function () { var aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = 1, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb = 2; throw new Error("long line " + aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa + bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb); }, 300);
setTimeout(function () { [1].forEach(function (v) { throw new Error("each " + v); }); }, 500);
setTimeout(() => { throw new Error("arrow"); }, 700);
setTimeout(function () { throw "str"; }, 900);
setTimeout(function () {
  var e = new Error("made here");
  setTimeout(function () { throw e; }, 10);
}, 1100);
setTimeout(function () { if (typeof quit == "function") quit(); }, 1400);
`;
    const real = runOnEspruino(program).lines.filter((l) => l !== "");
    const sim = runOnSimulator(program).lines;
    expect(real.filter((l) => l.startsWith("Uncaught "))).toHaveLength(6);
    expect(real).toContain("    at outer (:1:57)");
    expect(sim).toEqual(real);
    // a throw at the program's top level: its frame is named "[raw]" ("Uncaught undefined"
    // after it is the Linux build's main loop, not the device's)
    const top = 'function f() { throw new Error("from f"); }\nprint("before");\nf();\n';
    const realTop = runOnEspruino(top).lines.filter((l) => l !== "" && l !== "Uncaught undefined");
    expect(realTop).toContain("    at [raw] (:3:3)");
    expect(runOnSimulator(top).lines).toEqual(realTop);
  });

  it("the dialect lists agree with the interpreter: what exists and what does not", () => {
    const probes: string[] = [];
    const candidates = GLOBALS.filter((name) => name !== "arguments").concat(MISSING_GLOBALS);
    for (const name of candidates) probes.push(`print("${name} " + eval("typeof ${name}"));`);
    const instances: Record<string, string> = {
      "Array.prototype": "[]", "TypedArray.prototype": "new Uint8Array(1)", "ArrayBuffer.prototype": "new ArrayBuffer(1)",
      "Number.prototype": "(5)", "Object.prototype": "({})", "String.prototype": '("x")',
      "Promise.prototype": "Promise.resolve()", "Error.prototype": 'new Error("x")',
    };
    for (const owner of Object.keys(MISSING_MEMBERS) as (keyof typeof MISSING_MEMBERS)[]) {
      const target = instances[owner] || owner;
      for (const m of MISSING_MEMBERS[owner]) probes.push(`print("${owner}.${m} " + typeof ${target}.${m});`);
    }
    const program = probes.join("\n");
    const real = runOnEspruino(program);
    const sim = runOnSimulator(program);
    expect(real.lines.length).toBe(probes.length);
    // The device has every global we list (bar the board modules a Linux build lacks) and none we don't.
    const realTypes = Object.fromEntries(real.lines.map((l) => l.split(" ")));
    const missingOnReal = GLOBALS.filter((n) => n !== "arguments" && realTypes[n] === "undefined" && n !== "undefined");
    expect(missingOnReal.filter((n) => !/^D(3[3-9])$/.test(n))).toEqual([]);
    for (const n of MISSING_GLOBALS) expect(`${n} ${realTypes[n]}`).toBe(`${n} undefined`);
    for (const line of real.lines) if (line.includes(".")) expect(line).toMatch(/ undefined$/);
    // The simulator answers as the device does, but for V8's Math and JSON, which are objects
    // where Espruino says "function", and the pins D33–D39 that a real ESP32 has.
    const normal = (l: string) => l.replace(/^(Math|JSON) function$/, "$1 object").replace(/^(D3[3-9]) undefined$/, "$1 number");
    expect(sim.lines).toEqual(real.lines.map(normal));
  });
});
