// Espruino's require("Storage"): named files in flash. Contents are byte strings (one char a
// byte); names longer than 28 characters are cut silently, as on the device. The flash is
// kept in memory, optionally mirrored to a JSON file so it survives simulator runs, and can
// cut the power after a chosen number of bytes written (power-cut tests).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Realm } from "./realm.ts";

export const NAME_LIMIT = 28;
/** The ESP32 build's Storage area (boards/ESP32.py). */
export const FLASH_BYTES = 896 * 1024;

/** Thrown out of a write when the simulated power is cut; the board then stops running. */
export class PowerCut extends Error {
  constructor() {
    super("power cut");
  }
}

export interface FlashOptions {
  /** Mirror the flash to this JSON file (read at start, written after every change). */
  file?: string;
}

export class Flash {
  private files = new Map<string, string>();
  private file: string | undefined;
  /** Bytes that may still be written before the power goes; undefined = no cut planned. */
  private budget: number | undefined;
  /** After a cut nothing reaches the flash until powerOn(). */
  private off = false;
  /** Every write and erase, by name, for tests and the headless log. */
  readonly log: { op: "write" | "erase"; name: string; bytes: number }[] = [];
  onChange: (op: "write" | "erase", name: string) => void = () => {};

  constructor(opts?: FlashOptions) {
    this.file = opts && opts.file;
    if (this.file && existsSync(this.file)) {
      const stored = JSON.parse(readFileSync(this.file, "utf8")) as Record<string, string>;
      for (const name of Object.keys(stored)) this.files.set(name, Buffer.from(stored[name], "base64").toString("latin1"));
    }
  }

  /** Plan a power cut after `bytes` more bytes of file data have been written. */
  cutPowerAfter(bytes: number | undefined): void {
    this.budget = bytes;
    this.off = false;
  }

  /** The board has power again (a boot): writes reach the flash. A planned cut stays planned. */
  powerOn(): void {
    this.off = false;
  }

  get poweredOff(): boolean {
    return this.off;
  }

  names(): string[] {
    return [...this.files.keys()];
  }

  get(name: string): string | undefined {
    return this.files.get(name.slice(0, NAME_LIMIT));
  }

  /** Host-side write (tests, the flasher): no power cut, no log. */
  set(name: string, data: string): void {
    this.files.set(name.slice(0, NAME_LIMIT), data);
    this.persist();
  }

  used(): number {
    let n = 0;
    for (const [name, data] of this.files) n += data.length + name.length + 8;
    return n;
  }

  /** The device's write: whole, or cut short by the power with the bytes that made it. */
  write(name: string, data: string): void {
    const key = name.slice(0, NAME_LIMIT);
    if (this.off) throw new PowerCut();
    if (this.budget !== undefined && data.length > this.budget) {
      // A power cut mid-write leaves the bytes written so far; the rest of the file reads
      // as erased flash (0xFF) up to the size the write declared.
      const partial = data.slice(0, this.budget) + "\xff".repeat(data.length - this.budget);
      this.files.delete(key);
      this.files.set(key, partial);
      this.budget = undefined;
      this.off = true;
      this.persist();
      throw new PowerCut();
    }
    if (this.budget !== undefined) this.budget -= data.length;
    // A rewritten file is a new file at the end of the flash: list() shows it last.
    this.files.delete(key);
    this.files.set(key, data);
    this.log.push({ op: "write", name: key, bytes: data.length });
    this.persist();
    this.onChange("write", key);
  }

  erase(name: string): void {
    const key = name.slice(0, NAME_LIMIT);
    if (this.off) throw new PowerCut();
    if (!this.files.delete(key)) return;
    this.log.push({ op: "erase", name: key, bytes: 0 });
    this.persist();
    this.onChange("erase", key);
  }

  private persist(): void {
    if (!this.file) return;
    const out: Record<string, string> = {};
    for (const [name, data] of this.files) out[name] = Buffer.from(data, "latin1").toString("base64");
    writeFileSync(this.file, JSON.stringify(out, null, 1) + "\n");
  }
}

/** Device strings are bytes: a host string with characters above 0xFF becomes its UTF-8. */
function toByteString(data: unknown): string {
  if (typeof data === "string") {
    return /[^\x00-\xff]/.test(data) ? Buffer.from(data, "utf8").toString("latin1") : data;
  }
  if (data instanceof ArrayBuffer || (data && (data as object).constructor && (data as object).constructor.name === "ArrayBuffer")) {
    return Buffer.from(new Uint8Array(data as ArrayBuffer)).toString("latin1");
  }
  if (ArrayBuffer.isView(data)) {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
  }
  return String(data);
}

/** The object `require("Storage")` returns on the simulated board. */
export function storageModule(flash: Flash, realm: Realm): Record<string, unknown> {
  return {
    read(name: string, offset?: number, length?: number): string | undefined {
      const data = flash.get(String(name));
      if (data === undefined) return undefined;
      const start = offset || 0;
      return length === undefined ? data.slice(start) : data.slice(start, start + length);
    },
    readJSON(name: string, noExceptions?: boolean): unknown {
      const data = flash.get(String(name));
      if (data === undefined) return undefined;
      try {
        return realm.fromHost(JSON.parse(data));
      } catch (err) {
        if (noExceptions) return undefined;
        // Espruino throws a SyntaxError (its own wording: "Got EOF expected ':'").
        throw new (realm.global.SyntaxError as SyntaxErrorConstructor)((err as Error).message);
      }
    },
    readArrayBuffer(name: string): ArrayBuffer | undefined {
      const data = flash.get(String(name));
      if (data === undefined) return undefined;
      const out = new realm.Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i);
      return out.buffer;
    },
    write(name: string, data: unknown, offset?: number, size?: number): boolean {
      const bytes = toByteString(data);
      if (bytes.length === 0 && size === undefined) throw new realm.Error("Can't create zero length file");
      if (offset === undefined || offset === 0 && (size === undefined || size === bytes.length)) {
        flash.write(String(name), bytes);
        return true;
      }
      // Espruino: a first write with `size` creates a file of that size; later writes at an
      // offset fill it in. Modelled as read-modify-write of the whole file.
      const total = size !== undefined ? size : (flash.get(String(name)) || "").length;
      const old = flash.get(String(name)) || "\xff".repeat(total);
      const body = (old + "\xff".repeat(Math.max(0, total - old.length))).slice(0, Math.max(total, old.length));
      const at = offset || 0;
      flash.write(String(name), body.slice(0, at) + bytes + body.slice(at + bytes.length));
      return true;
    },
    writeJSON(name: string, data: unknown): boolean {
      flash.write(String(name), toByteString(JSON.stringify(data)));
      return true;
    },
    erase(name: string): void {
      flash.erase(String(name));
    },
    list(pattern?: unknown): unknown {
      let names = flash.names();
      if (pattern instanceof RegExp || (pattern && typeof (pattern as RegExp).test === "function")) {
        names = names.filter((n) => (pattern as RegExp).test(n));
      } else if (typeof pattern === "string") {
        names = names.filter((n) => n.indexOf(pattern) >= 0);
      }
      // In flash order: creation order, a rewritten file last (as the device lists them).
      return realm.fromHost(names);
    },
    getFree(): number {
      return FLASH_BYTES - flash.used();
    },
    compact(): void {},
  };
}
