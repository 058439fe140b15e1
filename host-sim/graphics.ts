// Espruino's Graphics, the subset the firmware uses, drawing into an ArrayBuffer with the
// same bytes as the interpreter's (measured on Espruino 2v29's Linux build):
// - createArrayBuffer(w, h, 1, {vertical_byte, msb}): msb defaults to true (since 2v25).
//   vertical_byte: byte x + (y>>3)*w, mask 0x80>>(y&7) with msb, 1<<(y&7) without.
//   Otherwise row-major, bits continuous across rows: bit x + y*w, MSB or LSB first.
// - fillRect/clearRect/drawRect take inclusive corners in either order; drawing clips.
// - setFontCustom(bitmap, first, widths, height): see drawString below.
// Only 1 bit per pixel is modelled: the firmware draws on a monochrome OLED.
import { toBytes } from "./bytes.ts";
import type { Realm } from "./realm.ts";

interface CustomFont {
  bitmap: string;
  first: number;
  widths: string | number;
  height: number;
  scale: number;
}

interface Image {
  width: number;
  height: number;
  bpp?: number;
  transparent?: number;
  buffer: ArrayBuffer | string | ArrayBufferView;
}

function bytesOf(data: unknown): Uint8Array {
  return Uint8Array.from(toBytes(data, (v) => new TypeError("Graphics: not image or font data: " + typeof v)));
}

export class ArrayBufferGraphics {
  readonly buffer: ArrayBuffer;
  private bytes: Uint8Array;
  private fg = 1;
  private bg = 0;
  private font: CustomFont | undefined;

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly vertical: boolean,
    private readonly msb: boolean,
    private readonly realm: Realm,
  ) {
    const size = vertical ? width * (height >> 3) : Math.ceil((width * height) / 8);
    this.buffer = new realm.ArrayBuffer(size);
    this.bytes = new Uint8Array(this.buffer);
  }

  private locate(x: number, y: number): [number, number] {
    if (this.vertical) return [x + (y >> 3) * this.width, this.msb ? 0x80 >> (y & 7) : 1 << (y & 7)];
    const bit = x + y * this.width;
    return [bit >> 3, this.msb ? 0x80 >> (bit & 7) : 1 << (bit & 7)];
  }

  private put(x: number, y: number, color: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const [i, mask] = this.locate(x, y);
    if (color & 1) this.bytes[i] |= mask;
    else this.bytes[i] &= ~mask;
  }

  getWidth(): number {
    return this.width;
  }

  getHeight(): number {
    return this.height;
  }

  getBPP(): number {
    return 1;
  }

  setColor(c: number): this {
    this.fg = Number(c) & 1;
    return this;
  }

  getColor(): number {
    return this.fg;
  }

  setBgColor(c: number): this {
    this.bg = Number(c) & 1;
    return this;
  }

  getBgColor(): number {
    return this.bg;
  }

  setPixel(x: number, y: number, color?: number): this {
    this.put(Math.floor(x), Math.floor(y), color === undefined ? this.fg : Number(color));
    return this;
  }

  getPixel(x: number, y: number): number {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return 0;
    const [i, mask] = this.locate(Math.floor(x), Math.floor(y));
    return this.bytes[i] & mask ? 1 : 0;
  }

  /** clear(reset): fills with the background colour; reset also restores colours and font. */
  clear(reset?: boolean): this {
    if (reset) {
      this.fg = 1;
      this.bg = 0;
      this.font = undefined;
    }
    this.bytes.fill(this.bg ? 0xff : 0);
    return this;
  }

  private fill(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const xa = Math.max(0, Math.floor(Math.min(x1, x2)));
    const xb = Math.min(this.width - 1, Math.floor(Math.max(x1, x2)));
    const ya = Math.max(0, Math.floor(Math.min(y1, y2)));
    const yb = Math.min(this.height - 1, Math.floor(Math.max(y1, y2)));
    for (let y = ya; y <= yb; y++) for (let x = xa; x <= xb; x++) this.put(x, y, color);
  }

  fillRect(x1: number, y1: number, x2: number, y2: number): this {
    this.fill(x1, y1, x2, y2, this.fg);
    return this;
  }

  clearRect(x1: number, y1: number, x2: number, y2: number): this {
    this.fill(x1, y1, x2, y2, this.bg);
    return this;
  }

  drawRect(x1: number, y1: number, x2: number, y2: number): this {
    this.fill(x1, y1, x2, y1, this.fg);
    this.fill(x1, y2, x2, y2, this.fg);
    this.fill(x1, y1, x1, y2, this.fg);
    this.fill(x2, y1, x2, y2, this.fg);
    return this;
  }

  setFontCustom(bitmap: unknown, first: number, widths: string | number, height: number): this {
    // Measured: anything but a string throws on the device.
    if (typeof bitmap !== "string") throw new this.realm.Error("Font bitmap must be a String");
    this.font = { bitmap, first, widths, height: height & 0xff, scale: Math.max(1, (height >> 8) & 0xff) };
    return this;
  }

  getFontHeight(): number {
    const font = this.customFont();
    return font.height * font.scale;
  }

  /**
   * The font set with setFontCustom. Without one the device draws its built-in 4x6 font,
   * which the simulator does not reproduce: that is a firmware bug here, so it throws.
   */
  private customFont(): CustomFont {
    if (!this.font) throw new this.realm.Error("simulator: no setFontCustom font set; the device would draw its built-in font, which the simulator does not model");
    return this.font;
  }

  /** Glyphs in the font: a widths string has one byte each; else the bitmap's length says. */
  private glyphCount(font: CustomFont): number {
    if (typeof font.widths === "string") return font.widths.length;
    return Math.floor((font.bitmap.length * 8) / (font.widths * font.height));
  }

  /**
   * Advance of a character. Measured on 2v29: with a numeric width, a character outside the
   * font advances by that width and draws nothing; with a widths string, drawString advances
   * it by 0 while stringWidth adds a meaningless value (garbage read past the string). The
   * firmware never draws characters outside its font; here they count 0 in both.
   */
  private charWidth(font: CustomFont, code: number): number {
    const i = code - font.first;
    if (typeof font.widths === "number") return font.widths;
    if (i < 0 || i >= font.widths.length) return 0;
    return font.widths.charCodeAt(i);
  }

  /** Bit offset of a glyph in the bitmap: glyphs packed column by column, bits continuous. */
  private glyphOffset(font: CustomFont, code: number): number {
    const i = code - font.first;
    if (typeof font.widths === "number") return i * font.widths * font.height;
    let cols = 0;
    for (let k = 0; k < i; k++) cols += font.widths.charCodeAt(k);
    return cols * font.height;
  }

  stringWidth(text: string): number {
    const font = this.customFont();
    let widest = 0;
    let w = 0;
    const s = String(text);
    for (let i = 0; i < s.length; i++) {
      const code = s.charCodeAt(i);
      if (code === 10) {
        widest = Math.max(widest, w);
        w = 0;
        continue;
      }
      w += this.charWidth(font, code) * font.scale;
    }
    return Math.max(widest, w);
  }

  /**
   * Draws text in the custom font, top-left at (x, y); `solid` paints the glyph cells' unset
   * pixels in the background colour. As measured on 2v29, a glyph is drawn only when
   * x > -width·scale, x < panel width - 1 (so one starting in the last column is not), and
   * y > -font height, y <= panel height - 1; otherwise pixels clip one by one.
   */
  drawString(text: string, x: number, y: number, solid?: boolean): this {
    const font = this.customFont();
    const s = String(text);
    const fontHeight = font.height * font.scale;
    const maxX = this.width - 1;
    const maxY = this.height - 1;
    let cx = Math.floor(x);
    let cy = Math.floor(y);
    const startX = cx;
    for (let i = 0; i < s.length; i++) {
      const code = s.charCodeAt(i);
      if (code === 10) {
        cx = startX;
        cy += fontHeight;
        continue;
      }
      const w = this.charWidth(font, code);
      const inFont = code >= font.first && code - font.first < this.glyphCount(font);
      if (inFont && cx > -w * font.scale && cx < maxX && cy > -fontHeight && cy <= maxY) {
        let bit = this.glyphOffset(font, code);
        for (let col = 0; col < w; col++) {
          for (let row = 0; row < font.height; row++, bit++) {
            const on = (font.bitmap.charCodeAt(bit >> 3) & (0x80 >> (bit & 7))) !== 0;
            if (!on && !solid) continue;
            const color = on ? this.fg : this.bg;
            for (let sy = 0; sy < font.scale; sy++) {
              for (let sx = 0; sx < font.scale; sx++) this.put(cx + col * font.scale + sx, cy + row * font.scale + sy, color);
            }
          }
        }
      }
      cx += w * font.scale;
    }
    return this;
  }

  /**
   * 1 bpp images: rows of `width` bits, continuous, most significant bit first. With
   * `{scale: n}` each image pixel is an n×n block from the truncated origin.
   */
  drawImage(image: Image, x: number, y: number, options?: { scale?: number }): this {
    const bpp = image.bpp || 1;
    if (bpp !== 1) throw new Error("simulator: only 1 bpp images are modelled");
    const scale = options && options.scale !== undefined ? options.scale : 1;
    if (!(scale >= 1 && scale === Math.floor(scale))) throw new Error("simulator: only whole-number image scales are modelled");
    const data = bytesOf(image.buffer);
    const transparent = image.transparent;
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    for (let row = 0; row < image.height; row++) {
      for (let col = 0; col < image.width; col++) {
        const bit = row * image.width + col;
        const v = data[bit >> 3] & (0x80 >> (bit & 7)) ? 1 : 0;
        if (v === transparent) continue;
        const color = v ? this.fg : this.bg;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) this.put(x0 + col * scale + dx, y0 + row * scale + dy, color);
        }
      }
    }
    return this;
  }
}

/** The Graphics methods the simulator models (a subset of the device's, same names). */
const GRAPHICS_METHODS = [
  "getWidth", "getHeight", "getBPP", "setColor", "getColor", "setBgColor", "getBgColor", "setPixel",
  "getPixel", "clear", "fillRect", "clearRect", "drawRect", "setFontCustom", "getFontHeight",
  "stringWidth", "drawString", "drawImage",
] as const;

/** The global `Graphics` as the firmware sees it. */
export function graphicsGlobals(realm: Realm): Record<string, unknown> {
  return {
    Graphics: realm.library({
      createArrayBuffer(width: number, height: number, bpp: number, options?: { vertical_byte?: boolean; msb?: boolean }) {
        if (bpp !== 1) throw new realm.Error("simulator: only 1 bpp ArrayBuffer graphics are modelled");
        const o = options || {};
        if (o.vertical_byte && height % 8) throw new realm.Error("height must be a multiple of 8 when using vertical_byte");
        const g = new ArrayBufferGraphics(width, height, !!o.vertical_byte, o.msb === undefined ? true : !!o.msb, realm);
        // The firmware gets an object of its own realm with the device's method names only;
        // methods that return the Graphics (for chaining) return that object.
        const members: Record<string, unknown> = { buffer: g.buffer };
        let exposed: unknown;
        for (const name of GRAPHICS_METHODS) {
          const method = g[name] as (...args: unknown[]) => unknown;
          members[name] = (...args: unknown[]) => {
            const result = method.apply(g, args);
            return result === g ? exposed : result;
          };
        }
        exposed = realm.object(members);
        return exposed;
      },
    }),
  };
}
