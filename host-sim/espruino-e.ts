// Espruino's `E` (the parts the firmware uses: events, byte strings, CRC-32) and `process`.
import { byteString, toBytes } from "./bytes.ts";
import type { Realm } from "./realm.ts";

export class EspruinoE {
  private handlers: Record<string, ((...args: unknown[]) => void)[]> = {};

  /**
   * `tlsVerify`: the codepair image, whose process.env has TLS_VERIFY (patches/codepair/0015).
   * `random`: where E.hwRand's numbers come from (the board's: true random unless a picture
   * needs the same ones each time).
   */
  constructor(
    private realm: Realm,
    private tlsVerify: boolean,
    private random: () => number,
  ) {}

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
    });
    const process = this.realm.library({
      version: "2v29",
      env: this.realm.fromHost(Object.assign({ VERSION: "2v29", BOARD: "ESP32", CONSOLE: "Serial1" }, this.tlsVerify ? { TLS_VERIFY: true } : {})),
    });
    return { E, process };
  }
}
