// Data into bytes, one rule for every simulator API that takes data. Expected values are
// what Espruino 2v29 gave for the same calls (E.toString, Storage.write, drawImage).
import { describe, expect, it } from "vitest";
import { byteString, toBytes } from "../host-sim/bytes.ts";
import { runOnSimulator } from "./support/espruino.ts";

const refuse = (v: unknown) => new TypeError("no bytes in " + typeof v);

describe("toBytes", () => {
  it("takes numbers, strings, arrays, typed arrays element by element, ArrayBuffers, {data, count}", () => {
    expect(toBytes([1, 2, "ab"], refuse)).toEqual([1, 2, 97, 98]);
    expect(toBytes(new Uint16Array([0x1234, 0x00ff, 0x0100]), refuse)).toEqual([0x34, 0xff, 0x00]);
    expect(toBytes(new Uint8Array([9, 8, 7, 6]).subarray(1, 3), refuse)).toEqual([8, 7]);
    expect(toBytes(new Uint8Array([1, 2, 255]).buffer, refuse)).toEqual([1, 2, 255]);
    expect(toBytes({ data: [5, 6], count: 2 }, refuse)).toEqual([5, 6, 5, 6]);
    expect(toBytes(300, refuse)).toEqual([44]);
    expect(() => toBytes([1, undefined], refuse)).toThrow("no bytes in undefined");
    expect(() => toBytes({ data: 7 }, refuse)).toThrow("no bytes in object");
    expect(byteString([65, 0, 255])).toBe("A\x00\xff");
  });

  it("gives the board's APIs the device's results", () => {
    const { lines } = runOnSimulator(`
function h(s) { var o = []; for (var i = 0; i < s.length; i++) o.push(s.charCodeAt(i)); return o.join(","); }
print("E u16 " + h(E.toString(new Uint16Array([0x1234, 0x00ff, 0x0100]))));
print("E mix " + h(E.toString([1, 2, "ab"], 3, {data: 5, count: 2})));
var S = require("Storage");
S.write("b", new Uint8Array([1, 2, 255]).buffer); print("S ab " + h(S.read("b")));
S.write("c", new Uint8Array([9, 8, 7, 6]).subarray(1, 3)); print("S sub " + h(S.read("c")));
S.write("d", [65, 66]); print("S arr " + h(S.read("d")));
S.write("e", 65); print("S num " + h(S.read("e")));
var g = Graphics.createArrayBuffer(8, 1, 1);
g.drawImage({width: 8, height: 1, bpp: 1, buffer: "\\xA5"}, 0, 0); print("img str " + new Uint8Array(g.buffer)[0]);
g.clear(); g.drawImage({width: 8, height: 1, bpp: 1, buffer: new Uint8Array([0x81])}, 0, 0); print("img u8 " + new Uint8Array(g.buffer)[0]);
try { g.setFontCustom(new Uint8Array(4), 65, 2, 8); } catch (e) { print(e.message); }
`);
    expect(lines).toEqual([
      "E u16 52,255,0", "E mix 1,2,97,98,3,5,5", "S ab 1,2,255", "S sub 8,7", "S arr 65,66", "S num 65",
      "img str 165", "img u8 129", "Font bitmap must be a String",
    ]);
  });
});
