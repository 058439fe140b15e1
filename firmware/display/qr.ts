// QR codes for the pairing screen (RFC 8628 §3.3.1: verification_uri_complete as a QR code).
// ISO/IEC 18004:2015, alphanumeric and byte mode, versions 1–3 (21, 25, 29 modules: the ones
// that draw at 2 px per module with a quiet zone inside the panel's 64 px; version 4 would be
// 33 modules, 66 px), error correction L, M, Q, H.
//
// The work is a job of short steps (qrJob: step() until it returns true), so that the device
// returns to its event loop between them: a press is answered while a code is being built.
//
// Each step of the standard is a function named for its section: dataCodewords (§7.4),
// errorCorrection (§7.5, §7.6), functionPatterns (§6.3), placeCodewords (§7.7.3), applyMask
// (§7.8.2), penalty (§7.8.3), formatInformation (§7.9.1); version information (§7.10) starts
// at version 7. The symbol is held as one integer per row, so that the eight masks are applied
// and scored with a few bitwise operations a row (the columns too: a bit each) instead of
// statements a module: the interpreter pays for every statement it reads, and a version 3
// symbol has 841 modules.

export interface QrCode {
  version: number;
  /** Error correction level: 0 = L, 1 = M, 2 = Q, 3 = H. */
  level: number;
  /** Modules per side: 4 × version + 17. */
  size: number;
  /** size × size module bits, row-major, rows not padded, most significant bit first, 1 = dark. */
  bits: Uint8Array;
  /** the mask pattern reference (§7.8.2) it was drawn with */
  mask: number;
}

/** A run of the text in one mode: alphanumeric (§7.4.4) or byte (§7.4.5). */
export interface QrSegment {
  alphanumeric: boolean;
  start: number;
  end: number;
}

/** What will be encoded, and at which version and level. */
export interface QrPlan {
  text: string;
  segments: QrSegment[];
  version: number;
  level: number;
  /** the mask to draw with: -1 = the one with the fewest penalty points (§7.8.3) */
  mask: number;
}

/**
 * The symbol while it is built (§6.3, §7.7), one integer a row, the modules in reverse: bit
 * n − 1 − x of row y is module (x, y) (reversed so that a row packs into the image most
 * significant bit first). Columns are read from the rows, all at once a bit each.
 */
interface Matrix {
  /** modules per side */
  n: number;
  /** dark modules, unmasked */
  darkRows: Int32Array;
  /** function patterns and format areas: neither data nor masked */
  fixedRows: Int32Array;
  /** the symbol under the mask being tried, format information included */
  rows: Int32Array;
  /** codeword bits placed so far */
  placed: number;
}

/** A QR code being built a step at a time. */
export interface QrJob {
  /** Does the next step (a few ms on the interpreter); true once the code is done. */
  step(): boolean;
  /** the code, once done */
  qr: QrCode | null;
}

/** A job's state between its steps (see qrJob). */
interface JobState {
  /** what the data codewords (§7.4) are made from in the first step, when they are not given */
  plan: QrPlan | null;
  /** the data codewords, when given (qrSymbolJob) */
  codewords: Uint8Array | null;
  version: number;
  level: number;
  /** the mask asked for; -1: the one with the fewest penalty points */
  mask: number;
  /** the next step */
  at: number;
  rs: ReedSolomon | null;
  stream: Uint8Array | null;
  m: Matrix | null;
  patterns: Int32Array | null;
  /** the mask with the fewest penalty points so far, and its points (-1: none yet) */
  best: number;
  bestPoints: number;
}

/** The error correction's tables and its progress through the blocks. */
interface ReedSolomon {
  codewords: Uint8Array;
  blocks: number;
  ecLen: number;
  exp: Uint8Array;
  log: Uint8Array;
  /** logarithms of the generator's coefficients, highest degree but one first */
  genLog: Uint8Array;
  /** §7.6 the final sequence, and a zero byte more for the remainder bits */
  stream: Uint8Array;
  /** the remainder of the block being divided */
  rem: Uint8Array;
}

/**
 * The encoder: its tables and steps, made when a QR code is planned or built and garbage once
 * it is (the job keeps them while it runs). Kept at the top level they would cost some 190
 * JsVars for as long as the device runs (each function a few, each table a few more; code from
 * Storage stays in flash, but a function made from it does not), a code screen at rest and a
 * poll in flight included: measured on the ESP32-like interpreter, bench/pairing.ts.
 */
function qrLib() {
  /** §7.4.4 Table 5: the 45 characters of alphanumeric mode, at their values. */
  const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  /** Maximal runs of characters in ALPHANUMERIC, and of characters not in it. */
  const ALPHANUMERIC_RUNS = /[0-9A-Z $%*+.\/:-]+|[^0-9A-Z $%*+.\/:-]+/g;

  // Table 9: error correction codewords per block, at [(version − 1) × 4 + level].
  const EC_PER_BLOCK = [7, 10, 13, 17, 10, 16, 22, 28, 15, 26, 18, 22];
  // Table 1: total codewords of versions 1, 2, 3.
  const TOTAL_CODEWORDS = [26, 44, 70];

  // §6.3.3, §6.3.4: the rows of a finder pattern (1111111, 1000001, 1011101 …) and its separator,
  // column 0 at bit 7; §6.3.6: the rows of an alignment pattern.
  const FINDER = [0xfe, 0x82, 0xba, 0xba, 0xba, 0x82, 0xfe, 0];
  const ALIGNMENT = [0x1f, 0x11, 0x15, 0x11, 0x1f];

  /** Table 9: versions 1–3 have one block, but for 3-Q and 3-H (two equal blocks). */
  function blockCount(version: number, level: number): number {
    return version == 3 && level > 1 ? 2 : 1;
  }

  /** Table 7 (Table 1 less Table 9): bits of data codewords at version and level. */
  function dataBits(version: number, level: number): number {
    return (TOTAL_CODEWORDS[version - 1] - blockCount(version, level) * EC_PER_BLOCK[(version - 1) * 4 + level]) * 8;
  }

  /**
   * Bits that a segment takes at versions 1–9: mode indicator (4), character count (§7.4.1
   * Table 3: 9 bits alphanumeric, 8 byte), and the data: 11 bits a pair of alphanumeric
   * characters and 6 for one left over (§7.4.4), 8 a byte (§7.4.5).
   */
  function segmentBits(alphanumeric: boolean, length: number): number {
    return alphanumeric ? 13 + 11 * (length >> 1) + 6 * (length & 1) : 12 + 8 * length;
  }

  /** Bytes that byte mode holds (Table 7): the data codewords less the 4-bit mode and 8-bit count. */
  function qrCapacity(version: number, level: number): number {
    return (dataBits(version, level) - 12) >> 3;
  }

  /**
   * The strongest level at which some version ≤ maxVersion (and ≤ 3) holds `bits` bits of
   * segments, then the smallest version at that level; null if none does. Every version draws at
   * the same module size here, so the stronger correction costs nothing.
   */
  function choose(bits: number, maxVersion: number): { version: number; level: number } | null {
    for (let level = 3; level >= 0; level--) {
      for (let version = 1; version <= maxVersion && version <= 3; version++) {
        if (dataBits(version, level) >= bits) return { version: version, level: level };
      }
    }
    return null;
  }

  /** The version and level (as `choose`) of `length` bytes in one byte-mode segment. */
  function qrChoice(length: number, maxVersion: number): { version: number; level: number } | null {
    return choose(segmentBits(false, length), maxVersion);
  }

  /**
   * §7.4.2 (as Annex J's optimisation, for two modes): the text as alphanumeric and byte segments
   * with the fewest bits. Runs of alphanumeric characters either stand as their own segment or
   * join the byte segment around them; the cheaper choice is found over all runs at once
   * (cost[m]: the fewest bits so far ending in a segment of mode m).
   */
  function qrSegments(text: string, alphanumeric: boolean): QrSegment[] {
    // Maximal runs: [start, end, alphanumeric?], found by the regular expression (a native
    // search: on the interpreter a fifth of a loop over the characters). Espruino's match can end
    // with an empty string: skipped.
    const runs: number[][] = [];
    const parts = alphanumeric ? text.match(ALPHANUMERIC_RUNS) || [] : text ? [text] : [];
    for (let r = 0, at = 0; r < parts.length; r++) {
      const length = parts[r].length;
      if (length) runs.push([at, at + length, alphanumeric && ALPHANUMERIC.indexOf(parts[r][0]) >= 0 ? 1 : 0]);
      at += length;
    }
    if (!runs.length) return [{ alphanumeric: false, start: 0, end: 0 }];
    // inByte/inAlnum: the fewest bits for the runs so far, the last one in a byte segment / in
    // its own alphanumeric segment (NONE: not possible); back[r]: for each, whether the run
    // before was in byte mode (1) or not (0).
    const NONE = 1e9;
    const back: number[][] = [];
    let inByte = 0;
    let inAlnum = NONE;
    for (let r = 0; r < runs.length; r++) {
      const length = runs[r][1] - runs[r][0];
      // Bytes continue a byte segment (8 a byte) or open one (a header more).
      const continued = r ? inByte + 8 * length : NONE;
      const opened = (r ? inAlnum : 0) + segmentBits(false, length);
      const byteBack = continued <= opened ? 1 : 0;
      const alnumBack = inByte <= inAlnum ? 1 : 0;
      const nextAlnum = runs[r][2] ? (r ? Math.min(inByte, inAlnum) : 0) + segmentBits(true, length) : NONE;
      back.push([alnumBack, byteBack]);
      inByte = Math.min(continued, opened);
      inAlnum = nextAlnum;
    }
    // Back from the cheaper end: each run's mode (1 = byte), then runs in byte mode merged.
    const modes: number[] = [];
    let mode = inByte <= inAlnum ? 1 : 0;
    for (let r = runs.length - 1; r >= 0; r--) {
      modes[r] = mode;
      mode = back[r][mode];
    }
    const segments: QrSegment[] = [];
    for (let r = 0; r < runs.length; r++) {
      const last = segments[segments.length - 1];
      if (last && !last.alphanumeric && modes[r]) last.end = runs[r][1];
      else segments.push({ alphanumeric: !modes[r], start: runs[r][0], end: runs[r][1] });
    }
    return segments;
  }

  /**
   * What `text` (a byte string: one char = one byte) becomes: its segments (byte mode only
   * unless `alphanumeric`), version ≤ maxVersion and level; null if it does not fit.
   */
  function qrPlan(text: string, maxVersion: number, alphanumeric: boolean): QrPlan | null {
    const segments = qrSegments(text, alphanumeric);
    let bits = 0;
    for (let i = 0; i < segments.length; i++) bits += segmentBits(segments[i].alphanumeric, segments[i].end - segments[i].start);
    const choice = choose(bits, maxVersion);
    return choice ? { text: text, segments: segments, version: choice.version, level: choice.level, mask: -1 } : null;
  }

  /**
   * The next step of a job (see qrJob): the data codewords and the error correction's tables
   * (§7.4, §7.5), each block's division in halves (§7.5.2, §7.6), the function patterns (§6.3),
   * the codeword placement in thirds (§7.7.3), each mask scored (§7.8), the chosen one drawn
   * with its format information (§7.9). The code once done, else null.
   */
  function step(s: JobState): QrCode | null {
    const version = s.version;
    const level = s.level;
    const blocks = blockCount(version, level);
    const k = s.at++;
    if (k == 0) {
      s.rs = reedSolomon(s.codewords || codewords(s.plan as QrPlan), version, level);
      s.codewords = null;
      s.plan = null;
    } else if (k <= 2 * blocks) {
      // §7.5.2 one half of one block's division
      errorCorrection(s.rs as ReedSolomon, (k - 1) >> 1, (k - 1) & 1);
    } else if (k == 2 * blocks + 1) {
      // the Reed–Solomon tables go once the stream is made
      s.stream = (s.rs as ReedSolomon).stream;
      s.rs = null;
      s.m = functionPatterns(version);
      s.patterns = maskRows(s.m.n);
    } else if (k <= 2 * blocks + 4) {
      // §7.7.3 five column pairs at a time (a symbol has 10, 12 or 14)
      const part = k - 2 * blocks - 2;
      placeCodewords(s.m as Matrix, s.stream as Uint8Array, part * 5, part * 5 + 5);
    } else {
      const m = s.m as Matrix;
      const mask = k - 2 * blocks - 5;
      if (mask < 8 && s.mask < 0) {
        // §7.8.3: the mask with the fewest penalty points, the lowest on a tie.
        applyMask(m, s.patterns as Int32Array, mask);
        formatInformation(m, level, mask);
        const points = penalty(m);
        if (s.bestPoints < 0 || points < s.bestPoints) {
          s.best = mask;
          s.bestPoints = points;
        }
        return null;
      }
      if (s.mask >= 0) s.best = s.mask;
      applyMask(m, s.patterns as Int32Array, s.best);
      formatInformation(m, level, s.best);
      return { version: version, level: level, size: m.n, bits: packRows(m), mask: s.best };
    }
    return null;
  }

  /** Table 7: how many data codewords a symbol of `version` and `level` has. */
  function dataLength(version: number, level: number): number {
    return dataBits(version, level) >> 3;
  }

  /** §7.4: the data codewords of `plan` (at its version and level). */
  function codewords(plan: QrPlan): Uint8Array {
    return dataCodewords(plan, dataLength(plan.version, plan.level));
  }

  /**
   * §7.4: each segment's mode indicator (0010 alphanumeric, 0100 byte), character count and data,
   * §7.4.9 the terminator (up to 4 zero bits), zero bits to the codeword's end, §7.4.10 pad
   * codewords 11101100 00010001.
   */
  function dataCodewords(plan: QrPlan, dataLen: number): Uint8Array {
    const out = new Uint8Array(dataLen);
    const text = plan.text;
    // Bits go through `acc`: `held` of them wait for a whole byte.
    let acc = 0;
    let held = 0;
    let p = 0;
    const put = (value: number, bits: number) => {
      acc = (acc << bits) | value;
      held += bits;
      while (held >= 8) {
        held -= 8;
        out[p++] = acc >> held;
      }
      acc &= (1 << held) - 1;
    };
    for (let s = 0; s < plan.segments.length; s++) {
      const seg = plan.segments[s];
      const length = seg.end - seg.start;
      if (seg.alphanumeric) {
        put(2, 4);
        put(length, 9);
        let i = seg.start;
        for (; i + 1 < seg.end; i += 2) put(ALPHANUMERIC.indexOf(text[i]) * 45 + ALPHANUMERIC.indexOf(text[i + 1]), 11);
        if (i < seg.end) put(ALPHANUMERIC.indexOf(text[i]), 6);
      } else {
        put(4, 4);
        put(length, 8);
        for (let i = seg.start; i < seg.end; i++) put(text.charCodeAt(i) & 255, 8);
      }
    }
    if (p < dataLen) put(0, Math.min(4, (dataLen - p) * 8 - held));
    if (held) put(0, 8 - held);
    for (let i = 0; p < dataLen; i++) out[p++] = i & 1 ? 0x11 : 0xec;
    return out;
  }

  /**
   * §7.5.2 Reed–Solomon over GF(2^8) with the prime polynomial x^8+x^4+x^3+x^2+1 (0x11D): the
   * tables and the generator polynomial for `version` and `level`.
   */
  function reedSolomon(codewords: Uint8Array, version: number, level: number): ReedSolomon {
    const ecLen = EC_PER_BLOCK[(version - 1) * 4 + level];
    const exp = new Uint8Array(256);
    const log = new Uint8Array(256);
    for (let i = 0, x = 1; i < 255; i++, x = x & 0x80 ? (x << 1) ^ 0x11d : x << 1) log[(exp[i] = x)] = i;
    // Generator polynomial Π (x − α^i), i = 0 … ecLen − 1 (Annex A); gen[k] is the coefficient of
    // x^k. Kept as logarithms for the division: none of its coefficients is zero.
    const gen = new Uint8Array(ecLen + 1);
    gen[0] = 1;
    for (let i = 0; i < ecLen; i++) {
      for (let k = i + 1; k > 0; k--) gen[k] = gen[k - 1] ^ (gen[k] && exp[(log[gen[k]] + i) % 255]);
      gen[0] = exp[(log[gen[0]] + i) % 255];
    }
    const genLog = new Uint8Array(ecLen);
    for (let k = 0; k < ecLen; k++) genLog[k] = log[gen[ecLen - 1 - k]];
    return {
      codewords: codewords,
      blocks: blockCount(version, level),
      ecLen: ecLen,
      exp: exp,
      log: log,
      genLog: genLog,
      stream: new Uint8Array(TOTAL_CODEWORDS[version - 1] + 1),
      rem: new Uint8Array(ecLen + 1),
    };
  }

  /**
   * §7.5.2 the error correction codewords of block `b`, by the division of its data codewords,
   * half `half` (0 or 1) of them; and §7.6 the final sequence: the data codewords of the blocks
   * interleaved, then their error correction codewords.
   */
  function errorCorrection(rs: ReedSolomon, b: number, half: number): void {
    const blocks = rs.blocks;
    const ecLen = rs.ecLen;
    const dataLen = rs.codewords.length;
    const blockLen = dataLen / blocks;
    const exp = rs.exp;
    const log = rs.log;
    const genLog = rs.genLog;
    const rem = rs.rem;
    const mid = blockLen >> 1;
    if (!half) rem.fill(0);
    for (let i = half ? mid : 0; i < (half ? blockLen : mid); i++) {
      const d = rs.codewords[b * blockLen + i];
      rs.stream[i * blocks + b] = d;
      const f = d ^ rem[0];
      const lf = log[f];
      if (f) for (let k = 0; k < ecLen; k++) rem[k] = rem[k + 1] ^ exp[(genLog[k] + lf) % 255];
      else rem.set(rem.subarray(1));
    }
    if (half) for (let i = 0; i < ecLen; i++) rs.stream[dataLen + i * blocks + b] = rem[i];
  }

  /**
   * §6.3: the function patterns of a version 1–3 symbol, and the format areas (§7.9.1) kept
   * free until the mask is known.
   */
  function functionPatterns(version: number): Matrix {
    const n = version * 4 + 17;
    const darkRows = new Int32Array(n);
    const fixedRows = new Int32Array(n);
    const full = (1 << n) - 1;
    // §6.3.3 finder patterns with §6.3.4 separators, a row of each: top left and top right in
    // rows 0–7, bottom left in rows n − 8 … n − 1.
    for (let k = 0; k < 8; k++) {
      const f = FINDER[k];
      darkRows[k] = (f << (n - 8)) | (f >> 1);
      darkRows[n - 1 - k] = f << (n - 8);
      fixedRows[k] = (0xff << (n - 8)) | 0xff;
      fixedRows[n - 1 - k] = 0xff << (n - 8);
    }
    // §6.3.5 timing patterns in row 6 and column 6, dark at even positions (n − 1 is even, so at
    // even bits too); ORed into the finders, whose row 6 is dark and whose separators fall on odd places.
    darkRows[6] |= full & 0x55555555;
    fixedRows[6] = full;
    const at6 = 1 << (n - 7);
    const at8 = 1 << (n - 9);
    for (let k = 0; k < n; k++) {
      fixedRows[k] |= at6;
      if (!(k & 1)) {
        darkRows[k] |= at6;
      }
      // §7.9.1 format information: column 8 and row 8 beside the finders, reserved until the mask is known.
      if (k < 9 || k > n - 9) {
        fixedRows[k] |= at8;
      }
    }
    fixedRows[8] |= (0x1ff << (n - 9)) | 0xff;
    // The dark module at (8, n − 8).
    darkRows[n - 8] |= at8;
    // §6.3.6, Annex E: versions 2 and 3 have one alignment pattern, centred at (n − 7, n − 7).
    if (version > 1) {
      for (let k = 0; k < 5; k++) {
        darkRows[n - 9 + k] |= ALIGNMENT[k] << 4;
        fixedRows[n - 9 + k] |= 0x1f0;
      }
    }
    return { n: n, darkRows: darkRows, fixedRows: fixedRows, rows: new Int32Array(n), placed: 0 };
  }

  /**
   * §7.7.3: codeword bits, most significant first, in two-module columns from the bottom right,
   * up then down, skipping the timing column; the remainder bits stay light (the stream has a
   * zero byte more for them).
   */
  function placeCodewords(m: Matrix, stream: Uint8Array, from: number, to: number): void {
    const n = m.n;
    const dark = m.darkRows;
    const fixed = m.fixedRows;
    // Column pairs `from` … `to` − 1, counted from the right; `bit` is where the last left off.
    let bit = m.placed;
    for (let pair = from; pair < to && pair < (n - 1) >> 1; pair++) {
      let right = n - 1 - 2 * pair;
      if (right <= 6) right--;
      const down = (right + 1) & 2;
      // The pair's two modules in a row are bits u and u + 1 (the right one first).
      const u = n - 1 - right;
      for (let v = 0; v < n; v++) {
        const y = down ? v : n - 1 - v;
        const free = (~fixed[y] >> u) & 3;
        if (free == 3) {
          // Both free (most rows): the next two bits of the stream at once, the first to the right.
          const two = (((stream[bit >> 3] << 8) | stream[(bit >> 3) + 1]) >> (14 - (bit & 7))) & 3;
          dark[y] |= ((two >> 1) | ((two & 1) << 1)) << u;
          bit += 2;
        } else if (free) {
          if (stream[bit >> 3] & (0x80 >> (bit & 7))) dark[y] |= free << u;
          bit++;
        }
      }
    }
    m.placed = bit;
  }

  /**
   * The modules of a line of n whose coordinate c (x along a row, y down a column: the same bits,
   * the lines being reversed alike) is ≡ r (mod period) for a residue r in the bit set `residues`.
   */
  function every(n: number, period: number, residues: number): number {
    let p = 0;
    for (let r = 0; r < period; r++) if ((residues >> r) & 1) p |= 1 << ((n - 1 - r) % period);
    let t = 0;
    for (let k = 0; k < n; k += period) t |= (p & ((1 << (n - k)) - 1)) << k;
    return t;
  }

  /**
   * §7.8.2 Table 10: the rows that the masks are made of, for a symbol of n modules a side
   * (periods 2, 3 and 6 along the row); MASK_ROWS names them by letter (A = the first).
   */
  function maskRows(n: number): Int32Array {
    const full = (1 << n) - 1;
    const even = every(n, 2, 1);
    const three0 = every(n, 3, 1);
    const three1 = every(n, 3, 2);
    const three2 = every(n, 3, 4);
    const sixLow = every(n, 6, 7);
    return new Int32Array([0, full, even, full ^ even, three0, three1, three2, full ^ three1, full ^ three2, even & three0, even ^ three2, full ^ even ^ three2, sixLow, full ^ sixLow]);
  }

  /**
   * Table 10, i the row and j the column: for mask 0 … 7 (12 letters each), the row of maskRows
   * that it inverts in row i, at i mod 12 (every mask repeats every 12 rows). Worked out from the
   * table's conditions: 0 (i + j) mod 2 = 0, 1 i mod 2 = 0, 2 j mod 3 = 0, 3 (i + j) mod 3 = 0,
   * 4 (⌊i / 2⌋ + ⌊j / 3⌋) mod 2 = 0, 5 ij mod 2 + ij mod 3 = 0, 6 (ij mod 2 + ij mod 3) mod 2 = 0,
   * 7 ((i + j) mod 2 + ij mod 3) mod 2 = 0 (a lookup a row: the interpreter pays for every
   * statement, and the formulas are many).
   */
  const MASK_ROWS = "CDCDCDCDCDCDBABABABABABAEEEEEEEEEEEEEGFEGFEGFEGFMMNNMMNNMMNNBJECEJBJECEJBMICHKBMICHKCNKDMLCNKDML";

  /** §7.8.2: the data modules under mask `mask` into rows; the function patterns as they are. */
  function applyMask(m: Matrix, patterns: Int32Array, mask: number): void {
    const n = m.n;
    const rows = m.rows;
    const dark = m.darkRows;
    const fixed = m.fixedRows;
    const at = mask * 12;
    for (let i = 0; i < n; i++) rows[i] = dark[i] ^ (patterns[MASK_ROWS.charCodeAt(at + (i % 12)) - 65] & ~fixed[i]);
  }

  /**
   * §7.9.1, Annex C: level bits (L 01, M 00, Q 11, H 10) and mask, BCH(15,5) with generator
   * 10100110111 (0x537), XOR 101010000010010 (0x5412); bit 14 is the most significant. Drawn as
   * Figure 25: bits 0–7 down column 8 (skipping the timing row) and right to left along row 8;
   * bits 8–14 along row 8 from column 7 leftwards (skipping the timing column) and down column 8.
   */
  function formatInformation(m: Matrix, level: number, mask: number): void {
    const n = m.n;
    const info = ((level ^ 1) << 3) | mask;
    let r = info << 10;
    for (let i = 14; i >= 10; i--) if ((r >> i) & 1) r ^= 0x537 << (i - 10);
    const format = ((info << 10) | r) ^ 0x5412;
    const rows = m.rows;
    const at8 = 1 << (n - 9);
    for (let i = 0; i < 15; i++) {
      if ((format >> i) & 1) {
        if (i < 8) {
          rows[i < 6 ? i : i + 1] |= at8;
          rows[8] |= 1 << i;
        } else {
          rows[8] |= 1 << (n - (i < 9 ? 8 : 15 - i));
          rows[n - 15 + i] |= at8;
        }
      }
    }
  }

  /**
   * §7.8.3 Table 11: penalty points of the masked symbol. Rows are scored a row at a time, a
   * module a bit; columns all at once, a column a bit, from the rows around each row. Points are
   * counted bit by bit where bits are few (v &= v − 1 drops the lowest).
   */
  function penalty(m: Matrix): number {
    const n = m.n;
    const rows = m.rows;
    const full = (1 << n) - 1;
    let points = 0;
    // Dark modules per byte lane of the rows, summed over the rows: below 256 a lane.
    let darkLanes = 0;
    // Down the columns: the starts of 5 alike at the row before (feature 1).
    let above = 0;
    for (let y = 0; y < n; y++) {
      const v = rows[y];
      const light = ~v & full;
      // Feature 1: a run of 5 + i same-colour modules scores 3 + i. `same` marks each start of 5
      // alike: a run of 5 + i gives i + 1 consecutive marks; the first of them scores 2 more.
      let same = ~(v ^ (v >> 1)) & (full >> 1);
      same &= same >> 1;
      same &= same >> 2;
      for (let first = same & ~(same << 1); first; first &= first - 1) points += 2;
      for (; same; same &= same - 1) points++;
      // Feature 3: 1011101 with 4 light modules before or after it, inside the symbol: 40 each.
      let finder = v & (light >> 1) & (v >> 2) & (v >> 3) & (v >> 4) & (light >> 5) & (v >> 6);
      if (finder) {
        let gap = light & (light >> 1);
        gap &= gap >> 2;
        for (finder = (finder & (gap >> 7)) | (gap & (finder >> 4)); finder; finder &= finder - 1) points += 40;
      }
      // Set bits counted in parallel: per pair, per nibble, per byte.
      let c = v - ((v >> 1) & 0x55555555);
      c = (c & 0x33333333) + ((c >> 2) & 0x33333333);
      darkLanes += (c + (c >> 4)) & 0x0f0f0f0f;
      if (y + 1 < n) {
        const across = v ^ rows[y + 1];
        // Feature 2: each 2×2 block of one colour scores 3.
        for (let square = ~(across | (across >> 1) | v ^ (v >> 1)) & (full >> 1); square; square &= square - 1) points += 3;
        // Feature 1 down the columns: modules y … y + 4 alike.
        if (y + 4 < n) {
          let down = ~(across | (rows[y + 1] ^ rows[y + 2]) | (rows[y + 2] ^ rows[y + 3]) | (rows[y + 3] ^ rows[y + 4])) & full;
          for (let first = down & ~above; first; first &= first - 1) points += 2;
          above = down;
          for (; down; down &= down - 1) points++;
        }
        // Feature 3 down the columns: 1011101 in rows y … y + 6, 4 light rows after or before.
        if (y + 6 < n) {
          const column = v & ~rows[y + 1] & rows[y + 2] & rows[y + 3] & rows[y + 4] & ~rows[y + 5] & rows[y + 6] & full;
          if (column) {
            const after = y + 10 < n ? ~(rows[y + 7] | rows[y + 8] | rows[y + 9] | rows[y + 10]) : 0;
            const before = y >= 4 ? ~(rows[y - 4] | rows[y - 3] | rows[y - 2] | rows[y - 1]) : 0;
            for (let f = column & after; f; f &= f - 1) points += 40;
            for (let f = column & before; f; f &= f - 1) points += 40;
          }
        }
      }
    }
    // Feature 4: 10 points per 5 % that the dark share is away from 50 %. The lanes are added
    // arithmetically: their sum can pass 2^31.
    let darkCount = 0;
    for (; darkLanes; darkLanes = Math.floor(darkLanes / 256)) darkCount += darkLanes % 256;
    return points + 10 * Math.floor(Math.abs(darkCount * 20 - n * n * 10) / (n * n));
  }

  /** The rows one after another, most significant bit first: each byte from at most two rows. */
  function packRows(m: Matrix): Uint8Array {
    const n = m.n;
    const rows = m.rows;
    const bits = new Uint8Array((n * n + 7) >> 3);
    for (let b = 0, y = 0, used = 0; b < bits.length; b++) {
      // `used` bits of row y are packed already.
      const left = n - used;
      if (left > 8) {
        bits[b] = rows[y] >> (left - 8);
        used += 8;
      } else {
        y++;
        used = 8 - left;
        bits[b] = (rows[y - 1] << used) | (y < n ? rows[y] >> (n - used) : 0);
      }
    }
    return bits;
  }

  return { plan: qrPlan, step: step, capacity: qrCapacity, choice: qrChoice, segments: qrSegments, codewords: codewords, dataLength: dataLength };
}

/** Bytes that byte mode holds (Table 7): the data codewords less the 4-bit mode and 8-bit count. */
export function qrCapacity(version: number, level: number): number {
  return qrLib().capacity(version, level);
}

/** The version and level (as the encoder chooses them) of `length` bytes in one byte-mode segment. */
export function qrChoice(length: number, maxVersion: number): { version: number; level: number } | null {
  return qrLib().choice(length, maxVersion);
}

/** §7.4.2: the text as alphanumeric and byte segments with the fewest bits. */
export function qrSegments(text: string, alphanumeric: boolean): QrSegment[] {
  return qrLib().segments(text, alphanumeric);
}

/**
 * What `text` (a byte string: one char = one byte) becomes: its segments (byte mode only
 * unless `alphanumeric`), version ≤ maxVersion and level; null if it does not fit.
 */
export function qrPlan(text: string, maxVersion: number, alphanumeric: boolean): QrPlan | null {
  return qrLib().plan(text, maxVersion, alphanumeric);
}

/**
 * The QR code of `plan` as a job (step() until it returns true). On the codepair image, which
 * has the costly steps in C (E.qrSymbol, tools/espruino/patches/codepair/0020-qr-native.patch),
 * one short step: the data codewords here, the rest there. Elsewhere (2v29 as released, Node)
 * the steps of the standard in JavaScript (qrSymbolJob), the data codewords made in the first.
 */
export function qrJob(plan: QrPlan): QrJob {
  if (typeof E !== "undefined" && E.qrSymbol) {
    const native = E.qrSymbol;
    const job: QrJob = {
      qr: null,
      step: function (): boolean {
        if (!job.qr) job.qr = native(qrCodewords(plan), plan.version, plan.level, plan.mask);
        return true;
      },
    };
    return job;
  }
  return stepsJob({ plan: plan, codewords: null, version: plan.version, level: plan.level, mask: plan.mask, at: 0, rs: null, stream: null, m: null, patterns: null, best: 0, bestPoints: -1 });
}

/** Table 7: how many data codewords a symbol of `version` and `level` has. */
export function qrDataLength(version: number, level: number): number {
  return qrLib().dataLength(version, level);
}

/** §7.4: the data codewords of `plan` (at its version and level). */
export function qrCodewords(plan: QrPlan): Uint8Array {
  return qrLib().codewords(plan);
}

/**
 * The symbol of the data codewords `codewords` at `version` and `level`, drawn with `mask` (-1:
 * the one with the fewest penalty points), in JavaScript, one short run each step: the error
 * correction (§7.5), each block's division in halves (§7.5.2, §7.6), the function patterns
 * (§6.3), the codeword placement in thirds (§7.7.3), each mask scored (§7.8), the chosen one
 * drawn with its format information (§7.9). The simulator's E.qrSymbol is this.
 */
export function qrSymbolJob(codewords: Uint8Array, version: number, level: number, mask: number): QrJob {
  return stepsJob({ plan: null, codewords: codewords, version: version, level: level, mask: mask, at: 0, rs: null, stream: null, m: null, patterns: null, best: 0, bestPoints: -1 });
}

/**
 * A job of the standard's steps in JavaScript. Between steps it holds its state alone: the
 * encoder is made for each step and is garbage after it, so a poll that comes while a QR code is
 * being built does not find the encoder's ~270 JsVars in use beside its own (measured on the
 * ESP32-like interpreter, bench/pairing.ts).
 */
function stepsJob(s: JobState): QrJob {
  const job: QrJob = {
    qr: null,
    step: function (): boolean {
      if (!job.qr) job.qr = qrLib().step(s);
      return !!job.qr;
    },
  };
  return job;
}

/** The QR code of `data` (a byte string: one char = one byte) in byte mode at version ≤ maxVersion, or null if it does not fit. */
export function encodeQr(data: string, maxVersion: number): QrCode | null {
  const plan = qrPlan(data, maxVersion, false);
  return plan ? qrFinish(qrJob(plan)) : null;
}

/** The rest of a job's steps at once, and its code. */
export function qrFinish(job: QrJob): QrCode {
  while (!job.step());
  return job.qr as QrCode;
}

/**
 * The code as a 1 bpp image for Graphics.drawImage, inverted: 1 = LIGHT module, because the
 * OLED lights what is drawn and a lit module reads as light. The caller lights the quiet zone.
 */
export function qrImage(qr: QrCode): { width: number; height: number; bpp: number; buffer: ArrayBuffer } {
  const lit = new Uint8Array(qr.bits.length);
  for (let i = 0; i < lit.length; i++) lit[i] = ~qr.bits[i];
  return { width: qr.size, height: qr.size, bpp: 1, buffer: lit.buffer };
}
