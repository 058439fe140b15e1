// Espruino's I2C ports (I2C1, I2C2): setup() and writeTo(), with the devices on the bus
// answering by address. Every transaction is also counted, for the benchmarks.
import { toBytes } from "./bytes.ts";
import type { Realm } from "./realm.ts";

export interface I2CDevice {
  /** One write transaction: the bytes after the address byte. */
  receive(bytes: Uint8Array): void;
}

/** Espruino's writeTo data arguments as bytes, with the errors the device gives. */
export function flattenData(args: unknown[]): number[] {
  return toBytes(args, (v) => {
    if (v === undefined || v === null) return new TypeError("Expecting Number or iterable, got " + String(v));
    // Espruino needs both: {data:7} alone throws.
    if (typeof v === "object") return new TypeError("If specifying an object, it must be of the form {data : ..., count : N} or {callback : fn}");
    return new TypeError("I2C.writeTo: can't send " + typeof v);
  });
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
