// The user code, drawn as large as fits in a box: on one line, or in two groups on two
// lines. Codes are typed by hand from across a room (Simkl's docs: "render the code large"),
// so the code font is monospaced with look-alikes redrawn apart, and long codes are split
// into groups. A code with characters the code font lacks falls back to the small font.
import { CODE_HEIGHT, inCodeFont, printable, useCodeFont, useFont } from "./text";

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
  if (code.length >= 6) {
    const half = (code.length + 1) >> 1;
    return [code.substr(0, half), code.substr(half)];
  }
  return [code];
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
  for (let i = 0; i < groups.length; i++) w += g.stringWidth(groups[i]) - scale + (i ? 3 * scale : 0);
  return w;
}

/** Draws a line's groups from x, with the gaps lineWidth counts. */
function drawLine(g: Graphics, line: string, x: number, y: number, scale: number): void {
  const groups = line.split(" ");
  for (let i = 0; i < groups.length; i++) {
    g.drawString(groups[i], x, y);
    x += g.stringWidth(groups[i]) + 2 * scale;
  }
}

/**
 * The largest layout of `code` that fits `width`×`height` px, one line before two at the
 * same scale; null if it fits at no scale. One line keeps the code as written (with its
 * separators, or with a gap between the halves of a long code); two lines put the groups
 * one above the other, dropping the separator (RFC 8628 §6.1: servers ignore punctuation).
 */
export function layoutCode(g: Graphics, code: string, width: number, height: number): CodeLayout | null {
  const big = inCodeFont(code);
  const text = big ? code : printable(code);
  const groups = codeGroups(text);
  const separated = text.indexOf("-") >= 0 || text.indexOf(" ") >= 0;
  const oneLine = separated || groups.length < 2 ? text : groups.join(" ");
  let twoLines: string[] = [];
  if (groups.length === 2) twoLines = groups;
  else if (groups.length > 2) {
    const half = (groups.length + 1) >> 1;
    twoLines = [groups.slice(0, half).join(" "), groups.slice(half).join(" ")];
  } else if (text.length > 1) {
    const mid = (text.length + 1) >> 1;
    twoLines = [text.substr(0, mid), text.substr(mid)];
  }
  const unit = big ? CODE_HEIGHT : 8;
  for (let scale = LARGEST_SCALE; scale >= 1; scale--) {
    selectFont(g, big, scale);
    const h = unit * scale;
    if (h <= height && lineWidth(g, oneLine, scale) <= width) {
      return { scale: scale, big: big, lines: [oneLine], lineHeight: h };
    }
    if (
      twoLines.length === 2 &&
      2 * h + scale * 2 <= height &&
      lineWidth(g, twoLines[0], scale) <= width &&
      lineWidth(g, twoLines[1], scale) <= width
    ) {
      return { scale: scale, big: big, lines: twoLines, lineHeight: h };
    }
  }
  return null;
}

/** Draws a layout centred in the box x0..x1 × y0..y1 (exclusive ends). */
export function drawCode(g: Graphics, layout: CodeLayout, x0: number, x1: number, y0: number, y1: number): void {
  selectFont(g, layout.big, layout.scale);
  const gap = layout.scale * 2;
  const n = layout.lines.length;
  const total = n * layout.lineHeight + (n - 1) * gap;
  let y = y0 + ((y1 - y0 - total) >> 1);
  for (let i = 0; i < n; i++) {
    const line = layout.lines[i];
    drawLine(g, line, x0 + ((x1 - x0 - lineWidth(g, line, layout.scale)) >> 1), y, layout.scale);
    y += layout.lineHeight + gap;
  }
}
