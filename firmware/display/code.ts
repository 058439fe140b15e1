// The user code, drawn as large as fits in a box: on one line, or in two groups on two
// lines. Codes are typed by hand from across a room (Simkl's docs: "render the code large"),
// so the code font is monospaced with look-alikes redrawn apart, and long codes are split
// into groups. A code with characters the code font lacks falls back to the small font.
import { CODE_HEIGHT, SMALL_HEIGHT, inCodeFont, printable, useCodeFont, useFont } from "./text";

export interface CodeLayout {
  scale: number;
  /** true: the code font; false: the small font (the code has characters outside '-'…'Z') */
  big: boolean;
  /** One or two lines; in a line, a space is a gap between groups. */
  lines: string[];
  /** Height in px of one line. */
  lineHeight: number;
}

const LARGEST_SCALE = 4;
/** Space between two groups on a line, and between two lines, in px at scale 1. */
const GROUP_GAP = 3;
const LINE_GAP = 2;

/**
 * The code's groups: its own, where it has separators ('-' or ' ', as oidc-provider's
 * `WDJB-MJHT`), else halves for a code of 6 or more characters (`CSLD FDUU`).
 */
export function codeGroups(code: string): string[] {
  const parts = code
    .split(" ")
    .join("-")
    .split("-")
    .filter(function (p) {
      return p.length > 0;
    });
  if (parts.length > 1) return parts;
  return code.length >= 6 ? halves(code) : [code];
}

/** The text in two, the first half the longer. */
function halves(text: string): string[] {
  const mid = (text.length + 1) >> 1;
  return [text.substr(0, mid), text.substr(mid)];
}

function selectFont(g: Graphics, big: boolean, scale: number): void {
  if (big) useCodeFont(g, scale);
  else useFont(g, scale);
}

/**
 * Width of a line as drawn: its groups (split at spaces) with a gap of 3 px per scale
 * between them, without the spacing column after each group's last glyph. (The code font
 * has no space: Espruino gives a character below a custom font's first a width of 0.)
 */
function lineWidth(g: Graphics, line: string, scale: number): number {
  const groups = line.split(" ");
  let w = 0;
  for (let i = 0; i < groups.length; i++) w += g.stringWidth(groups[i]) - scale + (i ? GROUP_GAP * scale : 0);
  return w;
}

/** Draws a line's groups from x, with the gaps lineWidth counts. */
function drawLine(g: Graphics, line: string, x: number, y: number, scale: number): void {
  const groups = line.split(" ");
  for (let i = 0; i < groups.length; i++) {
    g.drawString(groups[i], x, y);
    // stringWidth includes the glyphs' spacing column (1 px at scale 1): the rest is gap.
    x += g.stringWidth(groups[i]) + (GROUP_GAP - 1) * scale;
  }
}

/** The lines a code may be drawn as, best first: one line (grouped, then as written), two lines. */
function lineChoices(text: string): string[][] {
  const groups = codeGroups(text);
  const choices: string[][] = [];
  const separated = text.indexOf("-") >= 0 || text.indexOf(" ") >= 0;
  if (!separated && groups.length > 1) choices.push([groups.join(" ")]);
  choices.push([text]);
  const rows = groups.length > 1 ? groups : text.length > 1 ? halves(text) : [];
  if (rows.length) {
    const half = (rows.length + 1) >> 1;
    choices.push([rows.slice(0, half).join(" "), rows.slice(half).join(" ")]);
  }
  return choices;
}

/**
 * The largest layout of `code` that fits `width`×`height` px: the code font from scale 4 down
 * to 1, then the small font; at each size one line before two. One line keeps the code as
 * written (its own separators, or a gap between the halves of a long code, or none if the gap
 * alone would cost a size); two lines put the groups one above the other, dropping the
 * separator (RFC 8628 §6.1: servers ignore punctuation in a typed code). Null if nothing fits.
 */
export function layoutCode(g: Graphics, code: string, width: number, height: number): CodeLayout | null {
  const big = inCodeFont(code);
  const choices = lineChoices(big ? code : printable(code));
  // [code font?, scale] from the largest down; a code the code font lacks uses the small one.
  const sizes: number[][] = [];
  for (let scale = LARGEST_SCALE; scale >= 1; scale--) sizes.push([big ? 1 : 0, scale]);
  if (big) sizes.push([0, 1]);
  for (let i = 0; i < sizes.length; i++) {
    const inCode = sizes[i][0] === 1;
    const scale = sizes[i][1];
    selectFont(g, inCode, scale);
    const lineHeight = (inCode ? CODE_HEIGHT : SMALL_HEIGHT) * scale;
    for (let c = 0; c < choices.length; c++) {
      const lines = choices[c];
      if (lines.length * lineHeight + (lines.length - 1) * LINE_GAP * scale > height) continue;
      let fits = true;
      for (let l = 0; l < lines.length; l++) if (lineWidth(g, lines[l], scale) > width) fits = false;
      if (fits) return { scale: scale, big: inCode, lines: lines, lineHeight: lineHeight };
    }
  }
  return null;
}

/** Draws a layout centred in the box x0..x1 × y0..y1 (exclusive ends). */
export function drawCode(g: Graphics, layout: CodeLayout, x0: number, x1: number, y0: number, y1: number): void {
  selectFont(g, layout.big, layout.scale);
  const gap = layout.scale * LINE_GAP;
  const n = layout.lines.length;
  const total = n * layout.lineHeight + (n - 1) * gap;
  let y = y0 + ((y1 - y0 - total) >> 1);
  for (let i = 0; i < n; i++) {
    const line = layout.lines[i];
    drawLine(g, line, x0 + ((x1 - x0 - lineWidth(g, line, layout.scale)) >> 1), y, layout.scale);
    y += layout.lineHeight + gap;
  }
}
