// host-sim/storage.ts: require("Storage") on the simulated flash. Device behaviour was
// measured on Espruino 2v29 (notes/espruino-facts.md §4h and run.sh checks).
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { createRealm, type Realm } from "../host-sim/realm.ts";
import { FLASH_BYTES, Flash, NAME_LIMIT, PowerCut, storageModule } from "../host-sim/storage.ts";
import { ESPRUINO, runOnEspruino, runOnSimulator } from "./support/espruino.ts";

interface Storage {
  read(name: string, offset?: number, length?: number): string | undefined;
  readJSON(name: string, noExceptions?: boolean): unknown;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  write(name: string, data: unknown, offset?: number, size?: number): boolean;
  writeJSON(name: string, data: unknown): boolean;
  erase(name: string): void;
  list(pattern?: unknown): string[];
  getFree(): number;
}

function setup(flash = new Flash()): { flash: Flash; realm: Realm; S: Storage } {
  const realm = createRealm();
  return { flash, realm, S: storageModule(flash, realm) as unknown as Storage };
}

const codes = (s: string | undefined): number[] => (s === undefined ? [] : Array.from(s, (c) => c.charCodeAt(0)));

const NAME30 = "abcdefghijklmnopqrstuvwxyz0123";
const NAME28 = NAME30.slice(0, 28);

describe("file names", () => {
  it("cuts names longer than 28 characters; either name reads the file", () => {
    const { S } = setup();
    expect(NAME_LIMIT).toBe(28);
    expect(S.write(NAME30, "x")).toBe(true);
    expect(S.read(NAME30)).toBe("x");
    expect(S.read(NAME28)).toBe("x");
    expect(S.list()).toEqual([NAME28]);
  });

  it("a 30-char name and its 28-char prefix are the same file", () => {
    const { S } = setup();
    S.write(NAME28, "first");
    S.write(NAME30, "second");
    expect(S.list()).toEqual([NAME28]);
    expect(S.read(NAME28)).toBe("second");
    S.erase(NAME30);
    expect(S.read(NAME28)).toBeUndefined();
  });

  it("keeps a 27-char name whole", () => {
    const { S } = setup();
    S.write(NAME30.slice(0, 27), "y");
    expect(S.list()).toEqual([NAME30.slice(0, 27)]);
  });
});

describe("read", () => {
  it("of a missing file is undefined (also readJSON and readArrayBuffer)", () => {
    const { S } = setup();
    expect(S.read("missing")).toBeUndefined();
    expect(S.readJSON("missing")).toBeUndefined();
    expect(S.readJSON("missing", true)).toBeUndefined();
    expect(S.readArrayBuffer("missing")).toBeUndefined();
  });

  it("with offset and length", () => {
    // Device: read('w',6) "world", read('w',2,3) "llo", (0,100) whole, (20) "".
    const { S } = setup();
    S.write("w", "hello world");
    expect(S.read("w", 6)).toBe("world");
    expect(S.read("w", 2, 3)).toBe("llo");
    expect(S.read("w", 0, 100)).toBe("hello world");
    expect(S.read("w", 20)).toBe("");
    expect(S.read("w", 20, 2)).toBe("");
  });

  it("returns a string", () => {
    const { S } = setup();
    S.write("a.txt", "hello");
    expect(typeof S.read("a.txt")).toBe("string");
  });
});

describe("byte strings and binary data", () => {
  it("bytes 0x80-0xFF (and 0x00) are stored and read back unchanged", () => {
    const { S, flash } = setup();
    let all = "";
    for (let b = 0; b < 256; b++) all += String.fromCharCode(b);
    S.write("bin", all);
    const back = S.read("bin");
    expect(back).toHaveLength(256);
    expect(codes(back)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(flash.get("bin")).toBe(all);
  });

  it("a Uint8Array is written as its bytes, also a subarray", () => {
    const { S, realm } = setup();
    S.write("u8", new Uint8Array([0, 1, 255]));
    expect(codes(S.read("u8"))).toEqual([0, 1, 255]);
    S.write("sub", new Uint8Array([9, 1, 2, 250, 7]).subarray(1, 4));
    expect(codes(S.read("sub"))).toEqual([1, 2, 250]);
    // A typed array made inside the board's realm.
    S.write("realm", new realm.Uint8Array([0x80, 0xfe]));
    expect(codes(S.read("realm"))).toEqual([0x80, 0xfe]);
  });

  it("an ArrayBuffer is written as its bytes, from either realm", () => {
    const { S, realm } = setup();
    S.write("ab", new Uint8Array([1, 2, 250]).buffer);
    expect(codes(S.read("ab"))).toEqual([1, 2, 250]);
    S.write("ab2", realm.run("new Uint8Array([200,3]).buffer", "t.js"));
    expect(codes(S.read("ab2"))).toEqual([200, 3]);
  });

  it("readArrayBuffer gives the bytes as an ArrayBuffer of the board's realm", () => {
    const { S, realm } = setup();
    S.write("bin", "\x00\x80\xff");
    const buf = S.readArrayBuffer("bin")!;
    expect(buf).toBeInstanceOf(realm.ArrayBuffer);
    expect(Array.from(new Uint8Array(buf))).toEqual([0, 0x80, 0xff]);
  });

  it("writing an empty file throws, as the device does", () => {
    const { S } = setup();
    expect(() => S.write("e.txt", "")).toThrow("Can't create zero length file");
    expect(S.read("e.txt")).toBeUndefined();
  });
});

describe("JSON", () => {
  it("writeJSON / readJSON round trip", () => {
    const { S } = setup();
    const value = { a: [1, { b: "c" }], n: null, s: "é\x80", f: 1.5, t: true };
    expect(S.writeJSON("j", value)).toBe(true);
    expect(S.readJSON("j")).toEqual(value);
  });

  it("writeJSON writes the device's format; readJSON reads it and the device's lenient JSON", () => {
    const { S } = setup();
    S.writeJSON("f", { a: 1, "b c": [0.5, "\x80\n"], if: null });
    expect(S.read("f")).toBe('{a:1,"b c":[0.5,"\\x80\\n"],if:null}');
    S.write("l", "{a:'x', b:0x10, c:[1,],} trailing");
    expect(S.readJSON("l")).toEqual({ a: "x", b: 16, c: [1] });
  });

  it("readJSON of bad JSON: undefined with noExceptions true, a SyntaxError of the realm without", () => {
    const { S, realm } = setup();
    S.write("bad.json", "{bad");
    expect(S.readJSON("bad.json", true)).toBeUndefined();
    let caught: unknown;
    try {
      S.readJSON("bad.json");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(realm.global.SyntaxError as SyntaxErrorConstructor);
    expect((caught as Error).message).toBe("Got EOF expected ':'");
    expect(() => S.readJSON("bad.json", false)).toThrow();
  });

  it("values from readJSON and list belong to the board's realm", () => {
    const { S, realm } = setup();
    S.writeJSON("c.json", { a: [1, 2], o: { x: 1 } });
    const v = S.readJSON("c.json") as { a: unknown[]; o: object };
    const RealmArray = realm.run("Array", "t.js");
    const RealmObject = realm.run("Object", "t.js");
    expect(RealmArray).not.toBe(Array);
    expect(v.constructor).toBe(RealmObject);
    expect(v.a.constructor).toBe(RealmArray);
    expect(v.o.constructor).toBe(RealmObject);
    expect(S.list().constructor).toBe(RealmArray);
    // So code inside the board sees ordinary arrays.
    realm.global.fromStorage = v.a;
    expect(realm.run("fromStorage instanceof Array", "t.js")).toBe(true);
  });
});

describe("erase and list", () => {
  it("erase removes a file; erasing a missing file is fine", () => {
    const { S } = setup();
    S.write("a.txt", "1");
    S.write("b.txt", "2");
    expect(S.erase("a.txt")).toBeUndefined();
    expect(S.erase("missing")).toBeUndefined();
    expect(S.read("a.txt")).toBeUndefined();
    expect(S.list()).toEqual(["b.txt"]);
  });

  it("lists in flash order: creation order, a rewritten file last (as on the device)", () => {
    const { S } = setup();
    S.write("b.txt", "1");
    S.write("a.txt", "2");
    S.write("c.json", '{"x":1}');
    expect(S.list()).toEqual(["b.txt", "a.txt", "c.json"]);
    S.write("b.txt", "3");
    expect(S.list()).toEqual(["a.txt", "c.json", "b.txt"]);
  });

  it("list with a RegExp or a string filters", () => {
    const { S } = setup();
    S.write("a.txt", "1");
    S.write("c.json", "2");
    S.write("bad.json", "3");
    expect(S.list(/\.json$/)).toEqual(["c.json", "bad.json"]);
    expect(S.list(/^a/)).toEqual(["a.txt"]);
    expect(S.list("txt")).toEqual(["a.txt"]);
    expect(S.list("c.")).toEqual(["c.json"]);
    expect(S.list()).toEqual(["a.txt", "c.json", "bad.json"]);
  });

  it("list takes a RegExp made inside the board", () => {
    const { S, realm } = setup();
    S.write("a.txt", "1");
    S.write("c.json", "2");
    expect(S.list(realm.run("/json/", "t.js"))).toEqual(["c.json"]);
  });

  it("getFree goes down as files are written", () => {
    const { S } = setup();
    const before = S.getFree();
    S.write("big", "x".repeat(1000));
    expect(before - S.getFree()).toBeGreaterThanOrEqual(1000);
  });
});

describe("the file option", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("persists files, binary included, across two Flash instances", () => {
    dir = mkdtempSync(join(tmpdir(), "codepair-flash-"));
    const file = join(dir, "flash.json");
    const one = setup(new Flash({ file }));
    one.S.write("bin", "\x00\x80\xff");
    one.S.writeJSON("cfg.json", { a: 1 });
    one.S.write("gone", "x");
    one.S.erase("gone");
    const two = setup(new Flash({ file }));
    expect(codes(two.S.read("bin"))).toEqual([0, 0x80, 0xff]);
    expect(two.S.readJSON("cfg.json")).toEqual({ a: 1 });
    expect(two.S.list()).toEqual(["bin", "cfg.json"]);
  });

  it("without it, a new Flash starts empty", () => {
    const one = setup();
    one.S.write("a", "1");
    expect(setup().S.list()).toEqual([]);
  });
});

describe("power cuts", () => {
  it("the write that crosses the budget throws PowerCut and leaves n bytes then 0xFF", () => {
    const { S, flash } = setup();
    flash.cutPowerAfter(4);
    expect(() => S.write("rec", "ABCDEFGHIJ")).toThrow(PowerCut);
    const left = S.read("rec")!;
    expect(left).toHaveLength(10);
    expect(left.slice(0, 4)).toBe("ABCD");
    expect(codes(left.slice(4))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });

  it("the budget counts bytes of earlier writes; those land whole", () => {
    const { S, flash } = setup();
    flash.cutPowerAfter(12);
    S.write("a", "12345678");
    expect(() => S.write("b", "abcdefgh")).toThrow(PowerCut);
    expect(S.read("a")).toBe("12345678");
    expect(S.read("b")).toBe("abcd\xff\xff\xff\xff");
  });

  it("after the cut the power is off: later writes and erases fail and change nothing", () => {
    const { S, flash } = setup();
    S.write("keep", "old");
    flash.cutPowerAfter(2);
    expect(() => S.write("rec", "xyz")).toThrow(PowerCut);
    expect(flash.poweredOff).toBe(true);
    expect(() => S.write("other", "1")).toThrow(PowerCut);
    expect(() => S.write("keep", "new")).toThrow(PowerCut);
    expect(() => S.erase("keep")).toThrow(PowerCut);
    expect(S.read("other")).toBeUndefined();
    expect(S.read("keep")).toBe("old");
    expect(S.read("rec")).toBe("xy\xff");
    flash.powerOn();
    S.write("other", "1");
    expect(S.read("other")).toBe("1");
  });

  it("a cut that is not reached changes nothing", () => {
    const { S, flash } = setup();
    flash.cutPowerAfter(100);
    S.write("a", "abc");
    expect(S.read("a")).toBe("abc");
    expect(flash.poweredOff).toBe(false);
  });
});

describe("the log", () => {
  it("records writes and erases by name and size only, never the data", () => {
    const { S, flash } = setup();
    S.write("token.json", "SECRET-TOKEN-123");
    S.writeJSON("cfg.json", { password: "hunter2" });
    S.erase("token.json");
    S.erase("missing");
    expect(flash.log).toEqual([
      { op: "write", name: "token.json", bytes: 16 },
      // writeJSON stores the device's format, keys unquoted: {password:"hunter2"} (20 bytes).
      { op: "write", name: "cfg.json", bytes: '{password:"hunter2"}'.length },
      { op: "erase", name: "token.json", bytes: 0 },
    ]);
    const text = JSON.stringify(flash.log);
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("hunter2");
  });

  it("logs the cut name, and onChange hears each change", () => {
    const { S, flash } = setup();
    const heard: string[] = [];
    flash.onChange = (op, name) => heard.push(op + " " + name);
    S.write(NAME30, "x");
    S.erase(NAME30);
    expect(flash.log.map((e) => e.name)).toEqual([NAME28, NAME28]);
    expect(heard).toEqual(["write " + NAME28, "erase " + NAME28]);
  });
});

describe("writes with an offset and a size, as measured on 2v29", () => {
  // Each step runs on the file the previous one left; `after` is what S.read("f") gave on
  // the interpreter, or the message it threw.
  const steps: [string, (S: Storage) => void, string][] = [
    ["create with a size", (S) => S.write("f", "ab", 0, 6), "ab\xff\xff\xff\xff"],
    ["fill erased bytes at an offset", (S) => S.write("f", "cd", 2), "abcd\xff\xff"],
    ["offset 0 and no size: a new file", (S) => S.write("f", "ab", 0), "ab"],
    ["past the end", (S) => S.write("f", "xyz", 5), "throws Too much data for file size"],
    ["a size over an existing file: a new file", (S) => S.write("f", "q", 0, 3), "q\xff\xff"],
    ["data larger than the size", (S) => S.write("f", "abcdef", 0, 3), "throws Too much data for file size"],
    ["no data", (S) => (S.write as unknown as (n: string) => void)("f"), "throws Can't get pointer to data to write"],
  ];
  it("follows the device step by step", () => {
    const { S } = setup();
    for (const [what, step, after] of steps) {
      let got: string;
      try {
        step(S);
        got = S.read("f") as string;
      } catch (err) {
        got = "throws " + (err as Error).message;
      }
      expect(got, what).toBe(after);
    }
  });

  it("refuses to change bytes already written, and to write into a missing file", () => {
    const { S } = setup();
    S.write("j", "a\xffc", 0, 4);
    S.write("j", "\xff", 1); // writing 0xFF over 0xFF changes nothing
    expect(() => S.write("j", "bd", 1)).toThrow("File already written with different data");
    S.write("j", "b", 1);
    expect(S.read("j")).toBe("abc\xff");
    expect(() => S.write("missing", "ab", 2)).toThrow("Unable to find or create file");
  });

  it("a power cut during an offset write keeps the bytes written before it", () => {
    const { S, flash } = setup();
    S.write("rec", "head", 0, 12);
    flash.cutPowerAfter(3);
    expect(() => S.write("rec", "payload!", 4)).toThrow(PowerCut);
    expect(flash.get("rec")).toBe("headpay\xff\xff\xff\xff\xff");
  });
});

describe("a power cut on the board", () => {
  it("stops the firmware there and then, even if it catches the error", () => {
    const board = new Board();
    board.flash.cutPowerAfter(2);
    board.boot(
      "var S = require('Storage');" +
        "try { S.write('a', 'abcdef'); } catch (e) {" +
        "  try { print('caught'); } catch (e2) {}" +
        "  try { setTimeout(function () { print('still running'); }, 10); } catch (e3) {}" +
        "  try { S.write('b', 'x'); } catch (e4) {}" +
        "}",
    );
    board.advance(100);
    expect(board.powered).toBe(false);
    expect(board.console.lines).toEqual([]);
    expect(board.flash.get("a")).toBe("ab\xff\xff\xff\xff");
    expect(board.flash.get("b")).toBeUndefined();
    expect(board.uncaught).toEqual([]);
    // power back: the firmware boots again and the flash takes writes
    board.boot("require('Storage').write('b', 'x'); print('up')");
    expect(board.console.lines).toEqual(["up"]);
    expect(board.flash.get("b")).toBe("x");
  });
});

describe("the flash file mirror", () => {
  it("is written owner-only, and a file that is not a flash image is refused with its name", () => {
    const dir = mkdtempSync(join(tmpdir(), "codepair-flash-"));
    const file = join(dir, "flash.json");
    const flash = new Flash({ file });
    flash.set("codepair.json", "{}");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, "not json");
    expect(() => new Flash({ file })).toThrow(`${file} is not a simulator flash image`);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("room, trash and compaction, as the interpreter counts them", () => {
  // Each line: what was done, then getStats' freeBytes fileBytes fileCount trashBytes trashCount
  // (or the message thrown). Run on the simulated board, and on the interpreter when there is one.
  const program = `var S=require("Storage");
function p(w){var s=S.getStats();print(w+" "+[s.freeBytes,s.fileBytes,s.fileCount,s.trashBytes,s.trashCount].join(" "));}
function t(w,f){try{f();p(w);}catch(e){print(w+" throws "+e.message);}}
var k="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
p("empty");
t("write",function(){S.write("a","hello");});
t("same again",function(){S.write("a","hello");});
t("rewrite",function(){S.write("a","hello2");});
t("erase",function(){S.erase("a");});
t("trash made",function(){S.write("d",k+k+k+k);S.erase("d");});
t("big",function(){S.write("b","x",0,S.getFree()-32-100);});
t("no room, trash too small",function(){S.write("c",k+k+k+k+k+k);});
t("room by compacting",function(){S.write("e",k+k+k);});
t("compact",function(){S.compact();});
`;
  const expected = (lines: string[]) => lines.filter((l) => /^[a-z]/.test(l) && !l.startsWith("Compacting"));

  it("on the simulated board", () => {
    const { lines } = runOnSimulator(program);
    const got = expected(lines);
    expect(got[0]).toBe(`empty ${FLASH_BYTES} 0 0 0 0`);
    expect(got).toContain(`write ${FLASH_BYTES - 40} 40 1 0 0`);
    expect(got).toContain(`same again ${FLASH_BYTES - 40} 40 1 0 0`);
    expect(got).toContain(`rewrite ${FLASH_BYTES - 80} 40 1 40 1`);
    expect(got).toContain("no room, trash too small throws Unable to find or create file");
    expect(got.find((l) => l.startsWith("room by compacting"))).toMatch(/ 0 0$/);
  });

  it.skipIf(!ESPRUINO)("the same on the interpreter", () => {
    const real = runOnEspruino(program);
    expect(expected(runOnSimulator(program).lines)).toEqual(expected(real.lines));
  });
});
