// The firmware's SSD1306 driver and text helpers, run directly in Node against the
// simulator's Graphics and a recording I2C port: what the driver sends, page by page.
import { beforeAll, describe, expect, it } from "vitest";
import { createPanel, initSequence } from "../firmware/display/ssd1306.ts";
import { printable } from "../firmware/display/text.ts";
import { EspruinoE } from "../host-sim/espruino-e.ts";
import { graphicsGlobals } from "../host-sim/graphics.ts";
import { createRealm } from "../host-sim/realm.ts";

beforeAll(() => {
  // The driver calls the global Graphics and E (its CRC32), as on the device.
  const realm = createRealm();
  (globalThis as Record<string, unknown>).Graphics = graphicsGlobals(realm).Graphics;
  (globalThis as Record<string, unknown>).E = new EspruinoE(realm, false, () => 0).globals().E;
});

function recordingI2C() {
  const sent: number[][] = [];
  const port = {
    writeTo(address: number, ...data: (number | number[] | Uint8Array)[]) {
      const bytes: number[] = [];
      for (const d of data) {
        if (typeof d === "number") bytes.push(d);
        else bytes.push(...Array.from(d));
      }
      sent.push([address, ...bytes]);
    },
  };
  return { port: port as unknown as I2C, sent };
}

describe("SSD1306 driver", () => {
  it("initialises with the display off, addressed and sized from its options", () => {
    const { port, sent } = recordingI2C();
    createPanel(port, { width: 128, height: 32, address: 0x3d });
    expect(sent).toEqual([[0x3d, ...initSequence(32)]]);
    expect(initSequence(32)).toContain(0x1f); // multiplex 32 - 1
    expect(initSequence(64)).not.toContain(0xaf);
  });

  it("sends every page on the first flush, then switches the panel on", () => {
    const { port, sent } = recordingI2C();
    const panel = createPanel(port, { width: 128, height: 64, address: 0x3c });
    sent.length = 0;
    expect(panel.flush()).toBe(8);
    expect(sent.length).toBe(17);
    expect(sent[16]).toEqual([0x3c, 0x00, 0xaf]);
  });

  it("then sends only the pages a drawing changed, in the controller's bit order", () => {
    const { port, sent } = recordingI2C();
    const panel = createPanel(port, { width: 128, height: 64, address: 0x3c });
    panel.flush();
    sent.length = 0;
    expect(panel.flush()).toBe(0);
    expect(sent).toEqual([]);
    panel.g.setPixel(5, 27); // page 3, bit 3
    expect(panel.flush()).toBe(1);
    expect(sent[0]).toEqual([0x3c, 0x00, 0x21, 0, 127, 0x22, 3, 3]);
    expect(sent[1].length).toBe(2 + 128);
    expect(sent[1][1]).toBe(0x40);
    expect(sent[1][2 + 5]).toBe(1 << 3);
    sent.length = 0;
    panel.g.setPixel(5, 27, 0);
    panel.g.setPixel(127, 63);
    expect(panel.flush()).toBe(2);
    // a window command then the page's data, for pages 3 and 7 only
    expect(sent.length).toBe(4);
    expect([sent[0][6], sent[2][6]]).toEqual([3, 7]);
    expect(sent[1].slice(2).every((b) => b === 0)).toBe(true);
    expect(sent[3][2 + 127]).toBe(0x80);
  });
});

describe("text for our font", () => {
  it("maps every byte the font lacks to the placeholder glyph", () => {
    expect(printable("Hello, world ~")).toBe("Hello, world ~");
    expect(printable("caf\xe9\t\n\x7f\x00")).toBe("caf\x7f\x7f\x7f\x7f\x7f");
  });
});
