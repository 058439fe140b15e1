// A minimal PNG writer (W3C PNG, 3rd ed.: signature, IHDR, IDAT, IEND), for Kinde's `qr_code`
// member, which its docs show as "data:image/png;base64,...". A device draws its own QR code from
// verification_uri_complete, so the mock's image is a small valid PNG, not a QR code.

import { deflateSync } from "node:zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG §5.5 (ISO 3309) defines it. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A 1-bit greyscale PNG of `rows` (each a string of '#' for black, anything else white). */
export function bilevelPng(rows: string[]): Buffer {
  const width = rows[0].length;
  const stride = Math.ceil(width / 8);
  const raw = Buffer.alloc(rows.length * (stride + 1));
  rows.forEach((row, y) => {
    // filter type 0 (None) then the row's bits, most significant first, 1 = white (greyscale)
    for (let x = 0; x < width; x++) if (row[x] !== "#") raw[y * (stride + 1) + 1 + (x >> 3)] |= 0x80 >> (x & 7);
  });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(rows.length, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // colour type: greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The mock's qr_code value: a data URI of an 8 × 8 checkerboard. */
export const PLACEHOLDER_QR = "data:image/png;base64," + bilevelPng(["#.#.#.#.", ".#.#.#.#", "#.#.#.#.", ".#.#.#.#", "#.#.#.#.", ".#.#.#.#", "#.#.#.#.", ".#.#.#.#"]).toString("base64");
