// host-sim/realm.ts and the simulated board's global scope: what code inside the board can
// name must be what Espruino 2v29 has (dialect/espruino.mjs, measured on the interpreter).
import { describe, expect, it } from "vitest";
import { GLOBALS, MISSING_GLOBALS, MISSING_MEMBERS } from "../dialect/espruino.mjs";
import { Board } from "../host-sim/board.ts";
import { createRealm } from "../host-sim/realm.ts";

/** Boots `code` on a fresh board and returns it with what print() wrote. */
function run(code: string): { board: Board; lines: string[] } {
  const board = new Board();
  board.boot(code);
  return { board, lines: board.console.lines };
}

/** The value of one expression inside the board, as JSON text printed by the board. */
function value(expr: string): string {
  const { board, lines } = run("print(JSON.stringify(" + expr + "))");
  expect(board.uncaught).toEqual([]);
  return lines[0];
}

/** An expression that gives an instance (or the object) whose members `owner` lists. */
const OWNER_EXPR: Record<string, string> = {
  "Array.prototype": "[]",
  "TypedArray.prototype": "new Uint8Array(1)",
  "ArrayBuffer.prototype": "new ArrayBuffer(1)",
  "Number.prototype": "(5)",
  "Object.prototype": "({})",
  "String.prototype": '""',
  "Promise.prototype": "Promise.resolve()",
  "Error.prototype": 'new Error("x")',
  "Date.prototype": "new Date(0)",
  "RegExp.prototype": "/a/",
  "Function.prototype": "(function () {})",
};

function ownerExpr(owner: string): string {
  if (!owner.endsWith(".prototype")) return owner;
  const expr = OWNER_EXPR[owner];
  if (!expr) throw new Error("realm.test.ts: add an instance expression for " + owner);
  return expr;
}

describe("what the board lacks", () => {
  it("typeof every MISSING_GLOBALS name is undefined", () => {
    expect(MISSING_GLOBALS.length).toBeGreaterThan(10);
    const code = "print(JSON.stringify([" + MISSING_GLOBALS.map((n) => "typeof " + n).join(",") + "]))";
    const { board, lines } = run(code);
    expect(board.uncaught).toEqual([]);
    const types = JSON.parse(lines[0]) as string[];
    const present = MISSING_GLOBALS.filter((_, i) => types[i] !== "undefined");
    expect(present).toEqual([]);
  });

  it("the same names cannot be reached through global either", () => {
    const code = "print(JSON.stringify(" + JSON.stringify(MISSING_GLOBALS) + ".filter(function (n) { return n in global; })))";
    expect(run(code).lines[0]).toBe("[]");
  });

  it("every MISSING_MEMBERS member is undefined (prototype members tested on an instance)", () => {
    const checks: string[] = [];
    for (const owner of Object.keys(MISSING_MEMBERS) as (keyof typeof MISSING_MEMBERS)[]) {
      for (const member of MISSING_MEMBERS[owner]) {
        checks.push("[" + JSON.stringify(owner + "." + member) + ", typeof (" + ownerExpr(owner) + ")[" + JSON.stringify(member) + "]]");
      }
    }
    expect(checks.length).toBeGreaterThan(40);
    const code = "print(JSON.stringify([" + checks.join(",") + "].filter(function (c) { return c[1] !== 'undefined'; })))";
    const { board, lines } = run(code);
    expect(board.uncaught).toEqual([]);
    expect(JSON.parse(lines[0])).toEqual([]);
  });

  it("the members named in the brief, spelled out", () => {
    expect(value("[typeof [].flat, typeof ''.trimStart, typeof Promise.resolve().finally, typeof Array.from, typeof Math.trunc, typeof Number.isInteger, typeof Object.freeze]"))
      .toBe('["undefined","undefined","undefined","undefined","undefined","undefined","undefined"]');
  });

  it("keeps what the device has beside them", () => {
    expect(value("[typeof [].find, typeof [].includes, typeof ''.padStart, typeof Object.assign, typeof Math.floor, typeof Promise.all]"))
      .toBe('["function","function","function","function","function","function"]');
  });
});

describe("Number without its missing statics", () => {
  it("still converts, and Number.MAX_VALUE is there", () => {
    expect(value("[Number('42') + 1, Number('0x10'), Number(), Number('x') !== Number('x'), Number(true)]")).toBe("[43,16,0,true,1]");
    expect(value("Number.MAX_VALUE > 1e308")).toBe("true");
    expect(value("typeof Number.EPSILON")).toBe('"undefined"');
  });

  it("(5).constructor === Number and new Number(5) + 1 work, as on the device", () => {
    expect(value("[(5).constructor === Number, new Number(5) + 1, (255).toString(16)]")).toBe('[true,6,"ff"]');
  });
});

describe("board built-ins", () => {
  it("atob/btoa round-trip byte strings, with Espruino's base64", () => {
    // Device: btoa('\x00\x80\xff') is "AID/".
    expect(value("btoa('\\x00\\x80\\xff')")).toBe('"AID/"');
    const { board, lines } = run(
      "var s = ''; for (var i = 0; i < 256; i++) s += String.fromCharCode(i);" +
        "var back = atob(btoa(s)); print(back === s, back.length, btoa('hello'), atob('aGVsbG8='));",
    );
    expect(board.uncaught).toEqual([]);
    expect(lines).toEqual(["true 256 aGVsbG8= hello"]);
  });

  it('require("NoSuch") throws Error: Module "NoSuch" not found, an Error of the board', () => {
    const { board, lines } = run(
      "try { require('NoSuch'); print('no throw'); } catch (e) { print(e instanceof Error, e.message); }",
    );
    expect(board.uncaught).toEqual([]);
    expect(lines).toEqual(['true Module "NoSuch" not found']);
  });

  it('require("Storage") works inside the board and writes the board\'s flash', () => {
    const { board, lines } = run(
      "var S = require('Storage'); S.write('a.txt', 'hi'); print(S.read('a.txt'), JSON.stringify(S.list()), S.list() instanceof Array);",
    );
    expect(board.uncaught).toEqual([]);
    expect(lines).toEqual(['hi ["a.txt"] true']);
    expect(board.flash.get("a.txt")).toBe("hi");
  });

  it("InternalError exists and carries its message", () => {
    expect(value("[typeof InternalError, new InternalError('m').message]")).toBe('["function","m"]');
  });

  it("pins are numbers: typeof D0 is number and D21 === 21", () => {
    expect(value("[typeof D0, D0 === 0, D21, D39]")).toBe('["number",true,21,39]');
  });

  it("global and globalThis are the global object", () => {
    expect(value("[global === this, globalThis === global, typeof global.print]")).toBe('[true,true,"function"]');
  });
});

describe("the board's global object and the dialect gate agree", () => {
  it("every own property of global is in GLOBALS or is a pin D0..D39", () => {
    const { board, lines } = run("print(JSON.stringify(Object.getOwnPropertyNames(global)))");
    expect(board.uncaught).toEqual([]);
    const names = JSON.parse(lines[0]) as string[];
    const allowed = new Set<string>(GLOBALS as string[]);
    const extra = names.filter((n) => !allowed.has(n) && !/^D([0-9]|[12][0-9]|3[0-9])$/.test(n));
    expect(extra).toEqual([]);
    // And the board provides the timers, console and require it promises.
    for (const n of ["print", "require", "setTimeout", "clearTimeout", "setWatch", "getTime", "I2C1", "E"]) expect(names).toContain(n);
  });

  it("a bare realm has no Node globals (process, Buffer, setImmediate, console)", () => {
    const realm = createRealm();
    expect(realm.run("[typeof process, typeof Buffer, typeof setImmediate, typeof console, typeof require].join()", "t.js"))
      .toBe("undefined,undefined,undefined,undefined,undefined");
  });
});

describe("uncaught exceptions", () => {
  it("in the boot code: reported as Uncaught Error: … and kept in board.uncaught", () => {
    const { board, lines } = run("print('before'); throw new Error('boom'); print('after');");
    expect(lines).toEqual(["before", "Uncaught Error: boom", "    at [raw] (:1:40)", "print('before'); throw new Error('boom'); print('after');", " ".repeat(39) + "^"]);
    expect(board.uncaught).toHaveLength(1);
    expect((board.uncaught[0] as Error).message).toBe("boom");
  });

  it("in a timer: reported, and later timers still run", () => {
    const { board, lines } = run(
      "setTimeout(function () { throw new Error('late'); }, 10); setTimeout(function () { print('next'); }, 20);",
    );
    board.advance(100);
    expect(lines).toEqual(["Uncaught Error: late", "    at :1:23", "throw new Error('late');", " ".repeat(22) + "^", "next"]);
    expect(board.uncaught).toHaveLength(1);
  });

  it("names the error's kind, and prints a thrown non-object as it is (as the device does)", () => {
    // Device: `Uncaught ReferenceError: "undefinedThing" is not defined`, `Uncaught InternalError: q`,
    // `Uncaught str`.
    const { board, lines } = run(
      "setTimeout(function () { undefinedThing(); }, 10);" +
        "setTimeout(function () { throw new InternalError('q'); }, 15);" +
        "setTimeout(function () { throw 'str'; }, 20);",
    );
    board.advance(100);
    expect(board.uncaught).toHaveLength(3);
    expect(lines[0]).toMatch(/^Uncaught ReferenceError: .*undefinedThing/);
    expect(lines.slice(1)).toEqual(["    at :1:1", "undefinedThing();", "^", "Uncaught InternalError: q", "    at :1:28", "throw new InternalError('q');", " ".repeat(27) + "^", "Uncaught str"]);
  });
});

describe("board timers", () => {
  it("clearTimeout(undefined) throws as on 2v29; clearing a stale id is harmless", () => {
    const { board, lines } = run(
      "var t = setTimeout(function () { print('ran'); }, 10); clearTimeout(t); clearTimeout(t);" +
        "try { clearTimeout(undefined); } catch (e) { print(e instanceof Error, e.message); }" +
        "try { clearInterval(undefined); } catch (e) { print(e.message); }",
    );
    board.advance(100);
    expect(board.uncaught).toEqual([]);
    expect(lines).toEqual([
      "true clearTimeout(undefined) not allowed. Use clearTimeout() instead",
      "clearInterval(undefined) not allowed. Use clearInterval() instead",
    ]);
  });

  it("changeInterval of an unknown id throws Unknown Interval, an Error of the board", () => {
    const { board, lines } = run("try { changeInterval(77, 5); } catch (e) { print(e instanceof Error, e.message); }");
    expect(board.uncaught).toEqual([]);
    expect(lines).toEqual(["true Unknown Interval"]);
  });

  it("getTime() is seconds on the board's clock", () => {
    const { board, lines } = run("setTimeout(function () { print(getTime()); }, 1500);");
    board.advance(2000);
    expect(lines).toEqual(["1.5"]);
  });
});

describe("every function the board hands firmware belongs to firmware's realm", () => {
  it("globals, library members, module members, Graphics methods", () => {
    const board = new Board();
    board.boot(
      "var fns = { print: print, atob: atob, btoa: btoa, 'JSON.parse': JSON.parse, setTimeout: setTimeout," +
        " getTime: getTime, setWatch: setWatch, require: require, 'E.on': E.on, 'E.toString': E.toString," +
        " 'console.log': console.log, 'I2C1.writeTo': I2C1.writeTo, 'Storage.read': require('Storage').read," +
        " 'Graphics.createArrayBuffer': Graphics.createArrayBuffer," +
        " 'g.drawString': Graphics.createArrayBuffer(8, 8, 1).drawString };" +
        "var foreign = Object.keys(fns).filter(function (k) { return !(fns[k] instanceof Function); });" +
        "print('foreign: ' + foreign.join(','));",
    );
    expect(board.uncaught).toEqual([]);
    expect(board.console.lines).toEqual(["foreign: "]);
  });
});
