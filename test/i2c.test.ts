// host-sim/i2c.ts: I2C1's writeTo and the bytes it puts on the bus. flattenData's expected
// bytes are E.toUint8Array's on Espruino 2v29 (the same iteration writeTo uses).
import { describe, expect, it } from "vitest";
import { flattenData, I2CBus } from "../host-sim/i2c.ts";
import { createRealm, type Realm } from "../host-sim/realm.ts";

type WriteTo = (address: unknown, ...data: unknown[]) => void;

function setup(): { bus: I2CBus; realm: Realm; port: Record<string, unknown>; writeTo: WriteTo; got: number[][] } {
  const realm = createRealm();
  const bus = new I2CBus(() => realm, "I2C1");
  const got: number[][] = [];
  bus.attach(0x3c, { receive: (bytes) => got.push(Array.from(bytes)) });
  const port = bus.port();
  return { bus, realm, port, writeTo: port.writeTo as WriteTo, got };
}

/** What `fn` threw (an error of the board's realm, for these tests), or undefined. */
function thrownBy(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("flattenData", () => {
  it("numbers become one byte each, low 8 bits (device: 1,256,257,-1,3.7,true → 1,0,1,255,3,1)", () => {
    expect(flattenData([1, 256, 257, -1, 3.7, true])).toEqual([1, 0, 1, 255, 3, 1]);
  });

  it("strings become their char codes", () => {
    expect(flattenData(["ab", "\x00\xff"])).toEqual([97, 98, 0, 255]);
  });

  it("arrays, nested arrays, strings and typed arrays in them are flattened in order", () => {
    expect(flattenData([[1, [2, [3, "ab"]], new Uint8Array([200, 201])]])).toEqual([1, 2, 3, 97, 98, 200, 201]);
  });

  it("a Uint8Array gives its bytes, a subarray only its own", () => {
    expect(flattenData([new Uint8Array([0x40, 1, 2])])).toEqual([0x40, 1, 2]);
    expect(flattenData([new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4)])).toEqual([1, 2, 3]);
  });

  it("other typed arrays give each element's low byte (device: Uint16Array [0x1234,5] → 52,5)", () => {
    expect(flattenData([new Uint16Array([0x1234, 5])])).toEqual([0x34, 5]);
  });

  it("an ArrayBuffer gives its bytes, also one from the board's realm", () => {
    expect(flattenData([new Uint8Array([1, 2, 3]).buffer])).toEqual([1, 2, 3]);
    const realm = createRealm();
    expect(flattenData([realm.run("new Uint8Array([7,8]).buffer", "t.js")])).toEqual([7, 8]);
  });

  it("{data, count} repeats data count times, also inside an array", () => {
    expect(flattenData([{ data: [1, 2], count: 3 }])).toEqual([1, 2, 1, 2, 1, 2]);
    expect(flattenData([[{ data: "x", count: 2 }, 9]])).toEqual([120, 120, 9]);
    expect(flattenData([{ data: [1], count: 0 }])).toEqual([]);
  });

  it("several arguments are concatenated (writeTo's varargs)", () => {
    expect(flattenData([0x40, [1, 2], "x", new Uint8Array(3)])).toEqual([0x40, 1, 2, 120, 0, 0, 0]);
    expect(flattenData([])).toEqual([]);
  });

  it("refuses what the device refuses: undefined, null, {} and {data} without count", () => {
    expect(() => flattenData([undefined])).toThrow("Expecting Number or iterable, got undefined");
    expect(() => flattenData([[1, null]])).toThrow("Expecting Number or iterable, got null");
    expect(() => flattenData([{}])).toThrow(/If specifying an object, it must be of the form \{data : \.\.\., count : N\}/);
    expect(() => flattenData([{ data: 7 }])).toThrow(/If specifying an object/);
  });

  it("works on arrays made inside the board's realm", () => {
    const realm = createRealm();
    expect(flattenData([realm.run("[1,[2,'a'],new Uint8Array([3])]", "t.js")])).toEqual([1, 2, 97, 3]);
  });
});

describe("I2C port", () => {
  it("writeTo before setup throws an error of the board's realm", () => {
    const { realm, writeTo, got, bus } = setup();
    expect(() => writeTo(0x3c, [0, 0xae])).toThrow("I2C1 not setup");
    expect(thrownBy(() => writeTo(0x3c, 1))).toBeInstanceOf(realm.InternalError);
    expect(got).toEqual([]);
    expect(bus.stats).toEqual({ transactions: 0, bytes: 0 });
  });

  it("setup keeps its options", () => {
    const { port, bus } = setup();
    (port.setup as (o: unknown) => void)({ scl: 22, sda: 21, bitrate: 400000 });
    expect(bus.options).toEqual({ scl: 22, sda: 21, bitrate: 400000 });
  });

  it("writeTo delivers one transaction's bytes to the device at that address", () => {
    const { port, writeTo, got } = setup();
    (port.setup as (o: unknown) => void)({ scl: 22, sda: 21 });
    writeTo(0x3c, 0, 0xae, [0xd5, 0x80]);
    writeTo({ address: 0x3c, stop: false }, "\x40\x01");
    expect(got).toEqual([
      [0, 0xae, 0xd5, 0x80],
      [0x40, 1],
    ]);
  });

  it("writeTo to an address with no device throws (no ACK) and counts nothing", () => {
    const { port, realm, writeTo, bus, got } = setup();
    (port.setup as (o: unknown) => void)({ scl: 22, sda: 21 });
    expect(() => writeTo(0x3d, [0, 0xae])).toThrow("jshI2CWrite: slave doesn't ACK the transfer");
    expect(thrownBy(() => writeTo(0x3d, 1))).toBeInstanceOf(realm.Error);
    expect(got).toEqual([]);
    expect(bus.stats).toEqual({ transactions: 0, bytes: 0 });
  });

  it("stats count transactions and bytes on the wire (address byte included)", () => {
    const { port, writeTo, bus } = setup();
    (port.setup as (o: unknown) => void)({});
    writeTo(0x3c, [0, 0xae]);
    writeTo(0x3c, 0x40, new Uint8Array(128));
    writeTo(0x3c);
    expect(bus.stats).toEqual({ transactions: 3, bytes: 3 + 130 + 1 });
  });

  it("a transcript, when asked for, records address and bytes", () => {
    const { port, writeTo, bus } = setup();
    (port.setup as (o: unknown) => void)({});
    bus.transcript = [];
    writeTo(0x3c, [0, 0xaf]);
    expect(bus.transcript).toEqual([{ address: 0x3c, bytes: [0, 0xaf] }]);
  });
});
