// Our SSD1306 driver over Espruino's I2C: the controller's own command set (SSD1306 datasheet
// rev 1.1, §9 and §10), a framebuffer in Graphics' vertical_byte layout, which is the
// controller's page layout (with msb:false), and a flush that sends one page per I2C transaction.

export interface PanelOptions {
  width: number;
  /** 64 or 32 */
  height: number;
  /** 7-bit I2C address: 0x3C (most modules) or 0x3D */
  address: number;
}

export interface Panel {
  g: Graphics;
  /**
   * Sends the pages that changed since the last flush (all of them the first time, after
   * which the panel is switched on) and returns how many were sent.
   */
  flush(): number;
}

// Control bytes (§8.1.5.2): Co=0 with D/C#=0 starts a command stream, with D/C#=1 a data stream.
const COMMANDS = 0x00;
const DATA = 0x40;

/** The power-on sequence of §"Software initialization" (application note), for our panels. */
export function initSequence(height: number): number[] {
  return [
    COMMANDS,
    0xae, // display off while we configure
    0xd5, 0x80, // clock divide ratio / oscillator frequency: reset value
    0xa8, height - 1, // multiplex ratio: one COM line per pixel row
    0xd3, 0x00, // display offset 0
    0x40, // display start line 0
    0x8d, 0x14, // charge pump on: the module has no external VCC
    0x20, 0x00, // horizontal addressing mode
    0xa1, // segment remap: column 127 is SEG0, so x grows left to right on the module
    0xc8, // COM scan from COM[N-1]: y grows downwards on the module
    0xda, height === 64 ? 0x12 : 0x02, // COM pins: alternative for 64 rows, sequential for 32
    0x81, 0xcf, // contrast
    0xd9, 0xf1, // pre-charge periods for the internal charge pump
    0xdb, 0x40, // VCOMH deselect level
    0xa4, // show RAM contents
    0xa6, // normal (not inverted)
    // The display stays off: its RAM holds noise at power-up until the first flush.
  ];
}

export function createPanel(i2c: I2C, opts: PanelOptions): Panel {
  const width = opts.width;
  const height = opts.height;
  const address = opts.address;
  const pages = height >> 3;
  // vertical_byte with msb:false is the controller's page format (top pixel = bit 0). Since
  // 2v25 msb defaults to true, which would send every page column bit-reversed.
  const g = Graphics.createArrayBuffer(width, height, 1, { vertical_byte: true, msb: false });
  // What the controller's RAM holds: each page's CRC-32 as sent (nothing known before the first
  // flush, which sends every page). A copy of the pages held 77 JsVars, these 8 numbers hold 6,
  // and E.CRC32 of a page is ~10x quicker than comparing it with its copy (ESP32-like
  // interpreter). A change the CRC misses would leave that page as it was until it changes
  // again: CRC-32 sees every change within any 4 bytes running, and others but for 1 in 2^32.
  const sent = new Int32Array(pages);
  let on = false;
  i2c.writeTo(address, initSequence(height));

  return {
    g: g,
    flush: function () {
      let count = 0;
      for (let p = 0; p < pages; p++) {
        const bytes = new Uint8Array(g.buffer, p * width, width);
        const crc = E.CRC32(bytes) | 0;
        if (on && crc === sent[p]) continue;
        // Column and page window of this one page (§10.1.4, §10.1.5), then its data.
        i2c.writeTo(address, [COMMANDS, 0x21, 0, width - 1, 0x22, p, p]);
        i2c.writeTo(address, DATA, bytes);
        sent[p] = crc;
        count++;
      }
      if (!on) {
        i2c.writeTo(address, [COMMANDS, 0xaf]); // display on, now that RAM holds a frame
        on = true;
      }
      return count;
    },
  };
}
