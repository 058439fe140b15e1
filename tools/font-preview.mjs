// Prints text rendered with a .font as '#' and '.', to review glyphs at 1:1.
//
//   node tools/font-preview.mjs "Hello 0O1lI"
//   node tools/font-preview.mjs --font firmware/display/fonts/small.font "text" "more text"
//
// Each argument is one line of output. Characters outside the font draw as the placeholder
// (glyph 127), as the firmware does.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseFont } from "./fontpack.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Renders one line of text into rows of '#' and '.'.
 * @param {import("./fontpack.mjs").Font} font
 * @param {string} text
 * @returns {string[]}
 */
export function renderText(font, text) {
  const last = font.first + font.glyphs.length - 1;
  const placeholder = font.glyphs[font.glyphs.length - 1];
  /** @type {string[]} */
  const rows = [];
  for (let y = 0; y < font.height; y++) rows.push("");
  for (const ch of text) {
    const code = ch.codePointAt(0) || 0;
    const glyph = code >= font.first && code <= last && code !== 127 ? font.glyphs[code - font.first] : placeholder;
    for (let y = 0; y < font.height; y++) rows[y] += glyph.rows[y];
  }
  return rows;
}

function main() {
  const args = process.argv.slice(2);
  let fontPath = resolve(ROOT, "firmware/display/fonts/small.font");
  const i = args.indexOf("--font");
  if (i >= 0) {
    fontPath = resolve(args[i + 1]);
    args.splice(i, 2);
  }
  if (!args.length) {
    console.error('usage: node tools/font-preview.mjs [--font file.font] "text" ["more text" …]');
    process.exit(2);
  }
  const font = parseFont(readFileSync(fontPath, "utf8"), fontPath);
  for (const text of args) {
    const rows = renderText(font, text);
    console.log(`${text}  (${rows[0].length} px wide)`);
    for (const row of rows) console.log(row);
    console.log("");
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
