// Espruino's `E` (the parts the firmware uses: events, byte strings, CRC-32, and on the codepair
// image the QR code symbol) and `process`.
import { qrDataLength, qrFinish, qrSymbolJob } from "../firmware/display/qr.ts";
import { byteString, toBytes } from "./bytes.ts";
import type { Realm } from "./realm.ts";

export class EspruinoE {
  private handlers: Record<string, ((...args: unknown[]) => void)[]> = {};

  /**
   * `codepair`: the board runs the codepair image (tools/espruino/patches/codepair), whose
   * process.env has TLS_VERIFY (0015) and whose E has qrSymbol (0020).
   * `random`: where E.hwRand's numbers come from (the board's: true random unless a picture
   * needs the same ones each time).
   */
  constructor(
    private realm: Realm,
    private codepair: boolean,
    private random: () => number,
  ) {}

  /**
   * The codepair image's E.qrSymbol (src/jswrap_qr.c of patches/codepair/0020-qr-native.patch):
   * the QR code symbol of the data codewords, by the firmware's own JavaScript steps, which
   * test/qr-native-real.test.ts shows to make the same symbols as the C.
   */
  private qrSymbol(data: unknown, version: unknown, level: unknown, mask: unknown): unknown {
    const int = (v: unknown): number => Math.trunc(Number(v)) || 0;
    const v = int(version);
    const l = int(level);
    const m = int(mask);
    // only a typed array or a string is read (the C does not expand arrays or {data,count} objects)
    const readable = typeof data === "string" || ArrayBuffer.isView(data) || data instanceof this.realm.ArrayBuffer;
    const bytes = readable ? toBytes(data, () => new this.realm.Error("E.qrSymbol: can't convert data")) : [];
    if (v < 1 || v > 3 || l < 0 || l > 3 || m < -1 || m > 7 || bytes.length !== qrDataLength(v, l)) {
      throw new this.realm.Error("E.qrSymbol: not the data codewords of a version 1-3 symbol at that level, or no such mask");
    }
    const qr = qrFinish(qrSymbolJob(Uint8Array.from(bytes), v, l, m));
    const out = this.realm.fromHost({ version: qr.version, level: qr.level, size: qr.size, mask: qr.mask }) as Record<string, unknown>;
    out.bits = new this.realm.Uint8Array(qr.bits);
    return out;
  }

  emit(event: string, ...args: unknown[]): void {
    for (const fn of (this.handlers[event] || []).slice()) fn(...args);
  }

  globals(): Record<string, unknown> {
    const E = this.realm.library({
      on: (event: string, fn: (...args: unknown[]) => void): void => {
        (this.handlers[event] = this.handlers[event] || []).push(fn);
      },
      removeListener: (event: string, fn: (...args: unknown[]) => void): void => {
        this.handlers[event] = (this.handlers[event] || []).filter((f) => f !== fn);
      },
      emit: (event: string, ...args: unknown[]): void => this.emit(event, ...args),
      /** Bytes of its arguments as one byte string. */
      toString: (...args: unknown[]): string =>
        byteString(toBytes(args, (v) => new this.realm.Error("E.toString: can't convert " + typeof v))),
      getErrorFlags: (): unknown => this.realm.fromHost([]),
      /** A random int32 from the hardware (jshGetRandomNumber: the ESP32's RNG, esp_random). */
      hwRand: (): number => this.random(),
      /** CRC-32 (IEEE 802.3, reflected 0xEDB88320) of the bytes, unsigned: src/jswrap_espruino.c. */
      CRC32: (data: unknown): number => {
        let crc = 0xffffffff;
        for (const b of toBytes(data, (v) => new this.realm.Error("E.CRC32: can't convert " + typeof v))) {
          crc ^= b;
          for (let t = 0; t < 8; t++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
        }
        return ~crc >>> 0;
      },
      ...(this.codepair ? { qrSymbol: (data: unknown, version: unknown, level: unknown, mask: unknown): unknown => this.qrSymbol(data, version, level, mask) } : {}),
    });
    const process = this.realm.library({
      version: "2v29",
      env: this.realm.fromHost(Object.assign({ VERSION: "2v29", BOARD: "ESP32", CONSOLE: "Serial1" }, this.codepair ? { TLS_VERIFY: true } : {})),
    });
    return { E, process };
  }
}
