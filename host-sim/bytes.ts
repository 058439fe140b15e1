// How Espruino turns data into bytes, for every API of the simulator that takes data
// (I2C.writeTo, E.toString, Storage.write, Graphics images). Measured on 2v29: a number is
// one byte, a string its characters, an array or typed array its elements (each & 0xFF), an
// ArrayBuffer its bytes, {data, count} its data repeated. (Storage.write of a typed array
// wider than bytes copies raw memory on the device; no firmware should rely on that.)

/** The bytes of `value`; `refuse` makes the error for a value that has none. */
export function toBytes(value: unknown, refuse: (value: unknown) => Error): number[] {
  const out: number[] = [];
  const add = (v: unknown): void => {
    if (typeof v === "number") out.push(v & 0xff);
    else if (typeof v === "boolean") out.push(v ? 1 : 0);
    else if (typeof v === "string") for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i) & 0xff);
    else if (ArrayBuffer.isView(v) && "length" in v) {
      const items = v as unknown as ArrayLike<number>;
      for (let i = 0; i < items.length; i++) out.push(items[i] & 0xff);
    } else if (Array.isArray(v)) v.forEach(add);
    else if (Object.prototype.toString.call(v) === "[object ArrayBuffer]") add(new Uint8Array(v as ArrayBuffer));
    else if (v && typeof v === "object" && "data" in v && typeof (v as { count?: unknown }).count === "number") {
      const o = v as { data: unknown; count: number };
      for (let i = 0; i < o.count; i++) add(o.data);
    } else throw refuse(v);
  };
  add(value);
  return out;
}

/** Bytes as a device string: one character a byte. */
export function byteString(bytes: ArrayLike<number>): string {
  return Buffer.from(Uint8Array.from(bytes as ArrayLike<number>)).toString("latin1");
}
