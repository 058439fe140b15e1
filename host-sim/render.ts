// Pictures of a panel framebuffer (width × height bytes, row-major, 1 = lit): for a terminal, as a
// PNG, and as ASCII for test failure messages; plus a pixel diff for tests.

import { PNG } from "pngjs";

export type Rgb = [number, number, number];

export interface PngOptions {
  /** each panel pixel becomes scale × scale PNG pixels; 1 by default */
  scale?: number;
  lit?: Rgb;
  dark?: Rgb;
}

/** A white-blue OLED pixel on a near-black glass. */
const DEFAULT_LIT: Rgb = [0xd8, 0xf0, 0xff];
const DEFAULT_DARK: Rgb = [0x0a, 0x0c, 0x10];

function checkSize(pixels: Uint8Array, width: number, height: number): void {
  if (pixels.length !== width * height) {
    throw new Error(`framebuffer has ${pixels.length} pixels, expected ${width}×${height} = ${width * height}`);
  }
}

/**
 * Two pixel rows per text line with half blocks (top ▀, bottom ▄, both █), inside a thin box so
 * the panel's edge shows. height / 2 lines (rounded up) plus the two border lines, joined by "\n".
 */
export function toTerminal(pixels: Uint8Array, width: number, height: number): string {
  checkSize(pixels, width, height);
  const lines: string[] = ["┌" + "─".repeat(width) + "┐"];
  for (let y = 0; y < height; y += 2) {
    let line = "│";
    for (let x = 0; x < width; x++) {
      const top = pixels[y * width + x] !== 0;
      const bottom = y + 1 < height && pixels[(y + 1) * width + x] !== 0;
      line += top ? (bottom ? "█" : "▀") : bottom ? "▄" : " ";
    }
    lines.push(line + "│");
  }
  lines.push("└" + "─".repeat(width) + "┘");
  return lines.join("\n");
}

/** '#' for lit, '.' for dark, one line per pixel row. */
export function toAscii(pixels: Uint8Array, width: number, height: number): string {
  checkSize(pixels, width, height);
  const lines: string[] = [];
  for (let y = 0; y < height; y++) {
    let line = "";
    for (let x = 0; x < width; x++) line += pixels[y * width + x] !== 0 ? "#" : ".";
    lines.push(line);
  }
  return lines.join("\n");
}

export function toPng(pixels: Uint8Array, width: number, height: number, opts: PngOptions = {}): Buffer {
  checkSize(pixels, width, height);
  const scale = opts.scale === undefined ? 1 : opts.scale;
  if (!(scale >= 1) || Math.floor(scale) !== scale) throw new Error(`scale must be a positive integer, got ${scale}`);
  const lit = opts.lit || DEFAULT_LIT;
  const dark = opts.dark || DEFAULT_DARK;
  const png = new PNG({ width: width * scale, height: height * scale });
  const outWidth = width * scale;
  for (let y = 0; y < height * scale; y++) {
    const py = Math.floor(y / scale);
    for (let x = 0; x < outWidth; x++) {
      const colour = pixels[py * width + Math.floor(x / scale)] !== 0 ? lit : dark;
      const i = (y * outWidth + x) * 4;
      png.data[i] = colour[0];
      png.data[i + 1] = colour[1];
      png.data[i + 2] = colour[2];
      png.data[i + 3] = 0xff;
    }
  }
  return PNG.sync.write(png);
}

/**
 * Reads a PNG back into a framebuffer: the image is cut into scale × scale blocks and each block's
 * centre pixel is lit when its colour is nearer to `lit` than to `dark` (the toPng defaults unless
 * given), so a PNG from toPng with the same options comes back exactly.
 */
export function fromPng(
  buf: Buffer,
  scale = 1,
  colours: { lit?: Rgb; dark?: Rgb } = {},
): { width: number; height: number; pixels: Uint8Array } {
  const png = PNG.sync.read(buf);
  if (png.width % scale !== 0 || png.height % scale !== 0) {
    throw new Error(`a ${png.width}×${png.height} image is not made of ${scale}×${scale} blocks`);
  }
  const lit = colours.lit || DEFAULT_LIT;
  const dark = colours.dark || DEFAULT_DARK;
  const width = png.width / scale;
  const height = png.height / scale;
  const pixels = new Uint8Array(width * height);
  const centre = Math.floor(scale / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = ((y * scale + centre) * png.width + (x * scale + centre)) * 4;
      const rgb: Rgb = [png.data[i], png.data[i + 1], png.data[i + 2]];
      pixels[y * width + x] = distance(rgb, lit) < distance(rgb, dark) ? 1 : 0;
    }
  }
  return { width, height, pixels };
}

function distance(a: Rgb, b: Rgb): number {
  const dr = a[0] - b[0];
  const dg = a[1] - b[1];
  const db = a[2] - b[2];
  return dr * dr + dg * dg + db * db;
}

/** How many pixels differ (lit vs dark), and the first one in row-major order. */
export function diffPixels(
  a: Uint8Array,
  b: Uint8Array,
  width: number,
  height: number,
): { count: number; first?: { x: number; y: number } } {
  checkSize(a, width, height);
  checkSize(b, width, height);
  let count = 0;
  let first: { x: number; y: number } | undefined;
  for (let i = 0; i < width * height; i++) {
    if ((a[i] !== 0) !== (b[i] !== 0)) {
      if (count === 0) first = { x: i % width, y: Math.floor(i / width) };
      count++;
    }
  }
  return first ? { count, first } : { count };
}
