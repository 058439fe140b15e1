// Espruino's require("Storage"): named files in flash. Contents are byte strings (one char a
// byte); names longer than 28 characters are cut silently, as on the device. The flash is
// kept in memory, optionally mirrored to a JSON file so it survives simulator runs, and can
// cut the power after a chosen number of bytes written (power-cut tests).
//
// Room is counted as the interpreter counts it (src/jsflash.c, measured on 2v29): a file takes
// a 32-byte header and its data rounded up to 4 bytes; a replaced or erased file stays as
// trash, still taking its room, until Storage is compacted; a write that finds too little room
// at the end compacts Storage first (inside the write) when the trash's data would make room,
// or fails with "Unable to find or create file" (the old file of that name is erased by then). A
// write of a file's exact contents again writes nothing. Compaction here is instant and no
// power cut falls inside it: a cut during a real one is tools/powercut.ts's business.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { byteString, toBytes } from "./bytes.ts";
import { parseEspruinoJSONDetailed, stringifyEspruinoJSON } from "./espruino-json.ts";
import { jsonRealm, realmJSONError, type Realm } from "./realm.ts";

export const NAME_LIMIT = 28;
/** The ESP32 build's Storage area (boards/ESP32.py). */
export const FLASH_BYTES = 896 * 1024;
/** A file's header in Storage (JsfFileHeader: size and flags, 28-byte name). */
export const HEADER_BYTES = 32;

/** The room a file of `size` bytes takes in Storage: header and data, rounded up to 4 bytes. */
export function roomOf(size: number): number {
  return HEADER_BYTES + Math.ceil(size / 4) * 4;
}

/** Thrown out of a write when the simulated power is cut; the board then stops running. */
export class PowerCut extends Error {
  constructor() {
    super("power cut");
  }
}

export interface FlashOptions {
  /**
   * Mirror the flash to this JSON file (read at start, written after every change). It holds
   * what the device's flash would, tokens included: written owner-only (0600), atomically.
   */
  file?: string;
}

/** Why a Storage.write was refused: the device's own messages (measured on 2v29). */
export class FlashWriteError extends Error {}

export class Flash {
  private files = new Map<string, string>();
  private file: string | undefined;
  /** Bytes that may still be written before the power goes; undefined = no cut planned. */
  private budget: number | undefined;
  /** After a cut nothing reaches the flash until powerOn(). */
  private off = false;
  /** Room taken by replaced and erased files, their data bytes, and how many, until a compaction. */
  private trash = { bytes: 0, data: 0, count: 0 };
  /** Every write and erase (and compaction), by name, for tests and the headless log. */
  readonly log: { op: "write" | "erase" | "compact"; name: string; bytes: number }[] = [];
  onChange: (op: "write" | "erase", name: string) => void = () => {};
  /** The power just went (mid-write): the board stops at once. */
  onCut: () => void = () => {};

  constructor(opts?: FlashOptions) {
    this.file = opts && opts.file;
    if (this.file && existsSync(this.file)) {
      let stored: Record<string, unknown>;
      try {
        stored = JSON.parse(readFileSync(this.file, "utf8"));
      } catch (err) {
        throw new Error(`${this.file} is not a simulator flash image (${(err as Error).message}): a flash image is a JSON object of Storage file names and their contents in base64, as --flash writes it`);
      }
      const expected =
        "a flash image is a JSON object of Storage file names and their contents in base64, as --flash writes it" +
        " (a new file name starts an empty flash); a device config goes with --config FILE";
      if (!stored || typeof stored !== "object" || Array.isArray(stored)) throw new Error(`${this.file} is not a simulator flash image: ${expected}`);
      for (const name of Object.keys(stored)) {
        if (typeof stored[name] !== "string") {
          throw new Error(`${this.file} is not a simulator flash image (its ${JSON.stringify(name)} is not base64 text): ${expected}`);
        }
        this.files.set(name, Buffer.from(stored[name] as string, "base64").toString("latin1"));
      }
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

  /** Storage.getStats() as the interpreter counts (live files, trash, free room at the end). */
  stats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number } {
    let fileBytes = 0;
    for (const data of this.files.values()) fileBytes += roomOf(data.length);
    return {
      totalBytes: FLASH_BYTES,
      freeBytes: FLASH_BYTES - fileBytes - this.trash.bytes,
      fileBytes,
      fileCount: this.files.size,
      trashBytes: this.trash.bytes,
      trashCount: this.trash.count,
    };
  }

  /** Drops the trash: the room it took is free again. */
  compact(): void {
    if (this.off) throw new PowerCut();
    if (!this.trash.count) return;
    this.log.push({ op: "compact", name: "", bytes: this.trash.bytes });
    this.trash = { bytes: 0, data: 0, count: 0 };
  }

  private toTrash(data: string): void {
    this.trash.bytes += roomOf(data.length);
    this.trash.data += data.length;
    this.trash.count++;
  }

  /** The device's write of a whole file: a new file of that size, then its bytes. */
  write(name: string, data: string): void {
    this.create(name, data.length);
    this.writeAt(name, 0, data);
  }

  /**
   * A new file of `size` erased bytes (0xFF), replacing any file of that name. A rewritten
   * file is a new file at the end of the flash: list() shows it last.
   */
  create(name: string, size: number): void {
    const key = name.slice(0, NAME_LIMIT);
    if (this.off) throw new PowerCut();
    const old = this.files.get(key);
    if (old !== undefined) {
      this.files.delete(key);
      this.toTrash(old);
    }
    if (this.stats().freeBytes < roomOf(size)) {
      // the interpreter compacts only when the free room and the trash's data bytes (headers
      // not counted) exceed the room wanted, and fails when even compaction left too little
      if (roomOf(size) < this.stats().freeBytes + this.trash.data) this.compact();
      if (this.stats().freeBytes < roomOf(size)) {
        this.persist();
        throw new FlashWriteError("Unable to find or create file");
      }
    }
    this.files.set(key, "\xff".repeat(size));
    this.persist();
  }

  /**
   * Writes bytes into an existing file, as flash is written: only erased bytes (0xFF) may
   * change. The power may go after any byte; those written so far stay.
   */
  writeAt(name: string, offset: number, data: string): void {
    const key = name.slice(0, NAME_LIMIT);
    if (this.off) throw new PowerCut();
    const old = this.files.get(key);
    if (old === undefined) throw new FlashWriteError("Unable to find or create file");
    if (offset + data.length > old.length) throw new FlashWriteError("Too much data for file size");
    for (let i = 0; i < data.length; i++) {
      const was = old.charCodeAt(offset + i);
      if (was !== 0xff && was !== data.charCodeAt(i)) throw new FlashWriteError("File already written with different data");
    }
    let written = data.length;
    const cut = this.budget !== undefined && data.length > this.budget;
    if (cut) written = this.budget as number;
    else if (this.budget !== undefined) this.budget -= data.length;
    this.files.set(key, old.slice(0, offset) + data.slice(0, written) + old.slice(offset + written));
    this.persist();
    if (cut) {
      this.budget = undefined;
      this.off = true;
      this.onCut();
      throw new PowerCut();
    }
    this.log.push({ op: "write", name: key, bytes: data.length });
    this.onChange("write", key);
  }

  erase(name: string): void {
    const key = name.slice(0, NAME_LIMIT);
    if (this.off) throw new PowerCut();
    const old = this.files.get(key);
    if (old === undefined) return;
    this.files.delete(key);
    this.toTrash(old);
    this.log.push({ op: "erase", name: key, bytes: 0 });
    this.persist();
    this.onChange("erase", key);
  }

  private persist(): void {
    if (!this.file) return;
    const out: Record<string, string> = {};
    for (const [name, data] of this.files) out[name] = Buffer.from(data, "latin1").toString("base64");
    const temp = this.file + ".tmp";
    // the mode applies only to a file the write creates: a left-over temp file (say 0666)
    // would keep its mode, and the tokens in it would become readable by every user
    rmSync(temp, { force: true });
    writeFileSync(temp, JSON.stringify(out, null, 1) + "\n", { mode: 0o600, flag: "wx" });
    renameSync(temp, this.file);
  }
}

/** Data as Storage.write takes it; a host string with characters above 0xFF becomes its UTF-8. */
function toByteString(data: unknown): string {
  if (typeof data === "string" && /[^\x00-\xff]/.test(data)) return Buffer.from(data, "utf8").toString("latin1");
  return byteString(toBytes(data, (v) => new TypeError("Storage.write: can't write " + typeof v)));
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
      // The device's lenient parser, keys may be identifiers; values are made in the board's realm.
      const { value, error } = parseEspruinoJSONDetailed(data, { identifierKeys: true, realm: jsonRealm(realm) });
      // Espruino throws its own error (a SyntaxError "Got EOF expected ':'", or an Error for a bad
      // escape). With noExceptions it drops the error and returns whatever was parsed, which for
      // most bad input is undefined but can be a value (e.g. {"a":"\x4"} gives {a:"\x04"}).
      if (error && !noExceptions) throw realmJSONError(realm, error);
      return value;
    },
    readArrayBuffer(name: string): ArrayBuffer | undefined {
      const data = flash.get(String(name));
      if (data === undefined) return undefined;
      const out = new realm.Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i);
      return out.buffer;
    },
    /**
     * Measured on 2v29: with no offset (or 0) and no size, a new file holding the data; with
     * a size, a new file of that size (0xFF) with the data at the offset; with an offset
     * alone, the data written into the existing file's erased bytes.
     */
    write(name: string, data: unknown, offset?: number, size?: number): boolean {
      if (data === undefined) throw new realm.Error("Can't get pointer to data to write");
      const bytes = toByteString(data);
      const at = offset || 0;
      try {
        if (size !== undefined) {
          if (at + bytes.length > size) throw new FlashWriteError("Too much data for file size");
          flash.create(String(name), size);
          flash.writeAt(String(name), at, bytes);
        } else if (at === 0) {
          if (bytes.length === 0) throw new FlashWriteError("Can't create zero length file");
          // the same contents again: nothing is written
          if (flash.get(String(name)) === bytes) return true;
          flash.write(String(name), bytes);
        } else {
          flash.writeAt(String(name), at, bytes);
        }
      } catch (err) {
        if (err instanceof FlashWriteError) throw new realm.Error(err.message);
        throw err;
      }
      return true;
    },
    writeJSON(name: string, data: unknown): boolean {
      // Espruino's own format: identifier keys unquoted, \xNN escapes, its number formatting.
      flash.write(String(name), stringifyEspruinoJSON(data));
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
      return flash.stats().freeBytes;
    },
    getStats(): unknown {
      return realm.fromHost(flash.stats());
    },
    compact(): void {
      flash.compact();
    },
  };
}
