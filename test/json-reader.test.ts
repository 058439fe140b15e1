// firmware/json/reader.ts in Node: the hand-written cases of test/fixtures/json/cases.ts, each
// fed whole, in every possible two-chunk split and in one-byte chunks, with the same result
// every way; and the reader's contract with its caller (write after a failure, end).
import { describe, expect, it } from "vitest";
import { createJsonReader, type JsonLimits, type JsonResult } from "../firmware/json/reader.ts";
import { CASES, feeds, type JsonCase } from "./fixtures/json/cases.ts";

function readChunks(chunks: string[], wanted: string[], limits?: JsonLimits): JsonResult {
  const reader = createJsonReader(wanted, limits);
  for (const chunk of chunks) reader.write(chunk);
  return reader.end();
}

function expected(c: JsonCase): JsonResult {
  if (c.error === undefined) return { ok: true, members: c.members || {}, objects: c.objects || [] };
  return { ok: false, error: c.error, at: Number(c.error.slice(c.error.lastIndexOf(" at ") + 4)) };
}

/** What JSON.parse says of the bytes read as Latin-1 (the same grammar as bytes). */
function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("hand-written cases (RFC 8259)", () => {
  for (const c of CASES) {
    it(`${c.error ? "rejects" : "reads"}: ${c.name}`, () => {
      const want = expected(c);
      for (const feed of feeds(c.text)) {
        // toEqual tells 0 from -0
        expect({ feed: feed.how, result: readChunks(feed.chunks, c.wanted, c.limits) }).toEqual({ feed: feed.how, result: want });
      }
    });
  }

  it("agree with JSON.parse on which texts are valid (cases without a limit error)", () => {
    for (const c of CASES) {
      if (c.error && / limit /.test(c.error)) continue;
      expect({ name: c.name, valid: parses(c.text) }).toEqual({ name: c.name, valid: c.error === undefined });
    }
  });

  it("cover each kind of error and every escape", () => {
    const errors = CASES.map((c) => c.error || "");
    for (const kind of ["unexpected '", "unexpected end", "unterminated string", "depth limit", "byte limit", "string limit", "member limit"]) {
      expect(errors.some((e) => e.startsWith(kind))).toBe(true);
    }
    const texts = CASES.filter((c) => !c.error).map((c) => c.text).join("");
    for (const esc of ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u"]) expect(texts.includes(esc)).toBe(true);
  });
});

describe("the reader's contract", () => {
  it("write returns true while the input is valid so far, false from the first error on", () => {
    const r = createJsonReader(["a"]);
    expect(r.write('{"a":')).toBe(true);
    expect(r.write('"x"')).toBe(true);
    expect(r.write("}}")).toBe(false);
    expect(r.write("")).toBe(false);
    expect(r.write(" ")).toBe(false);
    expect(r.end()).toEqual({ ok: false, error: "unexpected '}' at 9", at: 9 });
  });

  it("the input is over at end(): later writes are refused and end() gives the same result", () => {
    const r = createJsonReader(["a"]);
    expect(r.write('{"a":1}')).toBe(true);
    const first = r.end();
    expect(first).toEqual({ ok: true, members: { a: 1 }, objects: [] });
    expect(r.write("x")).toBe(false);
    expect(r.end()).toBe(first);
    expect(first).toEqual({ ok: true, members: { a: 1 }, objects: [] });
  });

  it("refuses __proto__ as a wanted name (storing it aborts the interpreter) and limits below 0", () => {
    const proto = createJsonReader(["a", "__proto__"]);
    expect(proto.write('{"__proto__":null,"a":1}')).toBe(false);
    expect(proto.end()).toEqual({ ok: false, error: "wanted name __proto__ refused at 0", at: 0 });
    for (const limits of [{ maxDepth: -1 }, { maxBytes: -5 }, { maxString: NaN }, { maxMembers: -1 }]) {
      expect(createJsonReader(["a"], limits).end()).toEqual({ ok: false, error: "limit below 0 at 0", at: 0 });
    }
  });

  it("reads a __proto__ key in the reply as any other key it was not asked for", () => {
    expect(readChunks(['{"__proto__":{"a":2},"a":1}'], ["a"])).toEqual({ ok: true, members: { a: 1 }, objects: [] });
  });

  it("offsets count bytes across chunks", () => {
    const r = createJsonReader([]);
    r.write("[1,2,");
    r.write("  3,");
    expect(r.write("4,x]")).toBe(false);
    expect(r.end()).toEqual({ ok: false, error: "unexpected 'x' at 11", at: 11 });
  });

  it("truncated input gives an error, never the members read so far", () => {
    const text = '{"access_token":"abc","expires_in":3599,"token_type":"Bearer"}';
    for (let k = 0; k < text.length; k++) {
      const got = readChunks([text.slice(0, k)], ["access_token", "expires_in"]);
      expect(got.ok).toBe(false);
    }
    expect(readChunks([text], ["access_token", "expires_in"])).toEqual({ ok: true, members: { access_token: "abc", expires_in: 3599 }, objects: [] });
  });

  it("the byte limit counts all chunks and stops reading at the limit", () => {
    const r = createJsonReader([], { maxBytes: 10 });
    expect(r.write('["abc",')).toBe(true);
    expect(r.write('"def"]')).toBe(false);
    expect(r.end()).toEqual({ ok: false, error: "byte limit 10 exceeded at 10", at: 10 });
  });

  it("a value of 2 KB, an access token's size, is read whole under the default limits", () => {
    const token = "ya29." + "x".repeat(2043);
    const body = JSON.stringify({ access_token: token, expires_in: 3599, id_token: "e".repeat(8000) });
    const chunks = body.match(/[^]{1,512}/g) || [];
    expect(readChunks(chunks, ["access_token", "expires_in"])).toEqual({ ok: true, members: { access_token: token, expires_in: 3599 }, objects: [] });
  });

  it("default limits: 32 KB of input, depth 32, 4 KB strings, 16 members", () => {
    expect(readChunks(['"' + "x".repeat(32766) + '"'], [])).toEqual({ ok: true, members: {}, objects: [] });
    expect(readChunks(['"' + "x".repeat(32767) + '"'], []).ok).toBe(false);
    expect(readChunks(["[".repeat(32) + "]".repeat(32)], [])).toEqual({ ok: true, members: {}, objects: [] });
    expect(readChunks(['{"a":"' + "x".repeat(4096) + '"}'], ["a"]).ok).toBe(true);
    expect(readChunks(['{"a":"' + "x".repeat(4097) + '"}'], ["a"])).toEqual({ ok: false, error: "string limit 4096 exceeded at 5", at: 5 });
    expect(readChunks(["{}"], Array.from({ length: 16 }, (_, k) => "m" + k)).ok).toBe(true);
  });
});

/** `wanted` read from `text` fed in every two-chunk split: each must give the same result. */
function readEverySplit(text: string, wanted: string[]): JsonResult {
  const whole = readChunks([text], wanted);
  for (let k = 1; k < text.length; k++) expect(readChunks([text.slice(0, k), text.slice(k)], wanted)).toEqual(whole);
  return whole;
}

describe("members one level down (\"outer.inner\")", () => {
  const settings =
    '{"user":{"name":"Alice Example","joined_at":"2020-01-01","avatar":"x","n":{"name":"deep"}},' +
    '"account":{"id":42,"type":"free"},"connected":{"trakt":true}}';

  it("reads a member of a top-level member's object, as Simkl's /users/settings nests the name", () => {
    const r = readEverySplit(settings, ["user.name", "account.id", "account.type"]);
    expect(r).toEqual({ ok: true, members: { "user.name": "Alice Example", "account.id": 42, "account.type": "free" }, objects: [] });
  });

  it("goes one level down only: deeper members of the same name are not taken", () => {
    const r = readEverySplit('{"user":{"n":{"name":"deep"}},"x":{"user":{"name":"no"}}}', ["user.name", "user.n"]);
    expect(r).toEqual({ ok: true, members: {}, objects: ["user.n"] });
  });

  it("does not reach into arrays, or into an object that is not the named member's", () => {
    const r = readEverySplit('{"user":[{"name":"a"}],"other":{"name":"b"},"list":[1,{"user":{"name":"c"}}]}', ["user.name"]);
    expect(r).toEqual({ ok: true, members: {}, objects: [] });
  });

  it("takes the last duplicate of the outer member, as JSON.parse does", () => {
    expect(readEverySplit('{"user":{"name":"a"},"user":5}', ["user.name"])).toEqual({ ok: true, members: {}, objects: [] });
    expect(readEverySplit('{"user":{"name":"a"},"user":{"id":1}}', ["user.name", "user.id"])).toEqual({
      ok: true,
      members: { "user.id": 1 },
      objects: [],
    });
    const again = readEverySplit('{"user":{"name":"a","name":"b"}}', ["user.name"]);
    expect(again).toEqual({ ok: true, members: { "user.name": "b" }, objects: [] });
  });

  it("keeps top-level members beside the nested ones, and escaped keys match after unescaping", () => {
    const r = readEverySplit('{"result":"OK","u\\u0073er":{"n\\u0061me":"\\u00e9"}}', ["result", "user.name"]);
    expect(r).toEqual({ ok: true, members: { result: "OK", "user.name": "\xc3\xa9" }, objects: [] });
  });

  it("still fails on broken input inside the object it reaches into", () => {
    const r = readChunks(['{"user":{"name":"a",}}'], ["user.name"]);
    expect(r.ok).toBe(false);
  });
});
