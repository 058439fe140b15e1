// Text in our own fonts, registered with setFontCustom: the small proportional font
// (fonts/small.font) for words, and the large monospaced code font (fonts/code.font) for the
// user code. Espruino draws a character outside a custom font as nothing (and measures it
// wrongly), so every string is first mapped onto the font: bytes outside 32..126 become the
// small font's placeholder glyph 127.
import CODE from "./fonts/code.font";
import SMALL from "./fonts/small.font";

const PLACEHOLDER = String.fromCharCode(127);
const ELLIPSIS = "...";

/** Height of the small font at scale 1, and of one line of text. */
export const LINE = 9;

/**
 * The string with every character the font lacks replaced by the placeholder: a UTF-8
 * sequence (a lead byte and its continuation bytes) becomes one, as does any other byte
 * outside 32..126.
 */
export function printable(text: string): string {
  return text.replace(/[\xc0-\xff][\x80-\xbf]*/g, PLACEHOLDER).replace(/[^ -~]/g, PLACEHOLDER);
}

/** Selects the small font at a whole-number scale (1 = 8 px tall). */
export function useFont(g: Graphics, scale: number): void {
  g.setFontCustom(SMALL.bitmap, SMALL.first, SMALL.widths, SMALL.height | (scale << 8));
}

/**
 * Whether the code font can draw `text`: every character in '-' … 'Z', or a space (which
 * the code layout draws as a gap between groups).
 */
export function inCodeFont(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && (c < CODE.first || c >= CODE.first + CODE.widths.length)) return false;
  }
  return text.length > 0;
}

/** Selects the code font at a whole-number scale (1 = 10 px tall). */
export function useCodeFont(g: Graphics, scale: number): void {
  g.setFontCustom(CODE.bitmap, CODE.first, CODE.widths, CODE.height | (scale << 8));
}

/** Heights of the fonts at scale 1 (the small one's descender row included). */
export const CODE_HEIGHT = CODE.height;
export const SMALL_HEIGHT = SMALL.height;

/**
 * `text` (made printable) as it fits in `width` px in the current font: whole, or cut and
 * ended with an ellipsis, or "" where not even the ellipsis fits. Never wider than `width`.
 */
export function fitText(g: Graphics, text: string, width: number): string {
  let s = printable(text);
  if (g.stringWidth(s) <= width) return s;
  if (g.stringWidth(ELLIPSIS) > width) return "";
  // Binary search for the longest prefix that fits with the ellipsis after it.
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (g.stringWidth(s.substr(0, mid) + ELLIPSIS) <= width) lo = mid;
    else hi = mid - 1;
  }
  s = s.substr(0, lo);
  while (s.length && s.charAt(s.length - 1) === " ") s = s.substr(0, s.length - 1);
  return s + ELLIPSIS;
}

/**
 * Breaks `text` into at most `lines` lines of at most `width` px: after a space, or after a
 * '/' '.' '-' '?' '&' in a word too long for a line (links), else anywhere. The last line
 * is cut with an ellipsis if text remains.
 */
export function wrapText(g: Graphics, text: string, width: number, lines: number): string[] {
  const out: string[] = [];
  let rest = printable(text);
  while (rest.length && out.length < lines - 1) {
    if (g.stringWidth(rest) <= width) break;
    // The longest prefix that fits.
    let n = 1;
    while (n < rest.length && g.stringWidth(rest.substr(0, n + 1)) <= width) n++;
    let cut = n;
    if (rest.charAt(n) !== " ") {
      // The last space that fits, else the last link separator, else the width.
      let mark = 0;
      for (let i = n - 1; i > 0; i--) {
        const ch = rest.charAt(i);
        if (ch === " ") {
          mark = i;
          break;
        }
        if (!mark && "/.-?&".indexOf(ch) >= 0) mark = i;
      }
      if (mark) cut = mark + 1;
    }
    out.push(rest.substr(0, cut).trim());
    rest = rest.substr(cut).trim();
  }
  if (rest.length) out.push(fitText(g, rest, width));
  return out;
}

/** Draws text centred horizontally between x0 and x1 (exclusive). */
export function drawCentredIn(g: Graphics, text: string, x0: number, x1: number, y: number): void {
  g.drawString(text, x0 + ((x1 - x0 - g.stringWidth(text)) >> 1), y);
}

/** Draws text (made printable) centred horizontally on the panel. */
export function drawCentred(g: Graphics, text: string, y: number): void {
  drawCentredIn(g, printable(text), 0, g.getWidth(), y);
}
