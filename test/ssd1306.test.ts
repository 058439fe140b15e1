import { describe, expect, it } from "vitest";
import { Ssd1306 } from "../host-sim/ssd1306.ts";
import { diffPixels, fromPng, toAscii, toPng, toTerminal } from "../host-sim/render.ts";

const CMD = 0x00; // control byte: Co=0, D/C#=0
const DATA = 0x40; // control byte: Co=0, D/C#=1

/** The usual init of a 128×64 or 128×32 module (Espruino's SSD1306 module uses the same values). */
function usualInit(height: 64 | 32): number[] {
  return [
    CMD,
    0xae, 0xd5, 0x80, 0xa8, height - 1, 0xd3, 0x00, 0x40, 0x8d, 0x14, 0x20, 0x00,
    0xa1, 0xc8, 0xda, height === 64 ? 0x12 : 0x02, 0x81, 0xcf, 0xd9, 0xf1, 0xdb, 0x40,
    0xa4, 0xa6, 0xaf,
  ];
}

/** A panel after the usual init and a cleared frame (RAM holds noise at power-up). */
function display(height: 64 | 32 = 64): Ssd1306 {
  const d = new Ssd1306({ width: 128, height });
  d.receive(usualInit(height));
  d.receive([DATA, ...new Array(1024).fill(0)]); // horizontal mode: the pointer wraps to (0, 0)
  d.resetStats();
  return d;
}

/** Deterministic noise so every bit of RAM is exercised. */
function noise(n: number, seed = 1): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out.push((s >>> 16) & 0xff);
  }
  return out;
}

/** The panel a 128×height glass shows for a RAM image when RAM row y is panel row y. */
function expectedPanel(ram: ArrayLike<number>, height: number, rowOf = (y: number) => y, colOf = (x: number) => x): Uint8Array {
  const out = new Uint8Array(128 * height);
  for (let y = 0; y < height; y++) {
    const r = rowOf(y);
    if (r < 0) continue;
    for (let x = 0; x < 128; x++) out[y * 128 + x] = (ram[(r >> 3) * 128 + colOf(x)] >> (r & 7)) & 1;
  }
  return out;
}

function expectPanel(d: Ssd1306, expected: Uint8Array): void {
  const actual = d.panel();
  const diff = diffPixels(actual, expected, d.width, d.height);
  if (diff.count !== 0) {
    throw new Error(
      `${diff.count} pixels differ, first at ${JSON.stringify(diff.first)}\nactual:\n` +
        toAscii(actual, d.width, d.height) + "\nexpected:\n" + toAscii(expected, d.width, d.height),
    );
  }
}

function litRows(d: Ssd1306): number[] {
  const p = d.panel();
  const rows: number[] = [];
  for (let y = 0; y < d.height; y++) {
    let any = false;
    for (let x = 0; x < d.width; x++) if (p[y * d.width + x]) any = true;
    if (any) rows.push(y);
  }
  return rows;
}

function fullFrame(d: Ssd1306, bytes: number[]): void {
  d.receive([CMD, 0x21, 0, 127, 0x22, 0, 7]);
  d.receive([DATA, ...bytes]);
}

describe("Ssd1306: power-on reset", () => {
  it("starts with the datasheet's reset values and a dark panel", () => {
    const d = new Ssd1306({ width: 128, height: 64 });
    expect(d.address).toBe(0x3c);
    expect(d.state).toMatchObject({
      on: false, chargePump: false, contrast: 0x7f, inverted: false, entireOn: false,
      addressingMode: "page", segmentRemap: false, comReverse: false, multiplex: 63,
      offset: 0, startLine: 0, comPins: 0x12, scrolling: false, unknownCommands: 0,
      columnWindow: [0, 127], pageWindow: [0, 7], pointer: { column: 0, page: 0 },
    });
    expect(d.panel().every((p) => p === 0)).toBe(true);
    expect(new Ssd1306({ width: 128, height: 32, address: 0x3d }).address).toBe(0x3d);
  });
});

describe("Ssd1306 at power-up", () => {
  it("holds noise in RAM, which the panel shows if switched on before a frame is written", () => {
    const d = new Ssd1306({ width: 128, height: 64 });
    d.receive(usualInit(64));
    const lit = d.panel().reduce((a, b) => a + b, 0);
    expect(lit).toBeGreaterThan(2000);
    expect(lit).toBeLessThan(6000);
    // the same noise every time: tests stay repeatable
    const again = new Ssd1306({ width: 128, height: 64 });
    again.receive(usualInit(64));
    expect(Array.from(again.panel())).toEqual(Array.from(d.panel()));
  });
});

describe("Ssd1306: 128×64 with the usual init", () => {
  it("takes the init sequence", () => {
    const d = display();
    expect(d.state).toMatchObject({
      on: true, chargePump: true, contrast: 0xcf, addressingMode: "horizontal",
      segmentRemap: true, comReverse: true, multiplex: 63, comPins: 0x12, unknownCommands: 0,
    });
  });

  it("shows a full frame written in horizontal mode with pixel (x, y) at page y>>3, bit y&7", () => {
    const d = display();
    const frame = noise(1024);
    fullFrame(d, frame);
    expect(Array.from(d.gddram())).toEqual(frame);
    expectPanel(d, expectedPanel(frame, 64));
    // One pixel by hand: RAM page 2, column 5, bit 3 → panel (5, 19).
    const one = display();
    one.receive([CMD, 0x21, 5, 5, 0x22, 2, 2]);
    one.receive([DATA, 0x08]);
    const p = one.panel();
    expect(p[19 * 128 + 5]).toBe(1);
    expect(p.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it("changes only the page a one-page window write covers", () => {
    const d = display();
    const frame = noise(1024, 7);
    fullFrame(d, frame);
    d.receive([CMD, 0x21, 0, 127, 0x22, 3, 3]);
    d.receive([DATA, ...new Array(128).fill(0xff)]);
    const ram = frame.slice();
    for (let c = 0; c < 128; c++) ram[3 * 128 + c] = 0xff;
    expect(Array.from(d.gddram())).toEqual(ram);
    expectPanel(d, expectedPanel(ram, 64));
  });

  it("wraps column then page at the window's ends in horizontal mode", () => {
    const d = display();
    d.receive([CMD, 0x21, 10, 12, 0x22, 1, 2]);
    d.receive([DATA, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ram = d.gddram();
    // 1..6 fill the 3×2 window; 7, 8, 9 wrap to its start and overwrite 1, 2, 3.
    expect(Array.from(ram.slice(128 + 10, 128 + 13))).toEqual([7, 8, 9]);
    expect(Array.from(ram.slice(256 + 10, 256 + 13))).toEqual([4, 5, 6]);
    expect(ram[128 + 13]).toBe(0);
    expect(d.state.pointer).toEqual({ column: 10, page: 2 });
  });

  it("fills page first, then column, in vertical mode", () => {
    const d = display();
    d.receive([CMD, 0x20, 0x01, 0x21, 4, 5, 0x22, 0, 7]);
    expect(d.state.addressingMode).toBe("vertical");
    const bytes = noise(16, 3);
    d.receive([DATA, ...bytes]);
    const ram = d.gddram();
    for (let i = 0; i < 16; i++) expect(ram[(i & 7) * 128 + 4 + (i >> 3)]).toBe(bytes[i]);
    // A 17th byte wraps to the window's first column and page.
    d.receive([DATA, 0xaa]);
    expect(d.gddram()[4]).toBe(0xaa);
  });

  it("wraps the page at the page window's end in vertical mode", () => {
    const d = display();
    d.receive([CMD, 0x20, 0x01, 0x21, 0, 1, 0x22, 6, 7]);
    d.receive([DATA, 1, 2, 3, 4, 5]);
    const ram = d.gddram();
    expect([ram[6 * 128], ram[7 * 128], ram[6 * 128 + 1], ram[7 * 128 + 1]]).toEqual([5, 2, 3, 4]);
  });

  it("addresses with 0xB0+n and the column nibbles in page mode", () => {
    const d = display();
    d.receive([CMD, 0x20, 0x02, 0xb2, 0x03, 0x10]);
    expect(d.state.pointer).toEqual({ column: 3, page: 2 });
    d.receive([DATA, 0x11, 0x22]);
    d.receive([CMD, 0xb5, 0x0a, 0x17]); // column 0x7a
    expect(d.state.pointer).toEqual({ column: 0x7a, page: 5 });
    d.receive([DATA, 0x33]);
    const ram = d.gddram();
    expect([ram[2 * 128 + 3], ram[2 * 128 + 4], ram[5 * 128 + 0x7a]]).toEqual([0x11, 0x22, 0x33]);
  });

  it("wraps the column to the page-mode column start, keeping the page, in page mode", () => {
    const d = display();
    d.receive([CMD, 0x20, 0x02, 0xb4, 0x0e, 0x17]); // page 4, column 126
    d.receive([DATA, 1, 2, 3]);
    const ram = d.gddram();
    expect([ram[4 * 128 + 126], ram[4 * 128 + 127], ram[4 * 128 + 126]]).toEqual([3, 2, 3]);
    expect(ram[5 * 128 + 0]).toBe(0);
    expect(d.state.pointer.page).toBe(4);
  });

  it("ignores the 0x21/0x22 windows in page mode", () => {
    const d = display();
    d.receive([CMD, 0x20, 0x02, 0xb1, 0x00, 0x10, 0x21, 0, 1, 0x22, 0, 0]);
    d.receive([DATA, 1, 2, 3]);
    expect(Array.from(d.gddram().slice(128, 131))).toEqual([1, 2, 3]);
  });

  it("is dark when the display is off or the charge pump is off", () => {
    const d = display();
    fullFrame(d, new Array(1024).fill(0xff));
    expect(litRows(d).length).toBe(64);
    d.receive([CMD, 0xae]);
    expect(litRows(d)).toEqual([]);
    d.receive([CMD, 0xaf, 0x8d, 0x10]);
    expect(d.state.chargePump).toBe(false);
    expect(litRows(d)).toEqual([]);
    d.receive([CMD, 0x8d, 0x14]);
    expect(litRows(d).length).toBe(64);
  });

  it("inverts with 0xA7 and back with 0xA6", () => {
    const d = display();
    const frame = noise(1024, 11);
    fullFrame(d, frame);
    d.receive([CMD, 0xa7]);
    expect(d.state.inverted).toBe(true);
    expectPanel(d, expectedPanel(frame.map((b) => b ^ 0xff), 64));
    d.receive([CMD, 0xa6]);
    expectPanel(d, expectedPanel(frame, 64));
  });

  it("lights everything with 0xA5 whatever RAM holds, and shows RAM again with 0xA4", () => {
    const d = display();
    d.receive([CMD, 0xa5]);
    expect(d.panel().every((p) => p === 1)).toBe(true);
    d.receive([CMD, 0xa4]);
    expect(d.panel().every((p) => p === 0)).toBe(true);
  });

  it("mirrors left/right with 0xA0 and top/bottom with 0xC0", () => {
    const d = display();
    const frame = noise(1024, 5);
    fullFrame(d, frame);
    d.receive([CMD, 0xa0]);
    expectPanel(d, expectedPanel(frame, 64, (y) => y, (x) => 127 - x));
    d.receive([CMD, 0xc0]);
    expectPanel(d, expectedPanel(frame, 64, (y) => 63 - y, (x) => 127 - x));
    d.receive([CMD, 0xa1]);
    expectPanel(d, expectedPanel(frame, 64, (y) => 63 - y));
  });

  it("shifts rows up by the display start line", () => {
    const d = display();
    const frame = noise(1024, 9);
    fullFrame(d, frame);
    d.receive([CMD, 0x48]);
    expect(d.state.startLine).toBe(8);
    expectPanel(d, expectedPanel(frame, 64, (y) => (y + 8) & 63));
    d.receive([CMD, 0x7f]);
    expectPanel(d, expectedPanel(frame, 64, (y) => (y + 63) & 63));
  });

  it("shifts rows by the display offset like the start line when the multiplex is 64", () => {
    const d = display();
    const frame = noise(1024, 13);
    fullFrame(d, frame);
    d.receive([CMD, 0xd3, 8]);
    expect(d.state.offset).toBe(8);
    expectPanel(d, expectedPanel(frame, 64, (y) => (y + 8) & 63));
    d.receive([CMD, 0xc0]); // same shift in the other scan direction
    expectPanel(d, expectedPanel(frame, 64, (y) => (63 - y + 8) & 63));
  });

  it("leaves rows outside the multiplex ratio dark", () => {
    const d = display();
    d.receive([CMD, 0xa5, 0xa8, 47]);
    expect(litRows(d).length).toBe(48);
    d.receive([CMD, 0xa8, 14]); // "invalid entry": ignored
    expect(d.state.multiplex).toBe(47);
  });

  it("interleaves the halves when a 64-row panel is driven with sequential COM pins", () => {
    const d = display();
    const frame = noise(1024, 17);
    fullFrame(d, frame);
    d.receive([CMD, 0xda, 0x02]);
    const shown = d.panel();
    expect(diffPixels(shown, expectedPanel(frame, 64), 128, 64).count).toBeGreaterThan(1000);
    d.receive([CMD, 0xda, 0x12]);
    expectPanel(d, expectedPanel(frame, 64));
  });
});

describe("Ssd1306: 128×32", () => {
  it("shows RAM pages 0–3 on rows 0–31 with its usual init", () => {
    const d = display(32);
    expect(d.state).toMatchObject({ multiplex: 31, comPins: 0x02 });
    const frame = noise(1024, 21);
    fullFrame(d, frame);
    expectPanel(d, expectedPanel(frame, 32));
  });

  it("takes a half frame with the page window 0–3", () => {
    const d = display(32);
    const half = noise(512, 23);
    d.receive([CMD, 0x21, 0, 127, 0x22, 0, 3]);
    d.receive([DATA, ...half]);
    expectPanel(d, expectedPanel(half, 32));
    expect(d.state.pointer).toEqual({ column: 0, page: 0 });
  });

  it("shows only every other row when driven with the 128×64 COM pins setting", () => {
    const d = display(32);
    d.receive([CMD, 0xda, 0x12, 0xa5]);
    expect(litRows(d).length).toBe(16);
  });
});

describe("Ssd1306: the I2C control byte", () => {
  it("takes single commands after Co=1 control bytes", () => {
    const d = new Ssd1306({ width: 128, height: 64 });
    d.receive([0x80, 0xaf, 0x80, 0xa7, 0x80, 0x8d, 0x80, 0x14]);
    expect(d.state).toMatchObject({ on: true, inverted: true, chargePump: true });
  });

  it("takes single data bytes after Co=1, D/C#=1 control bytes, mixed with commands", () => {
    const d = display();
    d.receive([0x80, 0x21, 0x80, 0x02, 0x80, 0x7f, 0xc0, 0x5a, 0x80, 0xe3, 0xc0, 0xa5]);
    expect(Array.from(d.gddram().slice(0, 4))).toEqual([0, 0, 0x5a, 0xa5]);
    expect(d.state.unknownCommands).toBe(0);
  });

  it("ends a Co=1 sequence with a Co=0 stream", () => {
    const d = display();
    d.receive([0x80, 0xb0, 0x40, 1, 2, 3]);
    expect(Array.from(d.gddram().slice(0, 3))).toEqual([1, 2, 3]);
  });

  it("takes command arguments from the same stream", () => {
    const d = new Ssd1306({ width: 128, height: 64 });
    d.receive([CMD, 0x81, 0xa7, 0xa7]);
    expect(d.state.contrast).toBe(0xa7); // the first 0xA7 is the argument
    expect(d.state.inverted).toBe(true); // the second is the command
  });

  it("takes command arguments across control bytes and transactions", () => {
    const d = new Ssd1306({ width: 128, height: 64 });
    d.receive([0x80, 0x81, 0x80, 0x42]);
    expect(d.state.contrast).toBe(0x42);
    d.receive([CMD, 0x21]);
    d.receive([CMD, 0x10]);
    d.receive([CMD, 0x20]);
    expect(d.state.columnWindow).toEqual([0x10, 0x20]);
    expect(d.state.addressingMode).toBe("page"); // 0x20 was an argument, not "addressing mode"
  });

  it("consumes the scroll commands' arguments and records scrolling", () => {
    const d = display();
    d.receive([CMD, 0x26, 0x00, 0x00, 0x00, 0x07, 0x00, 0xff, 0x2f]);
    expect(d.state).toMatchObject({ scrolling: true, unknownCommands: 0 });
    d.receive([CMD, 0x2e, 0xa3, 0x00, 0x40, 0x29, 0x00, 0x00, 0x00, 0x07, 0x01, 0x2f]);
    expect(d.state).toMatchObject({ scrolling: true, unknownCommands: 0, on: true });
    expect(d.scroll.setup).toEqual([0x29, 0, 0, 0, 7, 1]);
    d.receive([CMD, 0x2e]);
    expect(d.state.scrolling).toBe(false);
  });

  it("counts unknown command bytes without throwing", () => {
    const d = new Ssd1306({ width: 128, height: 64 });
    d.receive([CMD, 0xff, 0x30, 0xaf, 0xe3]);
    expect(d.state.unknownCommands).toBe(2);
    expect(d.state.on).toBe(true);
  });

  it("ignores the invalid addressing mode 11b", () => {
    const d = display();
    d.receive([CMD, 0x20, 0x03]);
    expect(d.state.addressingMode).toBe("horizontal");
  });

  it("counts transactions and bytes", () => {
    const d = new Ssd1306({ width: 128, height: 64 });
    d.receive(usualInit(64));
    expect(d.stats).toEqual({ transactions: 1, bytes: 26, dataBytes: 0, commandBytes: 25 });
    d.resetStats();
    d.receive([CMD, 0x21, 0, 127, 0x22, 0, 0]);
    d.receive(new Uint8Array([DATA, ...new Array(128).fill(1)]));
    d.receive([0x80, 0xa7, 0xc0, 0x01]);
    expect(d.stats).toEqual({ transactions: 3, bytes: 7 + 129 + 4, dataBytes: 129, commandBytes: 7 });
  });
});

describe("render", () => {
  const width = 128;
  const height = 64;
  const pixels = new Uint8Array(noise(width * height, 31).map((b) => b & 1));

  it("round-trips through PNG", () => {
    expect(diffPixels(fromPng(toPng(pixels, width, height)).pixels, pixels, width, height).count).toBe(0);
    const back = fromPng(toPng(pixels, width, height, { scale: 3 }), 3);
    expect(back.width).toBe(width);
    expect(back.height).toBe(height);
    expect(Array.from(back.pixels)).toEqual(Array.from(pixels));
    const colours = { lit: [0, 0, 0] as [number, number, number], dark: [255, 255, 255] as [number, number, number] };
    const paper = fromPng(toPng(pixels, width, height, { scale: 2, ...colours }), 2, colours);
    expect(Array.from(paper.pixels)).toEqual(Array.from(pixels));
  });

  it("draws two pixel rows per terminal line inside a border", () => {
    const text = toTerminal(pixels, width, height);
    const lines = text.split("\n");
    expect(lines.length).toBe(height / 2 + 2);
    for (const line of lines) expect([...line].length).toBe(width + 2);
    expect(lines[0].startsWith("┌")).toBe(true);
    expect(lines[lines.length - 1].startsWith("└")).toBe(true);
    const tiny = toTerminal(new Uint8Array([1, 1, 0, 0, 1, 0, 1, 0]), 4, 2);
    expect(tiny).toBe("┌────┐\n│█▀▄ │\n└────┘");
  });

  it("draws ASCII and finds the first differing pixel", () => {
    const a = new Uint8Array([1, 0, 0, 1]);
    const b = new Uint8Array([1, 0, 1, 1]);
    expect(toAscii(a, 2, 2)).toBe("#.\n.#");
    expect(diffPixels(a, b, 2, 2)).toEqual({ count: 1, first: { x: 0, y: 1 } });
    expect(diffPixels(a, a, 2, 2)).toEqual({ count: 0 });
  });
});
