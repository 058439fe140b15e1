// Property tests of firmware/json/reader.ts against JSON.parse, the oracle:
// - bytes → reader, fed in random chunks; valid exactly when JSON.parse(latin1(bytes)) does not
//   throw (a byte string read as Latin-1 has the same grammar);
// - when valid and the bytes are UTF-8, each wanted member equals JSON.parse(utf8(bytes))[name]
//   when that is a scalar (strings compared as their UTF-8 bytes), and is absent otherwise.
// Inputs: random JSON documents written in random styles (whitespace, escapes, number forms,
// duplicate keys, unicode, lone surrogates, deep nesting), and random byte mutations of them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createJsonReader, type JsonLimits, type JsonResult, type JsonScalar } from "../firmware/json/reader.ts";

/** Limits out of the way: these properties are about the grammar. */
const UNLIMITED: JsonLimits = { maxBytes: 1e9, maxDepth: 1e4, maxString: 1e9, maxMembers: 1e4 };

type Doc =
  | { t: "str"; v: string }
  | { t: "num"; text: string }
  | { t: "lit"; v: "true" | "false" | "null" }
  | { t: "arr"; items: Doc[] }
  | { t: "obj"; members: [string, Doc][] };

const latin1 = (bytes: Buffer) => bytes.toString("latin1");
const bytesOf = (text: string) => Buffer.from(text, "latin1");
/** A JS string's UTF-8 bytes as a byte string (a lone surrogate becomes EF BF BD). */
const u8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");

// ---------------------------------------------------------------------------------------
// Generators

const specialUnits = fc.constantFrom('"', "\\", "/", "\b", "\f", "\n", "\r", "\t", "\u0000", "\u001f", "\u007f", "é", "€", "😀",
  "\ud800", "\udbff", "\udc00", "\udfff", "\ufffd", "\uffff", " ");
const jsString = fc.array(fc.oneof({ weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) }, { weight: 1, arbitrary: specialUnits }),
  { maxLength: 8 }).map((parts) => parts.join(""));
const key = fc.oneof(fc.constantFrom("a", "b", "access_token", "expires_in", "", "é", "\ud800", 'k"q', "\\", "__proto__", "constructor"), jsString);

const digits = (min: number, max: number) => fc.array(fc.constantFrom(..."0123456789"), { minLength: min, maxLength: max }).map((d) => d.join(""));
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer().map(String),
  fc.tuple(fc.boolean(), fc.oneof(fc.constant("0"), fc.tuple(fc.constantFrom(..."123456789"), digits(0, 30)).map(([a, b]) => a + b)),
    fc.option(digits(1, 20)), fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1, 4))))
    .map(([neg, int, frac, exp]) => (neg ? "-" : "") + int + (frac !== null ? "." + frac : "") + (exp ? exp.join("") : "")),
);

const { doc } = fc.letrec<{ doc: Doc }>((tie) => ({
  doc: fc.oneof(
    { maxDepth: 6, depthSize: "small" },
    fc.record({ t: fc.constant("str" as const), v: jsString }),
    fc.record({ t: fc.constant("num" as const), text: numberText }),
    fc.record({ t: fc.constant("lit" as const), v: fc.constantFrom("true" as const, "false" as const, "null" as const) }),
    fc.record({ t: fc.constant("arr" as const), items: fc.array(tie("doc"), { maxLength: 5 }) }),
    fc.record({ t: fc.constant("obj" as const), members: fc.array(fc.tuple(key, tie("doc")), { maxLength: 6 }) }),
  ),
}));
/** Mostly objects at the top, as replies are. */
const topDoc = fc.oneof({ weight: 4, arbitrary: fc.record({ t: fc.constant("obj" as const), members: fc.array(fc.tuple(key, doc), { maxLength: 8 }) }) },
  { weight: 1, arbitrary: doc });

/** A small deterministic PRNG for the writer's choices, so that a seed shrinks with the test. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const SHORT: { [c: string]: string } = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "/": "\\/" };

/** JSON text (a JS string: raw non-ASCII as code points) of a doc, in a random style. */
function write(d: Doc, rnd: () => number): string {
  const ws = () => (rnd() < 0.7 ? "" : [" ", "\t", "\n", "\r", "  ", "\r\n    "][Math.floor(rnd() * 6)]);
  const hex4 = (u: number) => {
    const h = (0x10000 + u).toString(16).slice(1);
    return "\\u" + (rnd() < 0.5 ? h : h.toUpperCase());
  };
  const str = (s: string) => {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const u = s.charCodeAt(i);
      const pair = u >= 0xd800 && u < 0xdc00 && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) < 0xe000;
      const lone = !pair && u >= 0xd800 && u < 0xe000;
      const must = u < 0x20 || u === 0x22 || u === 0x5c;
      if (pair) {
        out += rnd() < 0.7 ? s.slice(i, i + 2) : hex4(u) + hex4(s.charCodeAt(i + 1));
        i++;
      } else if (lone || (must && !(SHORT[s[i]] && rnd() < 0.7)) || (!must && rnd() < 0.15)) out += hex4(u);
      else out += must || (s[i] === "/" && rnd() < 0.3) ? SHORT[s[i]] : s[i];
    }
    return out + '"';
  };
  const val = (x: Doc): string => {
    switch (x.t) {
      case "str":
        return str(x.v);
      case "num":
        return x.text;
      case "lit":
        return x.v;
      case "arr":
        return "[" + ws() + x.items.map((it) => ws() + val(it) + ws()).join(",") + ws() + "]";
      case "obj":
        return "{" + ws() + x.members.map(([k, v]) => ws() + str(k) + ws() + ":" + ws() + val(v) + ws()).join(",") + ws() + "}";
    }
  };
  return ws() + val(d) + ws();
}

/** A valid document as bytes (a byte string), with the top-level keys it has. */
const validText = fc.tuple(topDoc, fc.integer()).map(([d, seed]) => ({
  text: latin1(Buffer.from(write(d, prng(seed)), "utf8")),
  keys: d.t === "obj" ? d.members.map(([k]) => k) : [],
}));

/** Names to ask for: some present (as their UTF-8 bytes), some absent; never __proto__, which the reader refuses. */
function wantedNames(keys: string[]) {
  return fc.tuple(fc.subarray(keys.filter((k) => k !== "__proto__")), fc.array(fc.constantFrom("zz", "a", "access_token", "é", "constructor"), { maxLength: 2 }))
    .map(([present, absent]) => present.concat(absent).map(u8));
}

const BYTES_OF_INTEREST = '{}[],:"\\ \t\n\r0123456789-+.eEtrufalsn\x00\x0b\x0c\x1f\x7f\x80\xa0\xc3\xa9\xef\xbf\xbdxu';
const mutation = fc.record({
  kind: fc.constantFrom("delete", "insert", "replace", "duplicate", "truncate"),
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  len: fc.integer({ min: 1, max: 4 }),
  byte: fc.oneof(fc.constantFrom(...BYTES_OF_INTEREST), fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b))),
});

function mutate(text: string, muts: { kind: string; at: number; len: number; byte: string }[]): string {
  for (const m of muts) {
    const i = Math.floor(m.at * (text.length + 1));
    if (m.kind === "delete") text = text.slice(0, i) + text.slice(i + m.len);
    else if (m.kind === "insert") text = text.slice(0, i) + m.byte + text.slice(i);
    else if (m.kind === "replace") text = text.slice(0, i) + m.byte + text.slice(i + 1);
    else if (m.kind === "duplicate") text = text.slice(0, i + m.len) + text.slice(i);
    else text = text.slice(0, i);
  }
  return text;
}

/** Chunk boundaries: fractions of the length. */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

function chunked(text: string, at: number[]): string[] {
  const points = at.map((f) => Math.floor(f * text.length)).sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const p of points) {
    out.push(text.slice(from, p));
    from = p;
  }
  out.push(text.slice(from));
  return out;
}

// ---------------------------------------------------------------------------------------
// The oracle

function read(chunks: string[], wanted: string[], limits: JsonLimits = UNLIMITED): JsonResult {
  const r = createJsonReader(wanted, limits);
  for (const c of chunks) r.write(c);
  return r.end();
}

function validUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * What JSON.parse says of the bytes: valid or not, and, for UTF-8 input, the expected value
 * of each wanted name (undefined: absent; names whose UTF-8 form two keys share are skipped).
 */
function oracle(
  text: string,
  wanted: string[],
): { valid: boolean; members?: Map<string, JsonScalar | undefined>; objects?: string[]; ambiguous?: string[] } {
  try {
    JSON.parse(text);
  } catch {
    return { valid: false };
  }
  const utf8 = validUtf8(bytesOf(text));
  if (utf8 === undefined) return { valid: true };
  const v: unknown = JSON.parse(utf8);
  const members = new Map<string, JsonScalar | undefined>();
  const objects: string[] = [];
  const ambiguous: string[] = [];
  const obj = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as { [k: string]: unknown }) : {};
  const byBytes = new Map<string, string[]>();
  for (const k of Object.keys(obj)) byBytes.set(u8(k), (byBytes.get(u8(k)) || []).concat(k));
  for (const name of wanted) {
    const keys = byBytes.get(name) || [];
    if (keys.length > 1) {
      ambiguous.push(name); // two keys with the same bytes: JSON.parse kept both apart
      continue;
    }
    const m = keys.length ? obj[keys[0]] : undefined;
    members.set(name, typeof m === "string" ? u8(m) : m === null || typeof m === "number" || typeof m === "boolean" ? m : undefined);
    if (m !== null && typeof m === "object" && !objects.includes(name)) objects.push(name);
  }
  return { valid: true, members, objects, ambiguous };
}

function agree(text: string, wanted: string[], got: JsonResult): void {
  const want = oracle(text, wanted);
  expect({ text, valid: got.ok }).toEqual({ text, valid: want.valid });
  if (!got.ok || !want.members) return;
  for (const [name, value] of want.members) {
    const own = Object.prototype.hasOwnProperty.call(got.members, name);
    expect({ text, name, own, value: own ? got.members[name] : undefined }).toEqual({ text, name, own: value !== undefined, value });
  }
  for (const name of Object.keys(got.members)) expect(wanted).toContain(name);
  if (want.objects) {
    const known = (names: string[]) => names.filter((n) => !(want.ambiguous || []).includes(n)).sort();
    expect({ text, objects: known(got.objects) }).toEqual({ text, objects: known(want.objects) });
  }
}

// ---------------------------------------------------------------------------------------

describe("the reader agrees with JSON.parse", () => {
  it("on random valid documents, in random chunks", () => {
    fc.assert(
      fc.property(validText.chain((v) => fc.tuple(fc.constant(v), wantedNames(v.keys), cuts)), ([v, wanted, at]) => {
        const got = read(chunked(v.text, at), wanted);
        expect(got.ok ? "ok" : got.error).toBe("ok");
        agree(v.text, wanted, got);
      }),
      { numRuns: 1500 },
    );
  });

  it("on random byte mutations of them", () => {
    fc.assert(
      fc.property(validText.chain((v) => fc.tuple(fc.constant(v), wantedNames(v.keys), fc.array(mutation, { minLength: 1, maxLength: 3 }), cuts)),
        ([v, wanted, muts, at]) => {
          const text = mutate(v.text, muts);
          agree(text, wanted, read(chunked(text, at), wanted));
        }),
      { numRuns: 4000 },
    );
  });

  it("on random bytes from the JSON alphabet", () => {
    const text = fc.array(fc.constantFrom(...BYTES_OF_INTEREST), { maxLength: 24 }).map((a) => a.join(""));
    fc.assert(fc.property(text, cuts, (t, at) => agree(t, ["a", "é"], read(chunked(t, at), ["a", "é"]))), { numRuns: 3000 });
  });

  it("on deep nesting, and the depth limit holds", () => {
    const nest = fc.tuple(fc.array(fc.constantFrom("[", '{"a":'), { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 80 }), cuts);
    fc.assert(
      fc.property(nest, ([opens, maxDepth, at]) => {
        const text = opens.join("") + "1" + opens.slice().reverse().map((o) => (o === "[" ? "]" : "}")).join("");
        const got = read(chunked(text, at), ["a"], { ...UNLIMITED, maxDepth });
        if (opens.length <= maxDepth) return agree(text, ["a"], got);
        // the opening bracket one too deep
        const offset = opens.slice(0, maxDepth).join("").length;
        expect(got).toEqual({ ok: false, error: `depth limit ${maxDepth} exceeded at ${offset}`, at: offset });
      }),
      { numRuns: 500 },
    );
  });

  it("under random small limits, it agrees, or fails on a limit that the input passes", () => {
    const limits = fc.record({
      maxBytes: fc.integer({ min: 1, max: 400 }),
      maxDepth: fc.integer({ min: 0, max: 6 }),
      maxString: fc.integer({ min: 0, max: 12 }),
    });
    fc.assert(
      fc.property(validText.chain((v) => fc.tuple(fc.constant(v), wantedNames(v.keys), limits, cuts)), ([v, wanted, lim, at]) => {
        const text = v.text;
        const got = read(chunked(text, at), wanted, { ...lim, maxMembers: 16 });
        if (got.ok) return agree(text, wanted, got);
        const m = /^(byte|depth|string) limit (\d+) exceeded at (\d+)$/.exec(got.error);
        if (!m) throw new Error(`a valid text failed on something else than a limit: ${got.error}`);
        const offset = Number(m[3]);
        if (m[1] === "byte") {
          expect([Number(m[2]), offset]).toEqual([lim.maxBytes, lim.maxBytes]);
          expect(text.length).toBeGreaterThan(lim.maxBytes);
        } else if (m[1] === "depth") {
          expect(Number(m[2])).toBe(lim.maxDepth);
          expect(["[", "{"]).toContain(text[offset]);
          expect(depthBefore(text, offset)).toBe(lim.maxDepth);
        } else {
          expect(Number(m[2])).toBe(lim.maxString);
          expect(depthBefore(text, offset)).toBe(1);
          expect(valueLength(text, offset)).toBeGreaterThan(lim.maxString);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

/** Open brackets before text[i] in a valid text, skipping strings. */
function depthBefore(text: string, i: number): number {
  let d = 0;
  for (let k = 0; k < i; k++) {
    const c = text[k];
    if (c === '"') k += (/^"(?:[^"\\]|\\.)*"/.exec(text.slice(k)) as RegExpExecArray)[0].length - 1;
    else if (c === "[" || c === "{") d++;
    else if (c === "]" || c === "}") d--;
  }
  return d;
}

/** Bytes a reader keeps of the string or number at text[i]: unescaped UTF-8, or the number's text. */
function valueLength(text: string, i: number): number {
  if (text[i] !== '"') return (/^-?[0-9.eE+-]+/.exec(text.slice(i)) as RegExpExecArray)[0].length;
  const literal = (/^"(?:[^"\\]|\\.)*"/.exec(text.slice(i)) as RegExpExecArray)[0];
  return u8(JSON.parse(Buffer.from(literal, "latin1").toString("utf8"))).length;
}
