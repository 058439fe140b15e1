// Text in our own font (fonts/small.font), registered with setFontCustom. Espruino draws a
// character outside a custom font as nothing (and measures it wrongly), so every string is
// first mapped onto the font: bytes outside 32..126 become the placeholder glyph 127.
import SMALL from "./fonts/small.font";

const PLACEHOLDER = String.fromCharCode(127);

/** The string with every byte the font lacks replaced by the placeholder. */
export function printable(text: string): string {
  return text.replace(/[^ -~]/g, PLACEHOLDER);
}

/** Selects the small font at a whole-number scale (1 = 8 px tall). */
export function useFont(g: Graphics, scale: number): void {
  g.setFontCustom(SMALL.bitmap, SMALL.first, SMALL.widths, SMALL.height | (scale << 8));
}

/** Draws text centred horizontally on the panel. */
export function drawCentred(g: Graphics, text: string, y: number): void {
  const s = printable(text);
  g.drawString(s, Math.floor((g.getWidth() - g.stringWidth(s)) / 2), y);
}
