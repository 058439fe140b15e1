import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { FontError, fontModuleSource, fontPlugin, packFont, parseFont } from "../tools/fontpack.mjs";
import { renderText } from "../tools/font-preview.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SMALL_PATH = resolve(ROOT, "firmware/display/fonts/small.font");
const SMALL_TEXT = readFileSync(SMALL_PATH, "utf8");

/** Joins fixture lines with newlines. */
const lines = (...ls: string[]) => ls.join("\n") + "\n";

/** The message parseFont throws for `text`, checked to be a FontError naming bad.font. */
function errorOf(text: string): string {
  try {
    parseFont(text, "bad.font");
  } catch (err) {
    expect(err).toBeInstanceOf(FontError);
    return (err as Error).message;
  }
  throw new Error("parseFont accepted a malformed font");
}

/** Base64-to-byte-string as Espruino's atob, without relying on Node's global. */
const atobPolyfill = (b64: string) => Buffer.from(b64, "base64").toString("latin1");

/** Bytes of a byte string (each char code 0..255). */
const bytesOf = (s: string) => Array.from(s, (c) => {
  const code = c.charCodeAt(0);
  expect(code).toBeLessThan(256);
  return code;
});

describe("parseFont errors", () => {
  it("names the file and the glyph's line when a glyph has too few rows", () => {
    const text = lines("height 3", "= A", "#.", "##", "= B", "##", "##", "##");
    expect(errorOf(text)).toMatch(/^bad\.font:2: glyph 'A' has 2 rows, expected 3/);
  });

  it("reports too few rows at the end of the file", () => {
    const text = lines("height 3", "= A", "#.", "##", "##", "= B", "##");
    expect(errorOf(text)).toMatch(/^bad\.font:6: glyph 'B' has 1 rows, expected 3 .*end of file/);
  });

  it("reports a glyph with too many rows at the extra row", () => {
    const text = lines("height 2", "= A", "#.", "##", "#.", "= B", "##", "##");
    expect(errorOf(text)).toMatch(/^bad\.font:5: glyph 'A' \(line 2\) has more than 2 rows/);
  });

  it("reports rows of unequal width", () => {
    const text = lines("height 3", "= A", "#.", "#..", "##");
    expect(errorOf(text)).toMatch(/^bad\.font:4: glyph 'A': row is 3 wide, the glyph's first row is 2 wide/);
  });

  it("reports characters other than # and . in a row", () => {
    expect(errorOf(lines("height 2", "= A", "#.", "x."))).toMatch(/^bad\.font:4: glyph 'A': row "x\." has "x"/);
    expect(errorOf(lines("height 2", "= A", "#.", "# "))).toMatch(/^bad\.font:\d+: /); // trailing space is trimmed → width mismatch
    expect(errorOf(lines("height 2", "= A", "#.", "#o"))).toMatch(/^bad\.font:4: glyph 'A': row "#o" has "o"/);
    expect(errorOf(lines("height 2", "= A", "#.", "##", "ab"))).toMatch(/^bad\.font:5: unexpected line "ab"/);
  });

  it("reports a missing glyph", () => {
    const text = lines("height 1", "= A", "#.", "= C", "#.");
    expect(errorOf(text)).toMatch(/^bad\.font:4: missing glyph\(s\) 'B' before 'C'/);
    const gap = lines("height 1", "= A", "#.", "= E", "#.");
    expect(errorOf(gap)).toMatch(/^bad\.font:4: missing glyph\(s\) 'B'\.\.'D' before 'E'/);
  });

  it("reports glyphs out of order or repeated", () => {
    expect(errorOf(lines("height 1", "= B", "#.", "= A", "#."))).toMatch(
      /^bad\.font:4: glyph 'A' is out of order: .*'C' comes next/,
    );
    expect(errorOf(lines("height 1", "= A", "#.", "= A", "#."))).toMatch(/^bad\.font:4: glyph 'A' is out of order/);
  });

  it("reports header problems and bad glyph names", () => {
    expect(errorOf(lines("= A", "#."))).toMatch(/^bad\.font:1: glyph before the 'height N' line/);
    expect(errorOf(lines("# just a comment"))).toMatch(/^bad\.font:1: no 'height N' line/);
    expect(errorOf(lines("height 0"))).toMatch(/^bad\.font:1: height must be a whole number 1\.\.255/);
    expect(errorOf(lines("height 2", "height 2"))).toMatch(/^bad\.font:2: a second 'height' line/);
    expect(errorOf(lines("height 1", "= AB", "#."))).toMatch(/^bad\.font:2: unknown glyph name "AB"/);
    expect(errorOf(lines("height 1", "=A", "#."))).toMatch(/^bad\.font:2: expected '= <char>'/);
    expect(errorOf(lines("height 1", "#.", "= A", "#."))).toMatch(/^bad\.font:2: glyph row outside any glyph/);
    expect(errorOf(lines("height 1"))).toMatch(/no glyphs/);
  });

  it("accepts comments, blank lines, CRLF and the names space and placeholder", () => {
    const text = ["# a comment", "height 1", "", "= space", "..", "# between glyphs", "= !", "#."].join("\r\n");
    const font = parseFont(text, "ok.font");
    expect(font).toEqual({
      height: 1,
      first: 32,
      glyphs: [
        { char: 32, width: 2, rows: [".."] },
        { char: 33, width: 2, rows: ["#."] },
      ],
    });
    const box = parseFont(lines("height 1", "= ~", "#.", "= placeholder", "#."), "ok.font");
    expect(box.glyphs.map((g) => g.char)).toEqual([126, 127]);
  });
});

describe("small.font", () => {
  const font = parseFont(SMALL_TEXT, SMALL_PATH);
  const glyph = (ch: string) => font.glyphs[ch.charCodeAt(0) - font.first];

  it("has height 8 and the 96 glyphs 32..127 in order", () => {
    expect(font.height).toBe(8);
    expect(font.first).toBe(32);
    expect(font.glyphs).toHaveLength(96);
    expect(font.glyphs.map((g) => g.char)).toEqual(Array.from({ length: 96 }, (_, i) => 32 + i));
  });

  // The rule, for every glyph including space and the placeholder: at least 2 px wide, and
  // the rightmost column is the blank spacing column.
  it("gives every glyph 8 rows, width >= 2 and a blank last column", () => {
    for (const g of font.glyphs) {
      const name = String.fromCharCode(g.char);
      expect(g.rows, name).toHaveLength(8);
      expect(g.width, name).toBeGreaterThanOrEqual(2);
      for (const row of g.rows) {
        expect(row.length, name).toBe(g.width);
        expect(row[row.length - 1], name).toBe(".");
      }
    }
  });

  it("uses row 7 only for descenders", () => {
    const descenders = "gjpqy,;_";
    for (const g of font.glyphs) {
      const ch = String.fromCharCode(g.char);
      expect(g.rows[7].includes("#"), ch).toBe(descenders.includes(ch));
    }
  });

  it("keeps capitals and digits in rows 0-6 and lowercase x-height in rows 2-6", () => {
    for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
      expect(glyph(ch).rows[0].includes("#"), ch).toBe(true);
      expect(glyph(ch).rows[6].includes("#"), ch).toBe(true);
    }
    for (const ch of "acemnorsuvwxz") {
      expect(glyph(ch).rows[0] + glyph(ch).rows[1], ch).not.toContain("#");
      expect(glyph(ch).rows[2].includes("#"), ch).toBe(true);
    }
  });

  it("has a blank space, a hollow box placeholder, and distinct look-alikes", () => {
    expect(glyph(" ").rows.join("")).not.toContain("#");
    expect([3, 4]).toContain(glyph(" ").width);
    const box = font.glyphs[95].rows;
    expect(box[0]).toMatch(/^#+\.$/);
    expect(box[6]).toEqual(box[0]);
    for (const row of box.slice(1, 6)) expect(row).toMatch(/^#\.+#\.$/);
    const shapes = ["0", "O", "D", "1", "l", "I", "|", "i", "!"].map((c) => glyph(c).rows.join("/"));
    expect(new Set(shapes).size).toBe(shapes.length);
    expect(shapes).not.toContain(box.join("/"));
  });

  it("renders text through the preview tool, unknown characters as the placeholder", () => {
    const rows = renderText(font, "A\u00e9");
    expect(rows[0]).toBe(glyph("A").rows[0] + font.glyphs[95].rows[0]);
  });
});

describe("packFont", () => {
  // A: cols top→bottom 1,0,1 | 0,1,1   B: 0,1,0 | 1,0,0 | 0,0,1
  // bits 101 011 010 100 001 → 1010_1101 0100_001(0) → 0xAD 0x42
  const tiny = parseFont(lines("height 3", "= A", "#.", ".#", "##", "= B", ".#.", "#..", "..#"), "tiny.font");

  it("packs columns top to bottom, MSB first, continuous across columns and glyphs", () => {
    const packed = packFont(tiny);
    expect(Array.from(packed.bitmap)).toEqual([0xad, 0x42]);
    expect(Array.from(packed.widths)).toEqual([2, 3]);
    expect(packed.height).toBe(3);
    expect(packed.first).toBe(65);
  });

  it("packs small.font into sum(widths) bytes (height 8: one byte per column)", () => {
    const packed = packFont(parseFont(SMALL_TEXT, SMALL_PATH));
    const columns = Array.from(packed.widths).reduce((a, b) => a + b, 0);
    expect(packed.bitmap.length).toBe(columns);
    expect(packed.widths.length).toBe(96);
  });
});

describe("fontPlugin", () => {
  const packed = packFont(parseFont(SMALL_TEXT, SMALL_PATH));

  it("emits atob() strings whose bytes equal packFont's output", () => {
    const src = fontModuleSource(packed);
    expect(src).toMatch(/^export default \{ bitmap: atob\("[A-Za-z0-9+/=]+"\), widths: atob\("[A-Za-z0-9+/=]+"\), height: 8, first: 32 \};\n$/);
  });

  it("makes `import SMALL from \"…/small.font\"` work in an esbuild bundle", async () => {
    const result = await build({
      stdin: {
        contents: 'export { default } from "./firmware/display/fonts/small.font";',
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      write: false,
      format: "iife",
      globalName: "FONT_MODULE",
      target: "es2015",
      plugins: [fontPlugin()],
      logLevel: "silent",
    });
    const code = result.outputFiles[0].text;
    expect(code).toContain("atob(");
    const mod = new Function("atob", `${code}\nreturn FONT_MODULE;`)(atobPolyfill) as {
      default: { bitmap: string; widths: string; height: number; first: number };
    };
    const font = mod.default;
    expect(font.height).toBe(8);
    expect(font.first).toBe(32);
    expect(bytesOf(font.bitmap)).toEqual(Array.from(packed.bitmap));
    expect(bytesOf(font.widths)).toEqual(Array.from(packed.widths));
    // Node's own atob decodes it the same way.
    const viaNode = new Function("atob", `${code}\nreturn FONT_MODULE;`)(atob) as typeof mod;
    expect(viaNode.default.bitmap).toBe(font.bitmap);
  });

  it("turns a malformed font into an esbuild error at the font's line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "codepair-font-"));
    const bad = join(dir, "bad.font");
    writeFileSync(bad, lines("height 2", "= A", "#.", "#x"));
    try {
      await build({
        stdin: { contents: `import F from ${JSON.stringify(bad)}; console.log(F);`, resolveDir: dir },
        bundle: true,
        write: false,
        plugins: [fontPlugin()],
        logLevel: "silent",
      });
      throw new Error("the build accepted a malformed font");
    } catch (err) {
      const errors = (err as { errors?: { text: string; location: { file: string; line: number } | null }[] }).errors;
      expect(errors).toHaveLength(1);
      expect(errors![0].text).toMatch(/glyph 'A': row "#x" has "x"/);
      expect(errors![0].location!.line).toBe(4);
      expect(errors![0].location!.file).toContain("bad.font");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
