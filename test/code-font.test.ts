// The large code font (firmware/display/fonts/code.font): its shape, that look-alike
// characters stay apart, and that Espruino draws its packed form as the art says.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderText } from "../tools/font-preview.mjs";
import { packFont, parseFont } from "../tools/fontpack.mjs";
import { ESPRUINO, runOnEspruino } from "./support/espruino.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CODE_PATH = resolve(ROOT, "firmware/display/fonts/code.font");
const font = parseFont(readFileSync(CODE_PATH, "utf8"), CODE_PATH);

const FIRST = 45; // '-'
const LAST = 90; // 'Z'
const COUNT = LAST - FIRST + 1; // 46
const WIDTH = 7; // 6 px of ink and the spacing column
const HEIGHT = 10;

const rowsOf = (ch: string) => font.glyphs[ch.charCodeAt(0) - FIRST].rows;

/** How many pixels two glyphs differ in (both are WIDTH x HEIGHT). */
function pixelDistance(a: string[], b: string[]): number {
  let n = 0;
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) if (a[y][x] !== b[y][x]) n++;
  return n;
}

/** Every pair of characters from each group. */
function pairsWithin(groups: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const group of groups) {
    for (let i = 0; i < group.length; i++) for (let j = i + 1; j < group.length; j++) out.push([group[i], group[j]]);
  }
  return out;
}

// The look-alikes the issue names that the font holds (it has no lowercase: b, g, q are not
// drawn, and the firmware shows a code with them in the small font).
const LOOK_ALIKES = pairsWithin(["0ODQ", "1IL7T", "2Z", "5S", "6G", "8B3", "UV", "MNWH", "KX", "CG", "EF", "PR", "A4"]);

// Any two glyphs differ in at least N pixels (':' and ';' share their dots and differ only
// in the comma's tail); each look-alike pair in at least M, the lowest the art reaches
// (I/T and E/F: serifs and a bar at 1 px strokes).
const N = 2;
const M = 6;

describe("code.font", () => {
  it("has the 46 glyphs '-' (45) through 'Z' (90) in order, 10 rows tall", () => {
    expect(font.height).toBe(HEIGHT);
    expect(font.first).toBe(FIRST);
    expect(font.glyphs).toHaveLength(COUNT);
    expect(font.glyphs.map((g) => g.char)).toEqual(Array.from({ length: COUNT }, (_, i) => FIRST + i));
    expect(font.glyphs[COUNT - 1].char).toBe(LAST);
  });

  it("makes every glyph 7 wide and 10 tall with a blank last column, and gives each ink", () => {
    for (const g of font.glyphs) {
      const name = String.fromCharCode(g.char);
      expect(g.width, name).toBe(WIDTH);
      expect(g.rows, name).toHaveLength(HEIGHT);
      for (const row of g.rows) {
        expect(row, name).toHaveLength(WIDTH);
        expect(row[WIDTH - 1], name).toBe(".");
      }
      // No glyph in '-'..'Z' is space-like.
      expect(g.rows.join(""), name).toContain("#");
    }
  });

  it("fills all 10 rows with capitals and digits, and centres the dash vertically", () => {
    for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
      expect(rowsOf(ch)[0], ch).toContain("#");
      expect(rowsOf(ch)[HEIGHT - 1], ch).toContain("#");
    }
    const inked = rowsOf("-").flatMap((row, y) => (row.includes("#") ? [y] : []));
    expect(inked.length).toBeGreaterThan(0);
    expect(inked[0] + inked[inked.length - 1]).toBe(HEIGHT - 1); // symmetric about the middle
  });

  it(`keeps every two glyphs at least ${N} pixels apart`, () => {
    for (let i = 0; i < COUNT; i++) {
      for (let j = i + 1; j < COUNT; j++) {
        const a = font.glyphs[i];
        const b = font.glyphs[j];
        const pair = String.fromCharCode(a.char) + " " + String.fromCharCode(b.char);
        expect(pixelDistance(a.rows, b.rows), pair).toBeGreaterThanOrEqual(N);
      }
    }
  });

  it(`keeps each look-alike pair at least ${M} pixels apart`, () => {
    for (const [a, b] of LOOK_ALIKES) {
      expect(pixelDistance(rowsOf(a), rowsOf(b)), `${a} ${b}`).toBeGreaterThanOrEqual(M);
    }
  });

  it("packs into widths of 7 and a bitmap of 46 x 7 x 10 bits, zero-padded to bytes", () => {
    const packed = packFont(font);
    expect(Array.from(packed.widths)).toEqual(new Array(COUNT).fill(WIDTH));
    const bits = COUNT * WIDTH * HEIGHT; // 3220
    expect(packed.bitmap.length).toBe(Math.ceil(bits / 8)); // 403 bytes
    const padding = packed.bitmap.length * 8 - bits;
    expect(packed.bitmap[packed.bitmap.length - 1] & ((1 << padding) - 1)).toBe(0);
    expect(packed.height).toBe(HEIGHT);
    expect(packed.first).toBe(FIRST);
  });
});

/** Rows of '#'/'.' for `text` in the code font, each pixel repeated `scale` times both ways. */
function scaledArt(text: string, scale: number): string[] {
  const out: string[] = [];
  for (const row of renderText(font, text)) {
    const wide = Array.from(row, (px) => px.repeat(scale)).join("");
    for (let i = 0; i < scale; i++) out.push(wide);
  }
  return out;
}

describe.skipIf(!ESPRUINO)("code.font on the real interpreter ($ESPRUINO)", () => {
  it("draws the art through setFontCustom at scales 2 and 3, 14 and 21 px a character", () => {
    const packed = packFont(font);
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
    const cases: [string, number][] = [
      ["WDJB-MJHT", 2],
      ["0ODQ1IL7T", 2],
      ["CSLDFD", 3],
      ["2Z5S6G", 3],
    ];
    const program = `
var bitmap = atob("${b64(packed.bitmap)}"), widths = atob("${b64(packed.widths)}");
function show(text, scale) {
  var g = Graphics.createArrayBuffer(128, ${HEIGHT} * scale, 1);
  g.setFontCustom(bitmap, ${FIRST}, widths, ${HEIGHT} | (scale << 8));
  print("size " + g.stringWidth(text) + " " + g.getFontHeight());
  g.drawString(text, 0, 0);
  var w = text.length * ${WIDTH} * scale;
  for (var y = 0; y < g.getHeight(); y++) {
    var row = "";
    for (var x = 0; x < w; x++) row += g.getPixel(x, y) ? "#" : ".";
    print(row);
  }
}
${cases.map(([text, scale]) => `show(${JSON.stringify(text)}, ${scale});`).join("\n")}
`;
    const real = runOnEspruino(program);
    expect(real.status).toBe(0);
    const expected: string[] = [];
    for (const [text, scale] of cases) {
      expected.push(`size ${text.length * WIDTH * scale} ${HEIGHT * scale}`);
      expected.push(...scaledArt(text, scale));
    }
    expect(real.lines).toEqual(expected);
  });
});
