// Text in our own font (fonts/small.font), registered with setFontCustom. Espruino draws a
// character outside a custom font as nothing (and measures it wrongly), so every string is
// first mapped onto the font: bytes outside 32..126 become the placeholder glyph 127.
import SMALL from "./fonts/small.font";

/** Pixel rows between text lines in the small font. */
export const LINE_HEIGHT = 10;
const PLACEHOLDER = String.fromCharCode(127);

/** The string with every byte the font lacks replaced by the placeholder. */
export function printable(text: string): string {
  return text.replace(/[^ -~]/g, PLACEHOLDER);
}

/** Selects the small font at a whole-number scale (1 = 8 px tall). */
export function useFont(g: Graphics, scale: number): void {
  g.setFontCustom(SMALL.bitmap, SMALL.first, SMALL.widths, SMALL.height | (scale << 8));
}

export function textWidth(g: Graphics, text: string): number {
  return g.stringWidth(printable(text));
}

/** Draws text with its top-left corner at (x, y). */
export function drawText(g: Graphics, text: string, x: number, y: number): void {
  g.drawString(printable(text), x, y);
}

/** Draws text centred horizontally on the panel. */
export function drawCentred(g: Graphics, text: string, y: number): void {
  const s = printable(text);
  g.drawString(s, Math.floor((g.getWidth() - g.stringWidth(s)) / 2), y);
}
