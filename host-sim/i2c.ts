// Espruino's I2C ports (I2C1, I2C2): setup() and writeTo(), with the devices on the bus
// answering by address. Every transaction is also counted, for the benchmarks.
import type { Realm } from "./realm.ts";

export interface I2CDevice {
  /** One write transaction: the bytes after the address byte. */
  receive(bytes: Uint8Array): void;
}

/** Espruino's writeTo data arguments: numbers, arrays, strings, typed arrays, {data, count}. */
export function flattenData(args: unknown[]): number[] {
  const out: number[] = [];
  const add = (v: unknown): void => {
    if (typeof v === "number") out.push(v & 0xff);
    else if (typeof v === "boolean") out.push(v ? 1 : 0);
    else if (typeof v === "string") for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i) & 0xff);
    else if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      if (v instanceof Uint8Array || (v as object).constructor.name === "Uint8Array") for (const b of bytes) out.push(b);
      else {
        const items = v as unknown as ArrayLike<number>;
        for (let i = 0; i < items.length; i++) out.push(items[i] & 0xff);
      }
    } else if (Array.isArray(v)) for (const x of v) add(x);
    else if (Object.prototype.toString.call(v) === "[object ArrayBuffer]") add(new Uint8Array(v as ArrayBuffer));
    else if (v === undefined || v === null) throw new TypeError("Expecting Number or iterable, got " + String(v));
    else if (typeof v === "object" && "data" in v && typeof (v as { count?: unknown }).count === "number") {
      // Espruino needs both: {data:7} alone throws.
      const o = v as { data: unknown; count: number };
      for (let i = 0; i < o.count; i++) add(o.data);
    } else if (typeof v === "object") {
      throw new TypeError("If specifying an object, it must be of the form {data : ..., count : N} or {callback : fn}");
    } else throw new TypeError("I2C.writeTo: can't send " + typeof v);
  };
  for (const a of args) add(a);
  return out;
}

export class I2CBus {
  private devices = new Map<number, I2CDevice>();
  private setupDone = false;
  /** Transactions sent, and their bytes: what a frame costs on the wire. */
  stats = { transactions: 0, bytes: 0 };
  /** When set, every transaction is appended: address and data bytes. */
  transcript: { address: number; bytes: number[] }[] | undefined;
  options: Record<string, unknown> | undefined;

  constructor(private realm: () => Realm, readonly name: string) {}

  /** A reboot resets the port: the firmware must call setup() again. */
  reset(): void {
    this.setupDone = false;
    this.options = undefined;
  }

  attach(address: number, device: I2CDevice): void {
    this.devices.set(address, device);
  }

  /** The object the firmware sees as I2C1. */
  port(): Record<string, unknown> {
    return {
      setup: (options: Record<string, unknown>): void => {
        this.options = Object.assign({}, options || {});
        this.setupDone = true;
      },
      writeTo: (address: unknown, ...data: unknown[]): void => {
        if (!this.setupDone) throw new (this.realm().InternalError)(this.name + " not setup - call setup() first");
        const addr = typeof address === "object" && address ? Number((address as { address: number }).address) : Number(address);
        const bytes = flattenData(data);
        const device = this.devices.get(addr);
        // The ESP32 port (targets/esp32/jshardwareI2c.c) raises this when no device ACKs.
        if (!device) throw new (this.realm().Error)("jshI2CWrite: slave doesn't ACK the transfer");
        if (this.transcript) this.transcript.push({ address: addr, bytes });
        this.stats.transactions++;
        this.stats.bytes += bytes.length + 1;
        device.receive(Uint8Array.from(bytes));
      },
    };
  }
}
