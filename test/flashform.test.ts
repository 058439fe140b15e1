// The flash form (tools/flashform.mjs): long string literals as Espruino's raw string tokens.
// The same program prints the same in Node (its text), on the simulator (its flash form,
// read by host-sim/lexer.ts) and on the interpreter run from Storage (its text and its flash
// form); run from Storage, a raw string costs 1 JsVar however long it is.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { textForm } from "../host-sim/lexer.ts";
import { fontModuleSource, packFont, parseFont } from "../tools/fontpack.mjs";
import { RAW_STRING_MIN, flashForm } from "../tools/flashform.mjs";
import { ESPRUINO, flashedProgram, runOnEspruino, runOnSimulator } from "./support/espruino.ts";
import { ROOT } from "./support/firmware.ts";

/** A quoted literal of `bytes`, ASCII only: printable characters as they are, the rest \xNN. */
function quote(bytes: number[]): string {
  return '"' + bytes.map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : "\\x" + (b + 256).toString(16).slice(1))).join("") + '"';
}
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const TRICKY = [0xd1, 5, 0x61, 0xd2, 0, 1, 0x60, 0x24, 0x7b, 0x7d, 0x2a, 0x2f, 0x2f, 0x22, 0x27, 0x5c, 10, 13, 9, 0xff, 0, 0x7b];

/** Prints "R name hash" lines: a string's length and a hash of its characters. */
const PROGRAM = `function h(s){var x=0;for(var i=0;i<s.length;i++)x=(x*31+s.charCodeAt(i))|0;return s.length+":"+x;}
function p(k,v){print("R "+k+" "+v);}
p("nine",h("abcdefghi"));
p("ten",h("abcdefghij"));
p("all",h(${quote(range(0, 256))}));
p("255",h(${quote(range(0, 255))}));
p("300",h(${quote(range(0, 300).map((i) => (i * 7) & 255))}));
p("tricky",h(${quote(TRICKY)}));
p("short-tricky",h(${quote(TRICKY.slice(0, 12))}));
p("escapes",h("tab\\there \\"quoted\\" 'single' back\\\\slash \\u00e9\\u00ff \\x00end"));
p("single",h('single quoted "long" string'));
p("template",h(\`template without substitutions
second line\`));
var x=5;
p("subst",\`with \${"inner literal, long"} and \${x} here\`);
var o={"long key name -1":1,short:2,"another long key":{"nested long key!":3}};
p("keys",Object.keys(o).join("|")+o["long key name -1"]+o["another long key"]["nested long key!"]);
switch("case label long one"){case "case label long two":p("case","no");break;case "case label long one":p("case","yes");}
p("div","a long string here".length/2/1);
p("typeof",typeof"another long one"+"!");
p("in",("long key name -1"in o)+"");
function r(){return"returned long string"}
p("return",r());
var s="appended to later";s+="+more";p("append",s);
p("concat","first long string"+"second long string");
p("index","indexed long string"[3]+"indexed long string".charCodeAt(4));
p("regex",/long st/.test("a long string")+" "+"x a long string y".replace(/long/g,"short one"));
p("split","comma,separated,long,list".split(",").length);
p("array",["array element one","array element two"].join("+"));
p("cond",(x>3?"condition was true":"condition was false"));
p("json",JSON.stringify({"json key long":"json value long"}));
/* a comment with "quotes" and \`ticks\` */ p("after-comment","still the same long string");
`;

/** The lines a program prints in Node (its `print`). */
function inNode(code: string): string[] {
  const lines: string[] = [];
  runInNewContext(code, { print: (...a: unknown[]) => lines.push(a.join(" ")) });
  return lines;
}

/** 0xD1 and 0xD2 bytes inside a quoted string, a template, a regex and comments (characters there), and one raw string. */
const RAW_INSIDE = [
  'var q = "\xd1\x03ab";',
  "var t = `\xd1${1 + 1}\xd2`;",
  "var re = /a\xd1b/;",
  "/* \xd1\x05 */ // \xd2\x01\x02",
  "var half = 10 / 2 / 1;",
  "var w = \xd1\x14a raw string, twenty;",
  'print("D " + q.length + " " + q.charCodeAt(0) + " " + t.length + " " + re.test("xa\xd1by") + " " + half + " " + w);',
].join("\n");

describe("flashForm", () => {
  it("turns string literals of RAW_STRING_MIN or more characters (all <= 0xFF) into raw strings, and leaves the rest", () => {
    const short = "x".repeat(RAW_STRING_MIN - 1);
    const long = "y".repeat(RAW_STRING_MIN);
    const out = flashForm(`a("${short}");b("${long}");c(\`${long}\`);d(\`\${a}${long}\`);e("\\u0100${long}");`).toString("latin1");
    expect(out).toBe(`a("${short}");b(\xd1\x0a${long});c(\xd1\x0a${long});d(\`\${a}${long}\`);e("\\u0100${long}");`);
    // 255 characters: the one-byte length; 256: the two-byte one (low byte first)
    expect(flashForm(`f("${"z".repeat(255)}")`).toString("latin1")).toBe(`f(\xd1\xff${"z".repeat(255)})`);
    expect(flashForm(`f("${"z".repeat(256)}")`).toString("latin1")).toBe(`f(\xd2\x00\x01${"z".repeat(256)})`);
  });

  it("turns atob() of a constant (canonical base64) into the raw string of its bytes, while atob is the global", () => {
    const bytes = Buffer.from(range(0, 40).map((i) => (i * 37) & 255));
    const b64 = bytes.toString("base64");
    expect(flashForm(`var a=atob("${b64}");`).toString("latin1")).toBe(`var a=\xd1\x28${bytes.toString("latin1")};`);
    // short, not canonical, not a constant: atob stays (a long argument is a raw string itself)
    expect(flashForm(`var a=atob("QUJD");`).toString("latin1")).toBe(`var a=atob("QUJD");`);
    const kept = (arg: string) => `atob(${arg.length >= RAW_STRING_MIN ? "\xd1" + String.fromCharCode(arg.length) + arg : JSON.stringify(arg)})`;
    expect(flashForm(`var a=atob("${b64.slice(0, -1)}A");`).toString("latin1")).toBe(`var a=${kept(b64.slice(0, -1) + "A")};`);
    expect(flashForm(`var a=atob(" ${b64}");`).toString("latin1")).toBe(`var a=${kept(" " + b64)};`);
    expect(flashForm(`var a=atob(x+"${b64}");`).toString("latin1")).toBe(`var a=atob(x+\xd1${String.fromCharCode(b64.length)}${b64});`);
    // atob bound by the code (or used as a value): no atob is folded, anywhere
    expect(flashForm(`function f(atob){return atob("${b64}")}`).toString("latin1")).toBe(`function f(atob){return ${kept(b64)}}`);
    expect(flashForm(`var g=atob;var a=atob("${b64}");`).toString("latin1")).toBe(`var g=atob;var a=${kept(b64)};`);
  });

  it("refuses what does not parse, and a character above 0xFF it cannot write as a byte", () => {
    expect(() => flashForm("var s = 'open")).toThrow(/does not parse/);
    expect(() => flashForm('var s = "\u0100";')).toThrow(/above 0xFF/);
  });

  it("is read back by the simulator's lexer as the same values (Node runs the text, the simulator the flash form)", () => {
    const flash = flashForm(PROGRAM);
    const text = flash.toString("latin1");
    expect(text).toContain('p("ten",h(\xd1\x0aabcdefghij));');
    expect(text).toContain('p("nine",h("abcdefghi"));');
    expect(text).toContain("\xd2\x00\x01\x00\x01\x02");
    expect(text).toContain('{\xd1\x10long key name -1:1,short:2,');
    const expected = inNode(PROGRAM);
    expect(expected.length).toBe(26);
    expect(inNode(textForm(flash.toString("latin1")))).toEqual(expected);
    expect(runOnSimulator(flash.toString("latin1")).lines.filter((l) => l.startsWith("R "))).toEqual(expected);
  });

  it("the simulator's require() reads raw strings in a Storage module", () => {
    const board = new Board();
    board.flash.set("mod", flashForm('exports.s = "a module\'s long string";').toString("latin1"));
    board.boot('print(require("mod").s.length + " " + require("mod").s);');
    board.clock.runUntilIdle(1000);
    expect(board.console.lines).toEqual(["22 a module's long string"]);
  });
});

describe("the simulator's lexer (textForm)", () => {
  it("leaves code without raw strings as it is", () => {
    const code = 'var a = "\xd1\x03abc"; // \xd2\n';
    expect(textForm("var a = 1 / 2;")).toBe("var a = 1 / 2;");
    expect(textForm(code.replace(/[\xd1\xd2]/g, "x"))).toBe(code.replace(/[\xd1\xd2]/g, "x"));
  });

  it("finds raw strings after numbers, divisions, regexes and operators", () => {
    const raw = "\xd1\x0ba raw \"str\"";
    const code = "var a=1e-5/2/1,b=x/2/1,c=/[\"'`]/g,d=" + raw + ",e=a>=" + raw + "?0x1e-" + raw + ".length:" + raw + ";";
    expect(textForm(code)).toBe('var a=1e-5/2/1,b=x/2/1,c=/["\'`]/g,d="a raw \\x22str\\x22",e=a>="a raw \\x22str\\x22"?0x1e-"a raw \\x22str\\x22".length:"a raw \\x22str\\x22";');
  });

  it("reads 0xD1 inside a quoted string, a template, a regex and a comment as a character, as the interpreter does", () => {
    expect(inNode(textForm(RAW_INSIDE))).toEqual(["D 4 209 3 true 5 a raw string, twenty"]);
  });
});

describe.skipIf(!ESPRUINO)("the flash form on the interpreter, run from Storage", () => {
  const printed = (code: string, form: "flash" | "text"): string[] => runOnEspruino(flashedProgram({ ".bootcde": code }, form), 60000).lines;

  it("prints what the text prints, and what Node prints", () => {
    const expected = inNode(PROGRAM);
    expect(printed(PROGRAM, "flash").filter((l) => l.startsWith("R "))).toEqual(expected);
    expect(printed(PROGRAM, "text").filter((l) => l.startsWith("R "))).toEqual(expected);
  });

  it("reads 0xD1 inside a quoted string, a template, a regex and a comment as a character, as the simulator does", () => {
    expect(printed(RAW_INSIDE, "text").filter((l) => l.startsWith("D "))).toEqual(inNode(textForm(RAW_INSIDE)));
  });

  it("keeps a long literal and a font bitmap (atob of a constant) in flash: 1 JsVar, where the text's are copies in RAM", () => {
    const packed = packFont(parseFont(readFileSync(join(ROOT, "firmware/display/fonts/small.font"), "utf8"), "small.font"));
    const font = fontModuleSource(packed).replace(/^export default /, "var F = ");
    const hash = (bytes: Uint8Array): string => {
      let x = 0;
      for (const b of bytes) x = (x * 31 + b) | 0;
      return bytes.length + ":" + x;
    };
    const code =
      font +
      'function h(s){var x=0;for(var i=0;i<s.length;i++)x=(x*31+s.charCodeAt(i))|0;return s.length+":"+x;}\n' +
      'var long = "forty characters of a long string literal";\n' +
      'print("S " + E.getSizeOf(F.bitmap) + " " + E.getSizeOf(F.widths) + " " + E.getSizeOf(long) + " " + h(F.bitmap) + " " + h(F.widths));\n';
    const flash = printed(code, "flash").find((l) => l.startsWith("S "));
    const text = printed(code, "text").find((l) => l.startsWith("S "));
    expect(packed.bitmap.length).toBeGreaterThan(255);
    expect(flash).toBe(`S 1 1 1 ${hash(packed.bitmap)} ${hash(packed.widths)}`);
    const [bitmapVars, widthsVars, longVars] = text!.split(" ").slice(1, 4).map(Number);
    expect(bitmapVars).toBeGreaterThan(20);
    expect(widthsVars).toBeGreaterThan(5);
    expect(longVars).toBeGreaterThan(1);
    expect(text!.split(" ").slice(4)).toEqual([hash(packed.bitmap), hash(packed.widths)]);
  });
});
