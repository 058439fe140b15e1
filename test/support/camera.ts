// A lit OLED as a phone camera sees it, read by a real QR decoder (jsQR): lit pixels are
// light, unlit ones black, each panel pixel `scale` camera pixels square, in a dark surround
// `border` camera pixels wide.
import jsQR, { type Options, type QRCode } from "jsqr";

export function readQr(
  lit: ArrayLike<number>,
  width: number,
  height: number,
  view?: { scale?: number; border?: number; inversion?: Options["inversionAttempts"] },
): QRCode | null {
  const scale = (view && view.scale) || 1;
  const border = (view && view.border) || 0;
  const w = width * scale + 2 * border;
  const h = height * scale + 2 * border;
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.floor((x - border) / scale);
      const sy = Math.floor((y - border) / scale);
      const on = sx >= 0 && sy >= 0 && sx < width && sy < height && lit[sy * width + sx];
      const i = (y * w + x) * 4;
      rgba[i] = rgba[i + 1] = rgba[i + 2] = on ? 255 : 0;
      rgba[i + 3] = 255;
    }
  }
  return jsQR(rgba, w, h, view && view.inversion ? { inversionAttempts: view.inversion } : undefined);
}

/**
 * A link as a browser opens it: the scheme and host in lower case (RFC 3986 §6.2.2.1), the
 * rest as it is. A phone that reads HTTPS://HOST/path opens https://host/path. Text that is
 * not an http(s) link is returned as it is.
 */
export function asLink(text: string): string {
  const m = /^(https?:\/\/[^/?#]*)(.*)$/i.exec(text);
  return m ? m[1].toLowerCase() + m[2] : text;
}
