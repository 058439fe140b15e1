// The simulator's Graphics against what Espruino 2v29 drew for the same programs. The
// expected lines in fixtures/graphics-2v29.json are the interpreter's own output (recorded
// with a Linux build of it); where $ESPRUINO names one, the recording is checked again.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ESPRUINO, runOnEspruino, runOnSimulator } from "./support/espruino.ts";
import { ROOT } from "./support/firmware.ts";

const RECORDED = JSON.parse(readFileSync(resolve(ROOT, "test/fixtures/graphics-2v29.json"), "utf8")) as Record<string, string[]>;

const PROGRAMS: Record<string, string> = {
  "vertical_byte and horizontal layouts, msb default and false": `
function nz(g) { var u = new Uint8Array(g.buffer), out = []; for (var i = 0; i < u.length; i++) if (u[i]) out.push(i + ":" + u[i]); return out.join(" "); }
[{vertical_byte:true}, {vertical_byte:true, msb:false}, {}, {msb:false}].forEach(function (o) {
  var g = Graphics.createArrayBuffer(16, 16, 1, o);
  g.setPixel(0, 0); g.setPixel(1, 0); g.setPixel(0, 1); g.setPixel(0, 7); g.setPixel(0, 8); g.setPixel(5, 13); g.setPixel(15, 15);
  print(new Uint8Array(g.buffer).length + " " + nz(g));
});`,
  "custom font: bit order, scale, newline, clipping, colours": `
var g = Graphics.createArrayBuffer(16, 12, 1, {msb:true});
function dump() { var s = ""; for (var y = 0; y < 12; y++) { for (var x = 0; x < 16; x++) s += g.getPixel(x, y) ? "#" : "."; s += "|"; } print(s); }
var F = String.fromCharCode(0x80, 0x01, 0xFF, 0x00);
g.setFontCustom(F, 65, 2, 8);
print(g.stringWidth("AB") + " " + g.stringWidth("A\\nAB") + " " + g.stringWidth("Z") + " " + g.getFontHeight());
g.drawString("AB", 1, 1); dump();
g.clear(); g.drawString("A\\nB", 0, 0); dump();
g.clear(); g.drawString("@ZAB", 0, 0); dump();
g.clear(); g.setFontCustom(String.fromCharCode(0x80, 0x7E), 65, String.fromCharCode(2, 1), 5); g.drawString("AB", 0, 0); print(g.stringWidth("AB") + " " + g.getFontHeight()); dump();
g.clear(); g.setFontCustom(F, 65, 2, 8 | (2 << 8)); g.drawString("A", 0, 0); print(g.stringWidth("A") + " " + g.getFontHeight()); dump();
g.clear(); g.fillRect(0, 0, 15, 11); g.setColor(0); g.setFontCustom(F, 65, 2, 8); g.drawString("AB", 1, 0); dump();
g.setColor(1); g.clear(); g.drawString("AB", -1, -1); dump();
g.clear(); g.drawString("AB", 14, 0); g.drawString("B", 15, 2); dump();
g.clear(); g.setBgColor(0); g.fillRect(0, 0, 15, 11); g.setBgColor(0); g.drawString("A", 3, 2, true); dump();`,
  "rectangles and images": `
var g = Graphics.createArrayBuffer(16, 8, 1, {msb:true});
function dump() { var s = ""; for (var y = 0; y < 8; y++) { for (var x = 0; x < 16; x++) s += g.getPixel(x, y) ? "#" : "."; s += "|"; } print(s); }
g.fillRect(2, 2, 3, 3); g.fillRect(7, 5, 5, 4); g.drawRect(10, 0, 14, 3); g.fillRect(0.6, 6.6, 2.4, 7.4); g.fillRect(-3, -3, 0, 0); dump();
g.clear(); g.setBgColor(1); g.clearRect(1, 1, 4, 4); g.setBgColor(0); dump();
g.clear(); var img = {width: 5, height: 3, bpp: 1, buffer: new Uint8Array([0xC4, 0x21, 0xC0]).buffer}; g.drawImage(img, 1, 1); g.drawImage(img, 13, 6); dump();
g.clear(); g.fillRect(0, 0, 15, 7); g.drawImage(img, 1, 1); g.drawImage({width: 5, height: 3, bpp: 1, transparent: 0, buffer: img.buffer}, 8, 1); dump();
g.setBgColor(1); g.clear(); print(new Uint8Array(g.buffer)[0] + " " + g.getPixel(3, 3) + " " + g.getPixel(-1, 0) + " " + g.getPixel(16, 0));`,
  "images at a scale": `
var g = Graphics.createArrayBuffer(16, 8, 1, {msb:true});
function dump() { var s = ""; for (var y = 0; y < 8; y++) { for (var x = 0; x < 16; x++) s += g.getPixel(x, y) ? "#" : "."; s += "|"; } print(s); }
var img = {width: 5, height: 3, bpp: 1, buffer: new Uint8Array([0xC4, 0x21, 0xC0]).buffer};
g.drawImage(img, 1, 1, {scale: 2}); dump();
g.clear(); g.drawImage(img, 12, 5, {scale: 2}); g.drawImage(img, -3, -1, {scale: 2}); dump();
g.clear(); g.fillRect(0, 0, 15, 7); g.drawImage(img, 2, 1, {scale: 2}); dump();
g.clear(); g.fillRect(0, 0, 15, 7); g.drawImage({width: 5, height: 3, bpp: 1, transparent: 0, buffer: img.buffer}, 2, 1, {scale: 2}); dump();
g.clear(); g.drawImage({width: 5, height: 3, bpp: 1, buffer: E.toString(img.buffer)}, 0, 0, {scale: 3}); dump();
g.clear(); g.drawImage(img, 1, 1, {scale: 1}); dump();
g.clear(); g.drawImage(img, 1.5, 1.5, {scale: 2}); dump();`,
};

describe("Graphics draws what the interpreter drew", () => {
  for (const name of Object.keys(PROGRAMS)) {
    it(name, () => {
      const sim = runOnSimulator(PROGRAMS[name]);
      expect(sim.board.uncaught).toEqual([]);
      expect(RECORDED[name].length).toBeGreaterThan(0);
      expect(sim.lines).toEqual(RECORDED[name]);
    });
  }

  it("refuses to draw text with no custom font: the device's built-in font is not modelled", () => {
    const sim = runOnSimulator("var g = Graphics.createArrayBuffer(8, 8, 1); g.drawString('x', 0, 0);");
    expect(sim.board.console.lines.join("\n")).toMatch(/no setFontCustom font set/);
  });

  it("hands firmware a Graphics of its own realm, with the device's method names and chaining", () => {
    const sim = runOnSimulator(
      "var g = Graphics.createArrayBuffer(8, 8, 1, {vertical_byte: true});" +
        "print(String(g.setColor(1).fillRect(0, 0, 1, 1) === g), String(g.buffer instanceof ArrayBuffer), String(typeof g.put), String(typeof g.bytes));",
    );
    expect(sim.lines).toEqual(["true true undefined undefined"]);
  });
});

describe.skipIf(!ESPRUINO)("the recording still matches the interpreter ($ESPRUINO)", () => {
  for (const name of Object.keys(PROGRAMS)) {
    it(name, () => {
      expect(runOnEspruino(PROGRAMS[name]).lines).toEqual(RECORDED[name]);
    });
  }
});
