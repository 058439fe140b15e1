// The board's API as the firmware uses it, where @types/espruino lacks it or types it wrongly.
// Kept to exactly what firmware/ calls: host-sim/ implements the same list. The host project
// (tsconfig.json) includes this file too, so firmware modules type-check in unit tests.

/** Injected by build.mjs from package.json. */
declare const __VERSION__: string;
/** Injected by build.mjs (tools/trust-roots.mjs): the default trust set, base64 of DER certificates. */
declare const __TRUST_ROOTS__: string;

/** An ArrayBuffer-backed Graphics, as Graphics.createArrayBuffer returns. */
interface Graphics {
  buffer: ArrayBuffer;
  getWidth(): number;
  getHeight(): number;
  setColor(color: number): Graphics;
  setBgColor(color: number): Graphics;
  /** height: bits 0-7 the height, bits 8-15 the scale (Espruino's reference). */
  setFontCustom(bitmap: string, firstChar: number, widths: string | number, height: number): Graphics;
  /** solid: paint the glyph cells' unset pixels in the background colour */
  drawString(text: string, x: number, y: number, solid?: boolean): Graphics;
  stringWidth(text: string): number;
  fillRect(x1: number, y1: number, x2: number, y2: number): Graphics;
  clearRect(x1: number, y1: number, x2: number, y2: number): Graphics;
  drawRect(x1: number, y1: number, x2: number, y2: number): Graphics;
  setPixel(x: number, y: number, color?: number): Graphics;
  /** 1 bpp: rows of `width` bits, continuous, MSB first; 1 → colour, 0 → background. */
  drawImage(
    image: { width: number; height: number; bpp?: number; buffer: ArrayBuffer | string; transparent?: number },
    x: number,
    y: number,
    options?: { scale?: number },
  ): Graphics;
  clear(reset?: boolean): Graphics;
}

declare var Graphics: {
  createArrayBuffer(width: number, height: number, bpp: number, options?: { vertical_byte?: boolean; msb?: boolean }): Graphics;
};

interface I2C {
  /** Espruino takes any number of data arguments: numbers, arrays, strings, typed arrays. */
  writeTo(address: number, ...data: (number | number[] | string | Uint8Array)[]): void;
}

interface StorageModule {
  read(name: string, offset?: number, length?: number): string | undefined;
  readJSON(name: string, noExceptions: boolean): any;
  write(name: string, data: string | ArrayBuffer | Uint8Array, offset?: number, size?: number): boolean;
  writeJSON(name: string, data: unknown): boolean;
  erase(name: string): void;
  list(pattern?: RegExp | string): string[];
  /** bytes left at the end of Storage (trash not counted): the largest file that fits without compacting */
  getFree(): number;
  getStats(): StorageStats;
  /** moves every live file down over the trash and erases the rest; seconds on a full Storage */
  compact(): void;
}

/** Storage.getStats() (src/jswrap_storage.c) */
interface StorageStats {
  totalBytes: number;
  freeBytes: number;
  fileBytes: number;
  fileCount: number;
  trashBytes: number;
  trashCount: number;
}

/**
 * A client socket of Espruino's `net` or `tls` module (libs/network/jswrap_net.c,
 * socketserver.c), as the firmware uses it: 'data' brings byte strings of at most 536 bytes;
 * 'error' ({code, message}) comes before 'close' when there was one; end() closes it.
 */
interface NetSocket {
  on(event: "data", fn: (chunk: string) => void): void;
  on(event: "close" | "end", fn: () => void): void;
  on(event: "error", fn: (err: { code?: number; message?: string }) => void): void;
  write(data: string): boolean;
  end(): void;
}
/** `require("net")` and `require("tls")`: connect() throws at once when no socket can be made. */
interface NetModule {
  connect(options: { host: string; port: number; ca?: string | (() => string) }, callback: () => void): NetSocket;
  /** `net` only: a server whose callback gets each accepted connection, a Socket like a client's. */
  createServer(callback: (socket: NetSocket) => void): NetServer;
}
/** A listening TCP socket (libs/network/jswrap_net.c): listen() throws "Unable to create socket" when the port cannot be had. */
interface NetServer {
  listen(port: number): NetServer;
  close(): void;
}
/** `require("dgram")`'s socket (libs/network/jswrap_net.c): datagrams as byte strings. */
interface DgramSocket {
  on(event: "message", fn: (msg: string, rinfo: { address: string; port: number; size: number }) => void): void;
  bind(port: number, callback?: () => void): DgramSocket;
  send(msg: string, port: number, address: string): void;
  close(): void;
}
interface DgramModule {
  createSocket(type: "udp4"): DgramSocket;
}

/** Espruino's ESP32 Wifi module (libs/network/esp32/jswrap_esp32_network.c), as the firmware uses it. */
interface WifiModule {
  connect(ssid: string, options: { password?: string }, callback: (err: string | null) => void): void;
  disconnect(callback?: () => void): void;
  startAP(ssid: string, options: { password: string; authMode: "wpa2"; channel: number }, callback: (err: string | null) => void): void;
  stopAP(callback?: () => void): void;
  scan(callback: (networks: { ssid: string; rssi: number; authMode: string; mac: string; channel: string }[]) => void): void;
  getAPIP(): { ip: string; netmask: string; gw: string; mac: string };
  on(event: "connected" | "disconnected", fn: (details: unknown) => void): void;
}

declare function setWatch(
  fn: (e: { state: boolean; time: number; lastTime?: number }) => void,
  pin: Pin | number,
  options: { repeat?: boolean; edge?: "rising" | "falling" | "both"; debounce?: number },
): number;

/** Seconds since 1970 (or since boot until the clock is set), a float. */
declare function getTime(): number;

/** Espruino's E, the parts the firmware uses that @types/espruino lacks. */
declare namespace E {
  /** CRC-32 (IEEE 802.3) of the bytes, unsigned (src/jswrap_espruino.c). */
  function CRC32(data: string | Uint8Array): number;
  /** 32 random bits from the hardware's RNG (src/jswrap_espruino.c) */
  function hwRand(): number;
  /**
   * Only on the codepair image (tools/espruino/patches/codepair/0020-qr-native.patch): the QR
   * code symbol (versions 1-3) of the data codewords, drawn with `mask` (-1: the one the
   * penalty rules choose), in firmware/display/qr.ts's QrCode form. Feature-test it.
   */
  const qrSymbol:
    | ((data: Uint8Array, version: number, level: number, mask: number) => { version: number; level: number; size: number; bits: Uint8Array; mask: number })
    | undefined;
}

/** The ESP32 build's telnet console (libs/network/telnet/jswrap_telnet.c): on at every boot. */
interface TelnetServerModule {
  setOptions(options: { mode: "on" | "off" }): void;
}

/** A pin's mode (src/jswrap_io.c); the firmware sets the button's pull-up. */
declare function pinMode(pin: number, mode: "input_pullup"): void;
/** A pin's value (src/jswrap_io.c): the set-up's hold at the splash's end reads the button. */
declare function digitalRead(pin: number): number;

/**
 * The modules require() has loaded (src/jswrap_modules.c). removeCached drops one, so its code
 * can be freed once nothing refers to it; it throws when the module is not in the cache.
 */
declare namespace Modules {
  function removeCached(id: string): void;
}
