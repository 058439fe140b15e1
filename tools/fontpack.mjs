// Reads codepair's plain-text glyph-art fonts (*.font, format described at the top of
// firmware/display/fonts/small.font) and packs them into the layout of Espruino's
// g.setFontCustom(bitmap, firstChar, widths, height). fontPlugin() lets esbuild import a
// .font file as { bitmap, widths, height, first } with bitmap and widths as atob("…") strings.
import { readFileSync } from "node:fs";

/**
 * @typedef {{ char: number, width: number, rows: string[] }} Glyph
 * @typedef {{ height: number, first: number, glyphs: Glyph[] }} Font
 * @typedef {{ bitmap: Uint8Array, widths: Uint8Array, height: number, first: number }} PackedFont
 */

/** A malformed font file; `file` and `line` (1-based) say where. */
export class FontError extends Error {
  /**
   * @param {string} file
   * @param {number} line
   * @param {string} message
   */
  constructor(file, line, message) {
    super(`${file}:${line}: ${message}`);
    this.name = "FontError";
    this.file = file;
    this.line = line;
    this.detail = message;
  }
}

/** Names of glyphs whose character cannot be written after `= `. */
const NAMED = /** @type {Record<string, number>} */ ({ space: 32, placeholder: 127 });

/** @param {number} code */
export function glyphName(code) {
  for (const name of Object.keys(NAMED)) if (NAMED[name] === code) return name;
  return code > 32 && code < 127 ? String.fromCharCode(code) : `#${code}`;
}

/** @param {string} line */
function isRowLike(line) {
  return /^[#.]+$/.test(line);
}

/**
 * Parses a .font file.
 * @param {string} text the file's contents
 * @param {string} fileName used in error messages
 * @returns {Font}
 */
export function parseFont(text, fileName) {
  const lines = text.split("\n");
  /** @type {number | null} */
  let height = null;
  /** @type {Glyph[]} */
  const glyphs = [];
  /** @type {{ glyph: Glyph, line: number } | null} */
  let open = null; // the glyph whose rows are being read
  /**
   * @param {number} line
   * @param {string} message
   * @returns {never}
   */
  function fail(line, message) {
    throw new FontError(fileName, line, message);
  }
  const closeGlyph = (/** @type {number} */ atLine) => {
    if (!open) return;
    const h = height;
    if (open.glyph.rows.length !== h) {
      const where = atLine > lines.length ? "end of file" : `line ${atLine}`;
      fail(
        open.line,
        `glyph '${glyphName(open.glyph.char)}' has ${open.glyph.rows.length} rows, expected ${h} (next glyph or ${where} came first)`,
      );
    }
    open = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i].replace(/\s+$/, "");
    if (line === "") continue;

    if (open && open.glyph.rows.length < /** @type {number} */ (height) && !line.startsWith("=")) {
      // Inside a glyph every non-blank line is a row.
      const bad = line.match(/[^#.]/);
      if (bad) fail(n, `glyph '${glyphName(open.glyph.char)}': row ${JSON.stringify(line)} has ${JSON.stringify(bad[0])}; rows hold only '#' (lit) and '.' (dark)`);
      const width = open.glyph.rows.length ? open.glyph.rows[0].length : line.length;
      if (line.length !== width) {
        fail(n, `glyph '${glyphName(open.glyph.char)}': row is ${line.length} wide, the glyph's first row is ${width} wide`);
      }
      open.glyph.rows.push(line);
      open.glyph.width = width;
      continue;
    }

    if (line.startsWith("=")) {
      closeGlyph(n);
      if (height === null) fail(n, "glyph before the 'height N' line");
      const m = line.match(/^= (.+)$/);
      if (!m) fail(n, `expected '= <char>' (or '= space', '= placeholder'), got ${JSON.stringify(line)}`);
      const name = m[1];
      /** @type {number} */
      let code;
      if (Object.prototype.hasOwnProperty.call(NAMED, name)) code = NAMED[name];
      else if (name.length === 1) code = name.charCodeAt(0);
      else fail(n, `unknown glyph name ${JSON.stringify(name)}: write the character itself, 'space' or 'placeholder'`);
      if (code > 255) fail(n, `glyph '${name}' is outside 0..255`);
      if (glyphs.length) {
        const expected = glyphs[glyphs.length - 1].char + 1;
        if (code < expected) {
          fail(n, `glyph '${glyphName(code)}' is out of order: glyphs go in order of character code, '${glyphName(expected)}' comes next`);
        }
        if (code > expected) {
          const last = code - 1;
          const missing = last === expected ? `'${glyphName(expected)}'` : `'${glyphName(expected)}'..'${glyphName(last)}'`;
          fail(n, `missing glyph(s) ${missing} before '${glyphName(code)}'`);
        }
      }
      /** @type {Glyph} */
      const glyph = { char: code, width: 0, rows: [] };
      glyphs.push(glyph);
      open = { glyph, line: n };
      continue;
    }

    if (isRowLike(line)) {
      if (open) fail(n, `glyph '${glyphName(open.glyph.char)}' (line ${open.line}) has more than ${height} rows`);
      fail(n, "glyph row outside any glyph (comments are '# text': they hold more than '#' and '.')");
    }
    if (line.startsWith("#")) continue; // comment

    const h = line.match(/^height\s+(\S+)$/);
    if (h) {
      if (height !== null) fail(n, "a second 'height' line");
      if (glyphs.length) fail(n, "'height' after the first glyph");
      const value = Number(h[1]);
      if (!/^\d+$/.test(h[1]) || value < 1 || value > 255) fail(n, `height must be a whole number 1..255, got ${h[1]}`);
      height = value;
      continue;
    }
    fail(n, `unexpected line ${JSON.stringify(line)} (rows hold only '#' and '.')`);
  }
  closeGlyph(lines.length + 1);
  if (height === null) fail(1, "no 'height N' line");
  if (!glyphs.length) fail(lines.length, "no glyphs");
  for (const g of glyphs) {
    if (g.width > 255) throw new FontError(fileName, 0, `glyph '${glyphName(g.char)}' is ${g.width} wide, at most 255`);
  }
  return { height: /** @type {number} */ (height), first: glyphs[0].char, glyphs };
}

/**
 * THE bit layout of Espruino's 1-bpp custom fonts, in this one function: glyphs in order,
 * each glyph column by column left to right, each column top to bottom, one bit per pixel,
 * most significant bit first, bits continuous across columns and glyphs, last byte zero-padded.
 * (libs/graphics/jswrap_graphics.c, jswrap_graphics_drawString: cx outer loop, cy inner loop,
 * reading `citdata` from bit 7 down.)
 * @param {Glyph[]} glyphs
 * @param {number} height
 * @returns {Uint8Array}
 */
export function layoutBitmap(glyphs, height) {
  let bits = 0;
  for (const g of glyphs) bits += g.width * height;
  const out = new Uint8Array(Math.ceil(bits / 8));
  let bit = 0;
  for (const g of glyphs) {
    for (let x = 0; x < g.width; x++) {
      for (let y = 0; y < height; y++, bit++) {
        if (g.rows[y][x] === "#") out[bit >> 3] |= 0x80 >> (bit & 7);
      }
    }
  }
  return out;
}

/**
 * Packs a parsed font into setFontCustom's arguments.
 * @param {Font} font
 * @returns {PackedFont}
 */
export function packFont(font) {
  return {
    bitmap: layoutBitmap(font.glyphs, font.height),
    widths: Uint8Array.from(font.glyphs.map((g) => g.width)),
    height: font.height,
    first: font.first,
  };
}

/**
 * The JavaScript module that a `.font` import becomes. atob("…") keeps the bundle's text short
 * (base64, where a literal of the bytes would be mostly \xNN escapes); in the flash form
 * (tools/flashform.mjs) each atob of a constant is the raw string of its bytes, read from flash
 * where it is (1 JsVar instead of a copy in RAM for as long as the font is used).
 * @param {PackedFont} packed
 * @returns {string}
 */
export function fontModuleSource(packed) {
  const b64 = (/** @type {Uint8Array} */ bytes) => Buffer.from(bytes).toString("base64");
  return (
    `export default { bitmap: atob(${JSON.stringify(b64(packed.bitmap))}), ` +
    `widths: atob(${JSON.stringify(b64(packed.widths))}), ` +
    `height: ${packed.height}, first: ${packed.first} };\n`
  );
}

/**
 * esbuild plugin: `import SMALL from "./fonts/small.font"` yields
 * `{ bitmap: string, widths: string, height: number, first: number }`.
 * @returns {import("esbuild").Plugin}
 */
export function fontPlugin() {
  return {
    name: "codepair-font",
    setup(build) {
      build.onLoad({ filter: /\.font$/ }, (args) => {
        const text = readFileSync(args.path, "utf8");
        try {
          return { contents: fontModuleSource(packFont(parseFont(text, args.path))), loader: "js" };
        } catch (err) {
          if (!(err instanceof FontError)) throw err;
          const lineText = err.line > 0 ? text.split("\n")[err.line - 1] || "" : "";
          return {
            errors: [
              {
                text: err.detail,
                location: { file: args.path, line: Math.max(err.line, 1), column: 0, lineText },
              },
            ],
          };
        }
      });
    },
  };
}
