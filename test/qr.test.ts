// The firmware's QR encoder (firmware/display/qr.ts) against ISO/IEC 18004:2015 and a real
// decoder (jsQR). The reference helpers below are written from the standard, independently of
// the encoder: a module-by-module reader of the symbol, Reed–Solomon by plain polynomial
// division, and the penalty rules counted module by module.
import { readQr } from "./support/camera.ts";
import { describe, expect, it } from "vitest";
import QRCode from "qrcode";
import { encodeQr, qrCapacity, qrChoice, qrFinish, qrImage, qrJob, qrPlan, type QrCode, type QrPlan, type QrSegment } from "../firmware/display/qr.ts";

// ---- the standard's tables, as printed ----------------------------------------------------

/** Table 7: byte mode capacity of versions 1–3 at L, M, Q, H. */
const BYTE_CAPACITY = [
  [17, 14, 11, 7],
  [32, 26, 20, 14],
  [53, 42, 32, 24],
];

/** Table 9: [total codewords, [blocks, codewords per block, data codewords per block]] of versions 1–3 at L, M, Q, H. */
const BLOCKS: [number, [number, number, number]][][] = [
  [[26, [1, 26, 19]], [26, [1, 26, 16]], [26, [1, 26, 13]], [26, [1, 26, 9]]],
  [[44, [1, 44, 34]], [44, [1, 44, 28]], [44, [1, 44, 22]], [44, [1, 44, 16]]],
  [[70, [1, 70, 55]], [70, [1, 70, 44]], [70, [2, 35, 17]], [70, [2, 35, 13]]],
];

/** §7.9.1 Table 12: error correction level indicators of L, M, Q, H. */
const LEVEL_BITS = [0b01, 0b00, 0b11, 0b10];

/** Table 10: mask conditions, i the row and j the column; the module is inverted where true. */
const MASKS: ((i: number, j: number) => boolean)[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_i, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i + j) % 2) + ((i * j) % 3)) % 2 === 0,
];

// ---- links ---------------------------------------------------------------------------------

const LINK = "https://kinde.example/device?user_code=WDJB-MJHT&lang=en-GB&src=codepair-oled";

/** A verification_uri_complete-like link of exactly `length` bytes. */
function link(length: number): string {
  return LINK.slice(0, length);
}

/** UTF-8 bytes as a byte string (one char a byte), as the device holds text. */
function byteString(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

// ---- reading a symbol ----------------------------------------------------------------------

function dark(qr: QrCode, x: number, y: number): boolean {
  const k = y * qr.size + x;
  return ((qr.bits[k >> 3] >> (7 - (k & 7))) & 1) === 1;
}

function matrixOf(qr: QrCode): boolean[][] {
  const m: boolean[][] = [];
  for (let y = 0; y < qr.size; y++) {
    m.push([]);
    for (let x = 0; x < qr.size; x++) m[y].push(dark(qr, x, y));
  }
  return m;
}

/** Figure 25: [x, y] of format bits 0 … 14, first copy (around the top-left finder) and second. */
function formatPositions(n: number): [number, number][][] {
  const first: [number, number][] = [[8, 0], [8, 1], [8, 2], [8, 3], [8, 4], [8, 5], [8, 7], [8, 8], [7, 8], [5, 8], [4, 8], [3, 8], [2, 8], [1, 8], [0, 8]];
  const second: [number, number][] = [];
  for (let i = 0; i < 8; i++) second.push([n - 1 - i, 8]);
  for (let i = 8; i < 15; i++) second.push([8, n - 15 + i]);
  return [first, second];
}

function readFormat(m: boolean[][], positions: [number, number][]): number {
  let v = 0;
  positions.forEach(([x, y], i) => {
    if (m[y][x]) v |= 1 << i;
  });
  return v;
}

/** §7.9.1 / Annex C: 5 data bits, 10 BCH(15,5) bits (remainder modulo x^10+x^8+x^5+x^4+x^2+x+1), XOR 101010000010010. */
function formatBits(level: number, mask: number): number {
  const data = (LEVEL_BITS[level] << 3) | mask;
  let rem = data << 10;
  const generator = 0b10100110111;
  for (let degree = 14; degree >= 10; degree--) {
    if (rem & (1 << degree)) rem ^= generator << (degree - 10);
  }
  return ((data << 10) | rem) ^ 0b101010000010010;
}

/** The function patterns and format areas of a version 1–3 symbol (§6.3, §7.9.1). */
function functionModules(version: number): boolean[][] {
  const n = 4 * version + 17;
  const f: boolean[][] = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
  const mark = (x0: number, y0: number, w: number, h: number) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) f[y][x] = true;
  };
  mark(0, 0, 9, 9); // finder, separator, format
  mark(n - 8, 0, 8, 9);
  mark(0, n - 8, 9, 8); // includes the dark module at (8, n − 8)
  mark(6, 0, 1, n); // timing
  mark(0, 6, n, 1);
  if (version > 1) mark(n - 9, n - 9, 5, 5); // alignment centred at (n − 7, n − 7)
  return f;
}

/** §7.7.3: the data module positions [x, y] in placement order. */
function placementOrder(version: number): [number, number][] {
  const n = 4 * version + 17;
  const f = functionModules(version);
  const order: [number, number][] = [];
  let upward = true;
  for (let right = n - 1; right >= 1; right -= 2) {
    const pair = right <= 6 ? right - 1 : right; // left of the vertical timing pattern, pairs shift by one
    for (let step = 0; step < n; step++) {
      const y = upward ? n - 1 - step : step;
      for (const x of [pair, pair - 1]) if (!f[y][x]) order.push([x, y]);
    }
    upward = !upward;
  }
  return order;
}

/** The codewords in the symbol, unmasked with the mask its format information names, and its remainder bits. */
function readCodewords(qr: QrCode, mask: number): { codewords: number[]; remainder: number[] } {
  const m = matrixOf(qr);
  const bits: number[] = placementOrder(qr.version).map(([x, y]) => (m[y][x] !== MASKS[mask](y, x) ? 1 : 0));
  const total = BLOCKS[qr.version - 1][qr.level][0];
  const codewords: number[] = [];
  for (let i = 0; i < total; i++) codewords.push(bits.slice(i * 8, i * 8 + 8).reduce((a, b) => a * 2 + b, 0));
  return { codewords, remainder: bits.slice(total * 8) };
}

// ---- what the symbol must hold -------------------------------------------------------------

/** GF(2^8) product modulo x^8+x^4+x^3+x^2+1, by shifts and adds. */
function gfMul(a: number, b: number): number {
  let p = 0;
  for (; b; b >>= 1) {
    if (b & 1) p ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11d;
  }
  return p;
}

/** §7.5.2: the remainder of data(x)·x^e divided by Π (x − α^i), i < e, highest coefficient first. */
function reedSolomon(data: number[], e: number): number[] {
  let g = [1];
  for (let i = 0, alpha = 1; i < e; i++, alpha = gfMul(alpha, 2)) {
    const next = new Array<number>(g.length + 1).fill(0);
    g.forEach((c, k) => {
      next[k] ^= c;
      next[k + 1] ^= gfMul(c, alpha);
    });
    g = next;
  }
  const r = data.concat(new Array<number>(e).fill(0));
  for (let i = 0; i < data.length; i++) {
    const lead = r[i];
    if (lead) g.forEach((c, k) => (r[i + k] ^= gfMul(c, lead)));
  }
  return r.slice(data.length);
}

/** §7.4 and §7.6: the final codeword sequence for `bytes` in byte mode at version/level. */
function expectedCodewords(bytes: number[], version: number, level: number): number[] {
  const [, [blocks, perBlock, dataPerBlock]] = BLOCKS[version - 1][level];
  const capacityBits = blocks * dataPerBlock * 8;
  const bits: number[] = [];
  const put = (value: number, width: number) => {
    for (let i = width - 1; i >= 0; i--) bits.push((value >> i) & 1);
  };
  put(0b0100, 4);
  put(bytes.length, 8);
  for (const b of bytes) put(b, 8);
  put(0, Math.min(4, capacityBits - bits.length)); // terminator
  while (bits.length % 8) bits.push(0);
  for (let pad = 0; bits.length < capacityBits; pad ^= 1) put(pad ? 0b00010001 : 0b11101100, 8);
  const data: number[] = [];
  for (let i = 0; i < bits.length; i += 8) data.push(bits.slice(i, i + 8).reduce((a, b) => a * 2 + b, 0));
  const dataBlocks: number[][] = [];
  for (let b = 0; b < blocks; b++) dataBlocks.push(data.slice(b * dataPerBlock, (b + 1) * dataPerBlock));
  const ecBlocks = dataBlocks.map((d) => reedSolomon(d, perBlock - dataPerBlock));
  const out: number[] = [];
  for (let i = 0; i < dataPerBlock; i++) for (const d of dataBlocks) out.push(d[i]);
  for (let i = 0; i < perBlock - dataPerBlock; i++) for (const e of ecBlocks) out.push(e[i]);
  return out;
}

/** §7.8.3 Table 11, module by module; 1:1:3:1:1 patterns are counted inside the symbol only. */
function penalty(m: boolean[][]): number {
  const n = m.length;
  const lines: boolean[][] = [];
  for (let i = 0; i < n; i++) {
    lines.push(m[i]);
    lines.push(m.map((row) => row[i]));
  }
  let points = 0;
  for (const line of lines) {
    for (let start = 0; start < n; ) {
      let end = start;
      while (end < n && line[end] === line[start]) end++;
      if (end - start >= 5) points += 3 + (end - start - 5);
      start = end;
    }
    const s = line.map((d) => (d ? "1" : "0")).join("");
    for (let j = 0; j + 11 <= n; j++) {
      const w = s.slice(j, j + 11);
      if (w === "10111010000" || w === "00001011101") points += 40;
    }
  }
  for (let y = 0; y + 1 < n; y++) {
    for (let x = 0; x + 1 < n; x++) {
      const c = m[y][x];
      if (m[y][x + 1] === c && m[y + 1][x] === c && m[y + 1][x + 1] === c) points += 3;
    }
  }
  const darkCount = m.reduce((a, row) => a + row.filter(Boolean).length, 0);
  return points + 10 * Math.floor(Math.abs((darkCount * 100) / (n * n) - 50) / 5);
}

/** The symbol `qr` re-masked with `mask`, its format information rewritten to match. */
function remasked(qr: QrCode, from: number, mask: number): boolean[][] {
  const m = matrixOf(qr);
  const f = functionModules(qr.version);
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) if (!f[y][x] && MASKS[from](y, x) !== MASKS[mask](y, x)) m[y][x] = !m[y][x];
  }
  const format = formatBits(qr.level, mask);
  for (const copy of formatPositions(qr.size)) copy.forEach(([x, y], i) => (m[y][x] = ((format >> i) & 1) === 1));
  return m;
}

// ---- pictures for jsQR ---------------------------------------------------------------------

/** The symbol on paper, a cell a module: light (1) but for dark modules, with a light quiet zone. */
function paper(qr: QrCode, quiet: number): { light: Uint8Array; width: number } {
  const width = qr.size + 2 * quiet;
  const light = new Uint8Array(width * width).fill(1);
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) if (dark(qr, x, y)) light[(y + quiet) * width + x + quiet] = 0;
  }
  return { light, width };
}

/**
 * A 128×64 OLED's lit pixels: a lit 64×64 square at the left, and qrImage(qr) drawn into it
 * centred at 2 px a module, as Graphics.drawImage draws a 1 bpp image (rows of `width` bits,
 * continuous, MSB first; 1 lights the pixel).
 */
function oled(qr: QrCode): Uint8Array {
  const width = 128;
  const img = qrImage(qr);
  const bytes = new Uint8Array(img.buffer);
  const lit = new Uint8Array(width * 64);
  for (let y = 0; y < 64; y++) lit.fill(1, y * width, y * width + 64);
  const at = (64 - 2 * img.width) >> 1;
  for (let r = 0; r < img.height; r++) {
    for (let c = 0; c < img.width; c++) {
      const k = r * img.width + c;
      const on = (bytes[k >> 3] >> (7 - (k & 7))) & 1;
      for (let d = 0; d < 4; d++) lit[(at + 2 * r + (d >> 1)) * width + at + 2 * c + (d & 1)] = on;
    }
  }
  return lit;
}

function decodePaper(qr: QrCode) {
  const p = paper(qr, 4);
  return readQr(p.light, p.width, p.width, { scale: 3 });
}

function decodeOled(qr: QrCode) {
  return readQr(oled(qr), 128, 64);
}

/** The mask a symbol's format information names, after checking that both copies agree and are valid. */
function maskOf(qr: QrCode): number {
  const m = matrixOf(qr);
  const [first, second] = formatPositions(qr.size).map((p) => readFormat(m, p));
  expect(second).toBe(first);
  const mask = ((first ^ 0b101010000010010) >> 10) & 7;
  expect(first).toBe(formatBits(qr.level, mask));
  return mask;
}

// ---- the tests -----------------------------------------------------------------------------

describe("QR encoder: which version and level", () => {
  it("byte capacities are Table 7's", () => {
    for (let v = 1; v <= 3; v++) for (let l = 0; l < 4; l++) expect(qrCapacity(v, l)).toBe(BYTE_CAPACITY[v - 1][l]);
  });

  it("picks the strongest level some version ≤ maxVersion holds, then the smallest version", () => {
    for (let max = 1; max <= 3; max++) {
      for (let length = 0; length <= 60; length++) {
        let expected: { version: number; level: number } | null = null;
        for (let level = 3; level >= 0 && !expected; level--) {
          for (let version = 1; version <= max && !expected; version++) {
            if (BYTE_CAPACITY[version - 1][level] >= length) expected = { version, level };
          }
        }
        expect(qrChoice(length, max), `length ${length}, maxVersion ${max}`).toEqual(expected);
      }
    }
    // Spelled out: 7 bytes fit 1-H; 8 need 2-H; 20 need 3-H; 48 (a Kinde link) only 3-L.
    expect(qrChoice(7, 3)).toEqual({ version: 1, level: 3 });
    expect(qrChoice(8, 3)).toEqual({ version: 2, level: 3 });
    expect(qrChoice(8, 1)).toEqual({ version: 1, level: 2 });
    expect(qrChoice(20, 3)).toEqual({ version: 3, level: 3 });
    expect(qrChoice(20, 2)).toEqual({ version: 2, level: 2 });
    expect(qrChoice(48, 3)).toEqual({ version: 3, level: 0 });
    expect(qrChoice(53, 3)).toEqual({ version: 3, level: 0 });
    expect(qrChoice(54, 3)).toBeNull();
    expect(qrChoice(1, 0)).toBeNull();
    expect(qrChoice(53, 40)).toEqual({ version: 3, level: 0 });
  });

  it("one byte more than the largest capacity at maxVersion gives null", () => {
    expect(encodeQr(link(18), 1)).toBeNull();
    expect(encodeQr(link(33), 2)).toBeNull();
    expect(encodeQr(link(54), 3)).toBeNull();
    expect(encodeQr(link(54), 40)).toBeNull();
    expect(encodeQr("x", 0)).toBeNull();
  });
});

describe("QR encoder: decoded by jsQR to the exact link", () => {
  for (const max of [1, 2, 3]) {
    const largest = BYTE_CAPACITY[max - 1][0];
    it(`every length 1–${largest} at maxVersion ${max}, on paper and as the OLED shows it inverted`, () => {
      for (let length = 1; length <= largest; length++) {
        const text = link(length);
        const qr = encodeQr(text, max);
        expect(qr, `length ${length}`).not.toBeNull();
        if (!qr) continue;
        expect({ version: qr.version, level: qr.level }).toEqual(qrChoice(length, max));
        expect(qr.size).toBe(4 * qr.version + 17);
        expect(qr.bits.length).toBe(Math.ceil((qr.size * qr.size) / 8));
        const onPaper = decodePaper(qr);
        expect(onPaper?.data, `length ${length} on paper`).toBe(text);
        expect(onPaper?.version).toBe(qr.version);
        const onScreen = decodeOled(qr);
        expect(onScreen?.data, `length ${length} on the OLED`).toBe(text);
      }
    });
  }

  it("UTF-8 and every byte value 0–255 come back byte for byte", () => {
    const payloads = [byteString("https://auth.example/d?c=ÄÖÜ-€"), byteString("https://例え.jp/デバイス")];
    for (let start = 0; start < 256; start += 53) {
      let s = "";
      for (let b = start; b < Math.min(256, start + 53); b++) s += String.fromCharCode(b);
      payloads.push(s);
    }
    for (const text of payloads) {
      const qr = encodeQr(text, 3);
      expect(qr, JSON.stringify(text)).not.toBeNull();
      if (!qr) continue;
      const expected = Array.from(text, (c) => c.charCodeAt(0));
      expect(decodePaper(qr)?.binaryData).toEqual(expected);
      expect(decodeOled(qr)?.binaryData).toEqual(expected);
    }
  });
});

describe("QR encoder: the symbol is the standard's", () => {
  it("the reference Reed–Solomon reproduces Annex I (1-M, \"01234567\")", () => {
    const data = [0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11];
    expect(reedSolomon(data, 10)).toEqual([0xa5, 0x24, 0xd4, 0xc1, 0xed, 0x36, 0xc7, 0x87, 0x2c, 0x55]);
  });

  it("format information: Annex C's example and both copies in every symbol", () => {
    expect(formatBits(1, 0b101).toString(2).padStart(15, "0")).toBe("100000011001110"); // M, mask 101
    expect(formatBits(1, 0).toString(2).padStart(15, "0")).toBe("101010000010010"); // M, mask 000: the XOR mask alone
    for (const max of [1, 2, 3]) {
      for (let length = 1; length <= BYTE_CAPACITY[max - 1][0]; length++) {
        const qr = encodeQr(link(length), max) as QrCode;
        const m = matrixOf(qr);
        const format = readFormat(m, formatPositions(qr.size)[0]);
        expect((format ^ 0b101010000010010) >> 13, `length ${length}`).toBe(LEVEL_BITS[qr.level]);
        maskOf(qr);
      }
    }
  });

  it("finder, separator, timing and alignment patterns and the dark module where §6.3 puts them", () => {
    const finder = ["1111111", "1000001", "1011101", "1011101", "1011101", "1000001", "1111111"];
    for (const [text, version] of [[link(7), 1], [link(14), 2], [link(24), 3]] as const) {
      const qr = encodeQr(text, 3) as QrCode;
      expect(qr.version).toBe(version);
      const n = qr.size;
      const row = (y: number, x0: number, w: number) => Array.from({ length: w }, (_, i) => (dark(qr, x0 + i, y) ? "1" : "0")).join("");
      const col = (x: number, y0: number, h: number) => Array.from({ length: h }, (_, i) => (dark(qr, x, y0 + i) ? "1" : "0")).join("");
      for (const [x0, y0] of [[0, 0], [n - 7, 0], [0, n - 7]]) {
        for (let i = 0; i < 7; i++) expect(row(y0 + i, x0, 7)).toBe(finder[i]);
      }
      // Separators: light, one module wide, inside the symbol.
      expect(row(7, 0, 8)).toBe("00000000");
      expect(col(7, 0, 8)).toBe("00000000");
      expect(row(7, n - 8, 8)).toBe("00000000");
      expect(col(n - 8, 0, 8)).toBe("00000000");
      expect(row(n - 8, 0, 8)).toBe("00000000");
      expect(col(7, n - 8, 8)).toBe("00000000");
      // Timing: row 6 and column 6 between the separators, dark at even positions.
      const timing = "10".repeat(n).slice(0, n - 16);
      expect(row(6, 8, n - 16)).toBe(timing);
      expect(col(6, 8, n - 16)).toBe(timing);
      expect(dark(qr, 8, n - 8)).toBe(true);
      if (version > 1) {
        const alignment = ["11111", "10001", "10101", "10001", "11111"];
        for (let i = 0; i < 5; i++) expect(row(n - 9 + i, n - 9, 5)).toBe(alignment[i]);
      }
    }
  });

  it("holds exactly the codewords of §7.4–7.6 (data, padding, Reed–Solomon, interleaving), remainder bits 0", () => {
    const cases: string[] = [];
    for (const max of [1, 2, 3]) for (let length = 1; length <= BYTE_CAPACITY[max - 1][0]; length++) cases.push(max + " " + link(length));
    cases.push("3 " + byteString("https://auth.example/d?c=ÄÖÜ-€"));
    for (const c of cases) {
      const max = Number(c[0]);
      const text = c.slice(2);
      const qr = encodeQr(text, max) as QrCode;
      const { codewords, remainder } = readCodewords(qr, maskOf(qr));
      const bytes = Array.from(text, (ch) => ch.charCodeAt(0));
      expect(codewords, `${text.length} bytes at ${qr.version}-${"LMQH"[qr.level]}`).toEqual(expectedCodewords(bytes, qr.version, qr.level));
      expect(remainder).toEqual(new Array(qr.version === 1 ? 0 : 7).fill(0));
    }
  });

  it("the mask has the fewest penalty points of the eight (§7.8.3), the lowest on a tie; all eight occur", () => {
    const used = new Set<number>();
    const texts: [string, number][] = [];
    for (const max of [1, 2, 3]) for (let length = 1; length <= BYTE_CAPACITY[max - 1][0]; length++) texts.push([link(length), max]);
    for (let i = 0; i < 40; i++) texts.push([byteString("https://pair.example/" + (i * 7919).toString(36) + "?u=" + i), 3]);
    for (const [text, max] of texts) {
      const qr = encodeQr(text, max) as QrCode;
      const mask = maskOf(qr);
      used.add(mask);
      const points = MASKS.map((_, m) => penalty(remasked(qr, mask, m)));
      expect(mask, `${text} (${points.join(" ")})`).toBe(points.indexOf(Math.min(...points)));
    }
    expect([...used].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("QR encoder: the image for the OLED", () => {
  it("qrImage is the code inverted (1 = light), width × height = size, 1 bpp, the code untouched", () => {
    const qr = encodeQr(link(48), 3) as QrCode;
    const before = qr.bits.slice();
    const img = qrImage(qr);
    expect([img.width, img.height, img.bpp]).toEqual([29, 29, 1]);
    expect(img.buffer).toBeInstanceOf(ArrayBuffer);
    const lit = new Uint8Array(img.buffer);
    expect(lit.length).toBe(qr.bits.length);
    for (let k = 0; k < 29 * 29; k++) expect(((lit[k >> 3] >> (7 - (k & 7))) & 1) === 1).toBe(!dark(qr, k % 29, Math.floor(k / 29)));
    expect(qr.bits).toEqual(before);
  });
});

// ---- segments, and a reference encoder as the oracle ----------------------------------------

/** The symbol of `plan` drawn with `mask` (-1: the encoder's choice), all steps at once. */
function encodePlan(plan: QrPlan, mask: number): QrCode {
  return qrFinish(qrJob(Object.assign({}, plan, { mask })));
}

/** The same segments, version, level and mask by the `qrcode` package (soldair/node-qrcode): dark modules row by row. */
function oracle(plan: QrPlan, mask: number): boolean[] {
  const segments = plan.segments.map((s) => {
    const part = plan.text.slice(s.start, s.end);
    return s.alphanumeric ? { data: part, mode: "alphanumeric" as const } : { data: Uint8Array.from(part, (c) => c.charCodeAt(0)), mode: "byte" as const };
  });
  const q = QRCode.create(segments, { version: plan.version, errorCorrectionLevel: "LMQH"[plan.level] as "L", maskPattern: mask as 0 });
  expect(q.version).toBe(plan.version);
  return Array.from(q.modules.data, (d) => d === 1);
}

function modules(qr: QrCode): boolean[] {
  const out: boolean[] = [];
  for (let k = 0; k < qr.size * qr.size; k++) out.push(((qr.bits[k >> 3] >> (7 - (k & 7))) & 1) === 1);
  return out;
}

/** Bits that §7.4 takes for `segments` of `text` at versions 1–9. */
function segmentBits(plan: QrPlan): number {
  return plan.segments.reduce((bits, s) => {
    const n = s.end - s.start;
    return bits + (s.alphanumeric ? 4 + 9 + 11 * Math.floor(n / 2) + 6 * (n % 2) : 4 + 8 + 8 * n);
  }, 0);
}

/** Links and texts of many lengths and contents: upper-cased hosts, user codes, bytes. */
function texts(): string[] {
  const out: string[] = [];
  const hosts = ["HTTPS://LOGIN.YOTOPLAY.COM", "HTTPS://AB.KINDE.COM", "HTTPS://DEV-ABCD1234.US.AUTH0.COM", "HTTP://LOCALHOST:3000", "https://x.io"];
  const rests = ["/activate?user_code=ABCD-EFGH", "/device?user_code=CSLDFDUU", "/d?c=WDJB-MJHT&x=1", "/pin", "", "/A/B/C/1234567890"];
  for (const h of hosts) for (const r of rests) out.push(h + r);
  for (let n = 1; n <= 60; n += 3) out.push("HTTPS://PAIR.EXAMPLE/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:abc".slice(0, n));
  for (let i = 0; i < 30; i++) out.push(byteString("https://pair.example/" + (i * 7919).toString(36).toUpperCase() + "?u=" + i + "&é=" + "AB12".repeat(i % 5)));
  return out;
}

describe("QR encoder: segments (§7.4.4 alphanumeric, §7.4.5 byte)", () => {
  it("splits a link into the segments with the fewest bits, over every split into whole runs", () => {
    const alnum = (c: string) => "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".includes(c);
    for (const text of texts()) {
      const plan = qrPlan(text, 40, true);
      if (!plan) continue;
      // the segments cover the text in order, and alphanumeric ones hold only its characters
      expect(plan.segments.map((s) => text.slice(s.start, s.end)).join("")).toBe(text);
      for (const s of plan.segments) if (s.alphanumeric) expect([...text.slice(s.start, s.end)].every(alnum)).toBe(true);
      // every choice of runs (alphanumeric or byte) costs at least as much
      const runs: [number, number, boolean][] = [];
      for (let i = 0; i < text.length; ) {
        let j = i + 1;
        while (j < text.length && alnum(text[j]) === alnum(text[i])) j++;
        runs.push([i, j, alnum(text[i])]);
        i = j;
      }
      const alnumRuns = runs.filter((r) => r[2]);
      let fewest = Infinity;
      for (let choice = 0; choice < 1 << Math.min(alnumRuns.length, 12); choice++) {
        const segs: QrSegment[] = [];
        let a = 0;
        for (const r of runs) {
          const asAlnum = r[2] && ((choice >> a++) & 1) === 1;
          const last = segs[segs.length - 1];
          if (!asAlnum && last && !last.alphanumeric) last.end = r[1];
          else segs.push({ alphanumeric: asAlnum, start: r[0], end: r[1] });
        }
        fewest = Math.min(fewest, segmentBits({ ...plan, segments: segs }));
      }
      expect(segmentBits(plan), text).toBe(fewest);
    }
  });

  it("byte mode only when asked: one segment", () => {
    const plan = qrPlan("HTTPS://LOGIN.YOTOPLAY.COM/activate", 3, false) as QrPlan;
    expect(plan.segments).toEqual([{ alphanumeric: false, start: 0, end: 35 }]);
  });

  it("every symbol equals the qrcode package's module for module, for each of the eight masks", () => {
    let symbols = 0;
    for (const text of texts()) {
      for (const alphanumeric of [true, false]) {
        const plan = qrPlan(text, 3, alphanumeric);
        if (!plan) continue;
        for (let mask = 0; mask < 8; mask++) {
          const mine = encodePlan(plan, mask);
          expect(mine.mask).toBe(mask);
          expect(modules(mine), `${JSON.stringify(text)} ${plan.version}-${"LMQH"[plan.level]} mask ${mask}`).toEqual(oracle(plan, mask));
          symbols++;
        }
      }
    }
    expect(symbols).toBeGreaterThan(600);
  });

  it("the chosen mask has the fewest penalty points (§7.8.3), and jsQR reads every symbol back", () => {
    for (const text of texts()) {
      const plan = qrPlan(text, 3, true);
      if (!plan) continue;
      const qr = encodePlan(plan, -1);
      const mask = maskOf(qr);
      expect(mask).toBe(qr.mask);
      const points = MASKS.map((_, m) => penalty(remasked(qr, mask, m)));
      expect(mask, text).toBe(points.indexOf(Math.min(...points)));
      expect(Buffer.from(decodePaper(qr)?.binaryData || []).toString("latin1"), text).toBe(text);
      expect(Buffer.from(decodeOled(qr)?.binaryData || []).toString("latin1"), text).toBe(text);
    }
  });

  it("alphanumeric segments put a Yoto link (55 bytes, too long for byte mode at version 3) into version 3", () => {
    const link = "HTTPS://LOGIN.YOTOPLAY.COM/activate?user_code=ABCD-EFGH";
    expect(qrPlan(link, 3, false)).toBeNull();
    const plan = qrPlan(link, 3, true) as QrPlan;
    expect(plan.version).toBe(3);
    expect(plan.segments.map((s) => s.alphanumeric)).toEqual([true, false, true]);
  });
});
