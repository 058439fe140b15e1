// An SSD1306 controller, emulated at the I2C byte level: the simulator's fake I2C bus hands each
// write transaction addressed to the controller to `receive`, and `panel()` says which pixels of
// the glass are lit. Behaviour follows the SSD1306 datasheet (rev 1.1): the I2C control byte
// (§8.1.5.2), the command table (§9), the addressing modes (§10.1.3) and the reset values (§8.9,
// §9 "Reset" column).
//
// What is modelled:
//  - The command decoder, including commands whose argument bytes arrive later: in the same
//    stream, after a new control byte (Co=1 single commands), or in a later transaction. The
//    decoder's state survives between transactions, as the chip's does.
//  - GDDRAM, always 8 pages × 128 columns, and the RAM pointer in horizontal, vertical and page
//    addressing mode with the column/page windows of 0x21/0x22 (§10.1.3–10.1.5).
//  - The row path from RAM to the glass: display start line (0x40–0x7F), multiplex ratio (0xA8),
//    display offset (0xD3), COM scan direction (0xC0/0xC8), COM pins configuration (0xDA:
//    sequential/alternative and left/right remap), and the column path through segment remap
//    (0xA0/0xA1); then entire-display-on (0xA5), inversion (0xA7), display on/off (0xAE/0xAF) and
//    the charge pump (0x8D), without which a module powered from 3.3 V shows nothing.
//
// The panel's glass: which COM pin drives which row and which SEG drives which column depends on
// the module, not on the chip. We wire the glass so that the usual init sequences show RAM
// column x, RAM row y at panel pixel (x, y):
//  - 128×64: 0xA8 0x3F, 0xDA 0x12 (alternative COM pins), 0xA1, 0xC8;
//  - 128×32: 0xA8 0x1F, 0xDA 0x02 (sequential COM pins), 0xA1, 0xC8; only COM0–COM31 are
//    connected, so with this init panel rows 0–31 come from RAM pages 0–3.
// Any other setting then moves pixels the way it would on such a module: A0 mirrors left/right,
// C0 mirrors top/bottom, a 128×64 panel driven with sequential COM pins interleaves its halves,
// a 128×32 panel driven with alternative COM pins shows every other row.
//
// Modelling choices where the datasheet's text leaves room:
//  - The display offset shifts the row counter before the scan direction mirrors it within the
//    multiplex ratio (COM[N-1]..COM0). With a multiplex of 64 an offset of d then moves the image
//    the same way as a start line of d, in either scan direction.
//  - The COM pins configuration maps the scan's COM index to a pin: sequential is the identity,
//    alternative sends even indices to COM0–31 and odd ones to COM32–63, left/right remap swaps
//    the two halves.
//  - Page addressing mode: after column 127 the column pointer returns to the page-mode column
//    start address (set by 0x00–0x1F); the page never changes (§10.1.3.1). The 0x21/0x22 windows
//    apply only to horizontal/vertical mode.
//  - Commands the datasheet marks as "only for page addressing mode" (0xB0–0xB7, 0x00–0x1F) or
//    "only for horizontal or vertical mode" (0x21, 0x22) store their registers in any mode but
//    move the RAM pointer only in the mode they are for.
//  - Out-of-range arguments: 0x20 with 11b ("invalid") and 0xA8 below 15 ("invalid entry") are
//    ignored, the register keeps its value.
//  - Data bytes that arrive while a command still waits for arguments go to RAM; the command
//    keeps waiting.
//  - GDDRAM holds repeatable noise at power-on (on the chip its contents are undefined).
//
// Not modelled: scrolling is recorded (setup and active flag) but not animated, and writing RAM
// while scrolling does not corrupt it; contrast, pre-charge, VCOMH and clock settings are recorded
// but not rendered (a pixel is lit or not); the advanced graphics commands 0x23 (fade/blink) and
// 0xD6 (zoom) consume their argument and are ignored; reads (status and RAM) and the SPI and
// parallel interfaces are not emulated.

export type AddressingMode = "horizontal" | "vertical" | "page";

export interface Ssd1306Options {
  width: 128;
  height: 64 | 32;
  /** 7-bit I2C address; 0x3C by default (0x3D when SA0 is high) */
  address?: number;
}

export interface Ssd1306State {
  on: boolean;
  chargePump: boolean;
  contrast: number;
  inverted: boolean;
  entireOn: boolean;
  addressingMode: AddressingMode;
  segmentRemap: boolean;
  comReverse: boolean;
  /** multiplex ratio as sent (N - 1): 63 for 64 rows */
  multiplex: number;
  offset: number;
  startLine: number;
  /** the 0xDA argument as sent, e.g. 0x12 */
  comPins: number;
  scrolling: boolean;
  unknownCommands: number;
  // Registers beyond the ones above, for tests and for a debug view.
  clockDivide: number;
  precharge: number;
  vcomh: number;
  columnWindow: [number, number];
  pageWindow: [number, number];
  pointer: { column: number; page: number };
}

export interface Ssd1306Stats {
  /** write transactions received */
  transactions: number;
  /** every byte received, control bytes included */
  bytes: number;
  /** bytes written to GDDRAM */
  dataBytes: number;
  /** command bytes, argument bytes included */
  commandBytes: number;
}

const RAM_COLUMNS = 128;
const RAM_PAGES = 8;
const RAM_ROWS = 64;

/** Argument bytes each command takes (§9). Commands not listed take none. */
function argumentCount(command: number): number {
  switch (command) {
    case 0x20: // memory addressing mode
    case 0x81: // contrast
    case 0x8d: // charge pump
    case 0xa8: // multiplex ratio
    case 0xd3: // display offset
    case 0xd5: // clock divide / oscillator
    case 0xd9: // pre-charge period
    case 0xda: // COM pins configuration
    case 0xdb: // VCOMH deselect level
    case 0x23: // fade out / blinking (advanced graphics)
    case 0xd6: // zoom in (advanced graphics)
      return 1;
    case 0x21: // column address
    case 0x22: // page address
    case 0xa3: // vertical scroll area
      return 2;
    case 0x29: // vertical and right horizontal scroll
    case 0x2a: // vertical and left horizontal scroll
      return 5;
    case 0x26: // right horizontal scroll
    case 0x27: // left horizontal scroll
      return 6;
    default:
      return 0;
  }
}

/** Whether a byte starts a command the controller knows (§9). */
function isKnownCommand(b: number): boolean {
  if (b <= 0x1f) return true; // page-mode column nibbles
  if (b >= 0x40 && b <= 0x7f) return true; // display start line
  if (b >= 0xb0 && b <= 0xb7) return true; // page-mode page start
  switch (b) {
    case 0x20: case 0x21: case 0x22: case 0x23:
    case 0x26: case 0x27: case 0x29: case 0x2a: case 0x2e: case 0x2f:
    case 0x81: case 0x8d:
    case 0xa0: case 0xa1: case 0xa3: case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xa8:
    case 0xae: case 0xaf:
    case 0xc0: case 0xc8:
    case 0xd3: case 0xd5: case 0xd6: case 0xd9: case 0xda: case 0xdb:
    case 0xe3:
      return true;
    default:
      return false;
  }
}

/** Where a transaction's decoder is: expecting a control byte, or in a stream. */
type Expect = "control" | "command-stream" | "data-stream" | "one-command" | "one-datum";

export class Ssd1306 {
  readonly width: 128;
  readonly height: 64 | 32;
  readonly address: number;

  private ram = new Uint8Array(RAM_COLUMNS * RAM_PAGES);
  /** glass row driven by each physical COM pin, -1 when the pin is not connected */
  private glassRowOfPin: Int16Array;

  // Registers (reset values are set in powerOnReset).
  private on = false;
  private chargePump = false;
  private contrast = 0x7f;
  private inverted = false;
  private entireOn = false;
  private mode: AddressingMode = "page";
  private segmentRemap = false;
  private comReverse = false;
  private multiplex = 63;
  private offset = 0;
  private startLine = 0;
  private comPins = 0x12;
  private clockDivide = 0x80;
  private precharge = 0x22;
  private vcomh = 0x20;
  private scrolling = false;
  private scrollSetup: number[] = [];
  private verticalScrollArea: [number, number] = [0, 64];
  private columnStart = 0;
  private columnEnd = 127;
  private pageStart = 0;
  private pageEnd = 7;
  private pageModeColumn = 0;
  private pageModePage = 0;
  private column = 0;
  private page = 0;
  private unknownCommands = 0;

  // Command decoder: the command waiting for arguments, and the arguments so far.
  private pending = -1;
  private pendingArgs: number[] = [];

  private counters: Ssd1306Stats = { transactions: 0, bytes: 0, dataBytes: 0, commandBytes: 0 };

  constructor(opts: Ssd1306Options) {
    this.width = opts.width;
    this.height = opts.height;
    this.address = opts.address === undefined ? 0x3c : opts.address;
    this.glassRowOfPin = wireGlass(opts.height);
    this.powerOnReset();
  }

  /**
   * The RES# pin: registers to their reset values (§8.9). The datasheet leaves GDDRAM
   * undefined at power-up; it is filled with (seeded, repeatable) noise, so a driver that
   * switches the panel on before writing a frame shows garbage here as on the glass.
   */
  powerOnReset(): void {
    let seed = 0x2545f491;
    for (let i = 0; i < this.ram.length; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      this.ram[i] = seed & 0xff;
    }
    this.on = false;
    this.chargePump = false;
    this.contrast = 0x7f;
    this.inverted = false;
    this.entireOn = false;
    this.mode = "page";
    this.segmentRemap = false;
    this.comReverse = false;
    this.multiplex = 63;
    this.offset = 0;
    this.startLine = 0;
    this.comPins = 0x12;
    this.clockDivide = 0x80;
    this.precharge = 0x22;
    this.vcomh = 0x20;
    this.scrolling = false;
    this.scrollSetup = [];
    this.verticalScrollArea = [0, 64];
    this.columnStart = 0;
    this.columnEnd = 127;
    this.pageStart = 0;
    this.pageEnd = 7;
    this.pageModeColumn = 0;
    this.pageModePage = 0;
    this.column = 0;
    this.page = 0;
    this.unknownCommands = 0;
    this.pending = -1;
    this.pendingArgs = [];
  }

  /** One I2C write transaction addressed to the controller: the bytes after the address byte. */
  receive(bytes: Uint8Array | number[]): void {
    this.counters.transactions++;
    let expect: Expect = "control";
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] & 0xff;
      this.counters.bytes++;
      switch (expect) {
        case "control": {
          // §8.1.5.2: Co (bit 7) = 1: one byte follows, then another control byte;
          // Co = 0: every following byte is of the kind D/C# (bit 6) says.
          const co = (b & 0x80) !== 0;
          const data = (b & 0x40) !== 0;
          if (co) expect = data ? "one-datum" : "one-command";
          else expect = data ? "data-stream" : "command-stream";
          break;
        }
        case "command-stream":
          this.commandByte(b);
          break;
        case "data-stream":
          this.dataByte(b);
          break;
        case "one-command":
          this.commandByte(b);
          expect = "control";
          break;
        case "one-datum":
          this.dataByte(b);
          expect = "control";
          break;
      }
    }
  }

  get state(): Ssd1306State {
    return {
      on: this.on,
      chargePump: this.chargePump,
      contrast: this.contrast,
      inverted: this.inverted,
      entireOn: this.entireOn,
      addressingMode: this.mode,
      segmentRemap: this.segmentRemap,
      comReverse: this.comReverse,
      multiplex: this.multiplex,
      offset: this.offset,
      startLine: this.startLine,
      comPins: this.comPins,
      scrolling: this.scrolling,
      unknownCommands: this.unknownCommands,
      clockDivide: this.clockDivide,
      precharge: this.precharge,
      vcomh: this.vcomh,
      columnWindow: [this.columnStart, this.columnEnd],
      pageWindow: [this.pageStart, this.pageEnd],
      pointer: { column: this.column, page: this.page },
    };
  }

  /** A copy of GDDRAM: page p, column c at index p * 128 + c; bit n of a byte is row p * 8 + n. */
  gddram(): Uint8Array {
    return this.ram.slice();
  }

  /** Scroll setup as last sent (the command byte and its arguments), for a debug view. */
  get scroll(): { setup: number[]; verticalArea: [number, number] } {
    return { setup: this.scrollSetup.slice(), verticalArea: [this.verticalScrollArea[0], this.verticalScrollArea[1]] };
  }

  get stats(): Ssd1306Stats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = { transactions: 0, bytes: 0, dataBytes: 0, commandBytes: 0 };
  }

  /** What the glass shows: width × height bytes, row-major, 1 = lit. */
  panel(): Uint8Array {
    const out = new Uint8Array(this.width * this.height);
    if (!this.on || !this.chargePump) return out;
    const rows = this.ramRowOfPanelRow();
    for (let y = 0; y < this.height; y++) {
      const r = rows[y];
      if (r < 0) continue; // this row's COM is not scanned: it stays dark
      const base = (r >> 3) * RAM_COLUMNS;
      const bit = r & 7;
      for (let x = 0; x < this.width; x++) {
        let lit: number;
        if (this.entireOn) lit = 1;
        else {
          // Glass column x is wired to SEG(127 - x); SEG s shows RAM column s, or 127 - s when
          // the segment remap (0xA1) is set.
          const col = this.segmentRemap ? x : RAM_COLUMNS - 1 - x;
          lit = (this.ram[base + col] >> bit) & 1;
          if (this.inverted) lit ^= 1;
        }
        out[y * this.width + x] = lit;
      }
    }
    return out;
  }

  /** For each glass row, the RAM row it shows, or -1 when its COM pin is not driven. */
  private ramRowOfPanelRow(): Int16Array {
    const rows = new Int16Array(this.height).fill(-1);
    const n = this.multiplex + 1;
    for (let line = 0; line < n; line++) {
      // The row counter runs 0..N-1 and shows RAM row (start line + counter) (§10.1.6); the
      // display offset moves which COM that counter value drives (§10.1.15).
      const com = (line - this.offset) & 63;
      // Remapped scan direction: from COM[N-1] down to COM0 (§10.1.14).
      const scanned = this.comReverse ? (n - 1 - com) & 63 : com;
      const pin = comPin(scanned, this.comPins);
      const y = this.glassRowOfPin[pin];
      if (y >= 0) rows[y] = (this.startLine + line) & 63;
    }
    return rows;
  }

  private commandByte(b: number): void {
    this.counters.commandBytes++;
    if (this.pending >= 0) {
      this.pendingArgs.push(b);
      if (this.pendingArgs.length === argumentCount(this.pending)) {
        const command = this.pending;
        const args = this.pendingArgs;
        this.pending = -1;
        this.pendingArgs = [];
        this.execute(command, args);
      }
      return;
    }
    if (!isKnownCommand(b)) {
      this.unknownCommands++;
      return;
    }
    if (argumentCount(b) > 0) {
      this.pending = b;
      this.pendingArgs = [];
      return;
    }
    this.execute(b, []);
  }

  private execute(c: number, args: number[]): void {
    if (c <= 0x0f) {
      this.pageModeColumn = (this.pageModeColumn & 0xf0) | c;
      if (this.mode === "page") this.column = this.pageModeColumn;
      return;
    }
    if (c <= 0x1f) {
      // The upper nibble is 3 bits wide on the chip (columns 0..127).
      this.pageModeColumn = ((c & 0x07) << 4) | (this.pageModeColumn & 0x0f);
      if (this.mode === "page") this.column = this.pageModeColumn;
      return;
    }
    if (c >= 0x40 && c <= 0x7f) {
      this.startLine = c & 0x3f;
      return;
    }
    if (c >= 0xb0 && c <= 0xb7) {
      this.pageModePage = c & 0x07;
      if (this.mode === "page") this.page = this.pageModePage;
      return;
    }
    switch (c) {
      case 0x20: {
        const m = args[0] & 0x03;
        if (m === 0) this.mode = "horizontal";
        else if (m === 1) this.mode = "vertical";
        else if (m === 2) this.mode = "page";
        // 11b is "invalid": ignored
        return;
      }
      case 0x21:
        this.columnStart = args[0] & 0x7f;
        this.columnEnd = args[1] & 0x7f;
        if (this.mode !== "page") this.column = this.columnStart;
        return;
      case 0x22:
        this.pageStart = args[0] & 0x07;
        this.pageEnd = args[1] & 0x07;
        if (this.mode !== "page") this.page = this.pageStart;
        return;
      case 0x23: // fade out / blinking: not modelled
      case 0xd6: // zoom in: not modelled
        return;
      case 0x26:
      case 0x27:
      case 0x29:
      case 0x2a:
        this.scrollSetup = [c, ...args];
        return;
      case 0x2e:
        this.scrolling = false;
        return;
      case 0x2f:
        this.scrolling = true;
        return;
      case 0x81:
        this.contrast = args[0];
        return;
      case 0x8d:
        this.chargePump = (args[0] & 0x04) !== 0; // 0x14 enables, 0x10 disables
        return;
      case 0xa0:
      case 0xa1:
        this.segmentRemap = c === 0xa1;
        return;
      case 0xa3:
        this.verticalScrollArea = [args[0] & 0x3f, args[1] & 0x7f];
        return;
      case 0xa4:
      case 0xa5:
        this.entireOn = c === 0xa5;
        return;
      case 0xa6:
      case 0xa7:
        this.inverted = c === 0xa7;
        return;
      case 0xa8: {
        const mux = args[0] & 0x3f;
        if (mux >= 15) this.multiplex = mux; // 0..14: "invalid entry"
        return;
      }
      case 0xae:
      case 0xaf:
        this.on = c === 0xaf;
        return;
      case 0xc0:
      case 0xc8:
        this.comReverse = c === 0xc8;
        return;
      case 0xd3:
        this.offset = args[0] & 0x3f;
        return;
      case 0xd5:
        this.clockDivide = args[0];
        return;
      case 0xd9:
        this.precharge = args[0];
        return;
      case 0xda:
        this.comPins = args[0];
        return;
      case 0xdb:
        this.vcomh = args[0];
        return;
      case 0xe3: // NOP
        return;
    }
  }

  private dataByte(b: number): void {
    this.counters.dataBytes++;
    this.ram[this.page * RAM_COLUMNS + this.column] = b;
    this.advance();
  }

  /** Moves the RAM pointer after a data byte (§10.1.3). */
  private advance(): void {
    if (this.mode === "page") {
      // Column wraps to the page-mode column start; the page does not change.
      this.column = this.column === RAM_COLUMNS - 1 ? this.pageModeColumn : this.column + 1;
      return;
    }
    if (this.mode === "horizontal") {
      if (this.column === this.columnEnd) {
        this.column = this.columnStart;
        this.page = this.page === this.pageEnd ? this.pageStart : (this.page + 1) & 7;
      } else {
        this.column = (this.column + 1) & 127;
      }
      return;
    }
    // vertical
    if (this.page === this.pageEnd) {
      this.page = this.pageStart;
      this.column = this.column === this.columnEnd ? this.columnStart : (this.column + 1) & 127;
    } else {
      this.page = (this.page + 1) & 7;
    }
  }
}

/** The physical COM pin that a scanned COM index drives, per the 0xDA setting (§10.1.18). */
function comPin(index: number, config: number): number {
  const alternative = (config & 0x10) !== 0;
  const leftRightRemap = (config & 0x20) !== 0;
  let pin = alternative ? ((index & 1) === 0 ? index >> 1 : 32 + (index >> 1)) : index;
  if (leftRightRemap) pin ^= 32;
  return pin;
}

/**
 * The glass: for each COM pin, the panel row it drives (-1 if none). Derived from the usual init
 * of each panel size (see the header), so that those inits show RAM row y on panel row y.
 */
function wireGlass(height: 64 | 32): Int16Array {
  const rowOfPin = new Int16Array(RAM_ROWS).fill(-1);
  const usualComPins = height === 64 ? 0x12 : 0x02;
  for (let y = 0; y < height; y++) {
    // Usual init: offset 0, start line 0, multiplex height - 1, COM scan reversed (0xC8).
    const scanned = height - 1 - y;
    rowOfPin[comPin(scanned, usualComPins)] = y;
  }
  return rowOfPin;
}
