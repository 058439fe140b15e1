// A streaming JSON reader for provider replies (RFC 8259). The body is fed chunk by chunk as
// the HTTP client delivers it; the reader validates all of it and keeps only the wanted
// members of the top-level object (and, named "member.name", of an object one level down),
// so memory held does not grow with what it skips.
//
// Input is a byte string (one char a byte, as Espruino's HTTP client gives on the ESP32);
// captured strings are byte strings too: raw UTF-8 passes through, a \uXXXX escape comes out
// as its UTF-8 bytes. It accepts exactly what JSON.parse accepts.
//
// Speed on the device. Espruino interprets the source text itself: every statement it passes
// over is lexed again, even in a branch not taken or after `continue` in a loop (measured:
// ~20 ns a source byte on a PC), while `return` leaves a function at once. So the main loop is
// one line that calls a small function per token, each function puts its common cases first
// and returns from them, and the commonest sequences (`,"key":` and `"key":"`) are taken in
// one call. String contents are crossed with indexOf/RegExp, never char by char, and the
// positions found are kept until passed, so each byte is searched once.
//
// Memory (measured on the interpreter): a live reader holds about 380 JsVars, mostly its
// functions' code (about 220 when the bundle runs from Storage, whose code stays in flash),
// plus the values it keeps; the same after 1 KB as after 64 KB. All of it goes with the reader.

export type JsonScalar = string | number | boolean | null;

/**
 * Limits; going past one fails the reader with an error naming it. The defaults suit the
 * device: only kept values cost memory that grows (a skipped body costs none), so the byte
 * limit bounds time, not memory.
 */
export interface JsonLimits {
  /** Bytes of input. Default 32768: a token reply with an id_token of several KB is < 8 KB. */
  maxBytes?: number;
  /** Nesting of objects and arrays. Default 32: replies nest 2 or 3 deep; 1 byte a level, at most 1024. */
  maxDepth?: number;
  /**
   * Bytes of one kept value: a string after unescaping, or a number's text. Default 4096: an
   * access token can be 2 KB; this bounds what a wanted member may cost.
   */
  maxString?: number;
  /** Number of wanted names. Default 16: a device-flow or token reply has about 8 members. */
  maxMembers?: number;
  /**
   * A \u00XX escape is the byte XX (as the device's own JSON.stringify writes a byte >= 0x7F
   * of a byte string, and its JSON.parse reads it), not the UTF-8 of U+00XX. For text the
   * device wrote itself (the token record); a reply from a server is UTF-8 (RFC 8259 §8.1).
   */
  bytes?: boolean;
}

/**
 * `members`: the wanted members whose (last) value is a scalar: a top-level member by its
 * name, a member of a top-level member's object as "outer.inner". `objects`: the
 * wanted names whose last value is an object or array, so a caller can tell "not a string"
 * from "missing". Look members up by the names asked for: the object has Object's prototype
 * (Espruino's Object.create(null) keeps it too), so `members.constructor` is never absent.
 */
export type JsonResult =
  | { ok: true; members: { [name: string]: JsonScalar }; objects: string[] }
  | { ok: false; error: string; at: number };

export interface JsonReader {
  /**
   * Feeds the next chunk. Returns false once the reader has failed (caller may abort the
   * request), and after end(): the input is over, whatever comes later.
   */
  write(chunk: string): boolean;
  /** Ends the input: the wanted members found, or the first error. Again: the same result. */
  end(): JsonResult;
}

// Parser states, in the order the write loop tests them (`st < St.Number`: between tokens;
// `st > St.Failed`: in a string).
const enum St {
  Value, // a value is due
  ArrayStart, // after '[': a value or ']'
  Key, // after ',' in an object: a key is due
  ObjectStart, // after '{': a key or '}'
  Colon,
  After, // after a value: ',' or the container's close; at depth 0 only whitespace
  Number,
  Literal,
  Failed,
  KeyString,
  ValueString,
}

// Where a number is in the grammar of RFC 8259 §6. The first four may end the number.
const enum Num {
  Zero = 1, // "0" or "-0"
  Int, // 1-9 then digits
  Frac, // digits after '.'
  Exp, // digits after 'e'
  Minus,
  Dot,
  E,
  ESign,
}

const OBJECT = 1;
const ARRAY = 2;

/**
 * What ends a run of plain bytes in a string besides the quote: a backslash, or a control
 * character U+0000..U+001F, which must be escaped: RFC 8259 §7. (Espruino's RegExp takes
 * \x00 in a class; measured.)
 */
const SPECIAL = /[\\\x00-\x1f]/g;
/** Anything but whitespace: RFC 8259 §2. */
const NOT_SPACE = /[^ \t\n\r]/g;
/** The two-character escapes of RFC 8259 §7 (after the backslash) and what they stand for. */
const ESCAPED = "\"\\/bfnrt";
const UNESCAPED = "\"\\/\b\f\n\r\t";
/** U+FFFD in UTF-8: what a lone surrogate escape becomes (as Node's UTF-8 encoder does). */
const REPLACEMENT = "\xef\xbf\xbd";

/** A byte for an error message: itself if printable ASCII, else \xNN. */
function shown(c: number): string {
  return "'" + (c > 31 && c < 127 ? String.fromCharCode(c) : "\\x" + (256 + c).toString(16).substr(1)) + "'";
}

/** The UTF-8 bytes of a code point: RFC 3629 §3. */
function utf8(u: number): string {
  if (u < 0x80) return String.fromCharCode(u);
  if (u < 0x800) return String.fromCharCode(0xc0 | (u >> 6), 0x80 | (u & 63));
  if (u < 0x10000) return String.fromCharCode(0xe0 | (u >> 12), 0x80 | ((u >> 6) & 63), 0x80 | (u & 63));
  return String.fromCharCode(0xf0 | (u >> 18), 0x80 | ((u >> 12) & 63), 0x80 | ((u >> 6) & 63), 0x80 | (u & 63));
}

/** Value of a hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c > 47 && c < 58) return c - 48;
  c |= 32;
  return c > 96 && c < 103 ? c - 87 : -1;
}

/** Value of four hex digits at s[i], or -1. */
function hex4(s: string, i: number): number {
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const h = hexDigit(s.charCodeAt(k));
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/** Most significant digits a number is read to: a double holds 17; more are noise. */
const DIGITS = 20;

/**
 * The value of a JSON number's text (RFC 8259 §6). Short plain numbers (the usual interval,
 * expires_in) go to parseFloat as they are. Others are first brought to the form
 * 0.<at most 20 digits>e<exponent>, with the exponent clamped: the device's parseFloat
 * throws on 69 characters or more and wraps exponents past 2^31 (measured on 2v29:
 * "1e4294967297" gives 10). The device's parseFloat is exact for integers but can be some
 * units in the last place off for large exponents (2v29: 1.6777040384489385e173 by 12):
 * that is the interpreter's, and no reply the device reads carries such a number.
 */
function numberValue(t: string): number {
  let e = t.indexOf("e");
  if (e < 0) e = t.indexOf("E");
  if (e < 0 && t.length <= 15) return parseFloat(t);
  const neg = t.charCodeAt(0) === 45;
  let mantissa = e < 0 ? t : t.substring(0, e);
  if (neg) mantissa = mantissa.substr(1);
  let exp = 0;
  if (e >= 0) {
    let k = e + 1;
    const sign = t.charCodeAt(k);
    if (sign === 43 || sign === 45) k++;
    while (k < t.length - 1 && t.charCodeAt(k) === 48) k++;
    exp = t.length - k > 6 ? 999999 : parseInt(t.substr(k), 10);
    if (sign === 45) exp = -exp;
  }
  // value = 0.<digits> × 10^scale
  const dot = mantissa.indexOf(".");
  let digits = dot < 0 ? mantissa : mantissa.substring(0, dot) + mantissa.substr(dot + 1);
  let scale = (dot < 0 ? mantissa.length : dot) + exp;
  let z = 0;
  while (z < digits.length && digits.charCodeAt(z) === 48) z++;
  digits = digits.substr(z, DIGITS);
  scale -= z;
  // Through parseFloat even for zero: -0 is a float, and the device's integers have no -0.
  const sign = neg ? "-" : "";
  if (!digits.length || scale < -400) return parseFloat(sign + "0");
  return parseFloat(sign + (scale > 400 ? "Infinity" : "0." + digits + "e" + scale));
}

/** A limit as given (a whole number ≥ 0, at most `most`), its default if not given, or -1. */
function limitOf(given: number | undefined, dflt: number, most: number): number {
  if (given === undefined) return dflt;
  return given >= 0 ? Math.min(Math.floor(given), most) : -1;
}

/** A member's value when it is a string, else "" (for reading replies and stored records). */
export function stringOf(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export function createJsonReader(wanted: string[], limits?: JsonLimits): JsonReader {
  // The hottest state first: the interpreter finds a closure variable by a linear search.
  let st = St.Value;
  /** The chunk being read, and where its usable part ends. */
  let S = "";
  let N = 0;
  let depth = 0;
  /** Next quote, and next backslash or control character, in S (N: none), as last searched. */
  let quote = 0;
  let special = 0;
  /** Whether the current string, number or literal is kept (a wanted value or a top-level key). */
  let keep = false;
  /** Whether the current string is a key. */
  let inKey = false;
  /** What is kept of it so far: bytes of a string, text of a number. */
  let text = "";
  /** Bytes fed before the current chunk. */
  let seen = 0;
  /** Index in `wanted` of the member whose value comes next, or -1. */
  let want = -1;
  /** The last top-level key (when short enough to be wanted). */
  let top = "";
  /** "name." while inside the object of a top-level member `name` that a dotted wanted name reaches into, else "". */
  let prefix = "";
  /** Offset of the current string's opening quote, or of the current number's first byte. */
  let start = 0;
  /** Where the current number starts in S (0 when it began in an earlier chunk). */
  let from = 0;
  let num = 0;
  /** Escape in progress: 0 none, 1 after the backslash, 2..5 hex digits of \u read + 2. */
  let escape = 0;
  let code = 0;
  /** A high surrogate escape waiting for its low half (only while keeping). */
  let high = 0;
  let literal = "";
  let literalAt = 0;
  let error = "";
  let errorAt = 0;

  const lim = limits || {};
  const maxBytes = limitOf(lim.maxBytes, 32768, 1e9);
  const maxDepth = limitOf(lim.maxDepth, 32, 1024);
  const maxString = limitOf(lim.maxString, 4096, 1e9);
  const maxMembers = limitOf(lim.maxMembers, 16, 1e4);
  const bytes = !!lim.bytes;
  /** A key longer than every wanted name cannot match: it is not kept past this length. */
  let keyMax = 0;
  /** Whether a wanted name reaches into a member's object ("user.name"). */
  let dotted = false;
  for (let k = 0; k < wanted.length; k++) {
    if (wanted[k].length > keyMax) keyMax = wanted[k].length;
    if (wanted[k].indexOf(".") > 0) dotted = true;
  }
  const members: { [name: string]: JsonScalar } = {};
  const objects: string[] = [];
  /** Kind of each open container, OBJECT or ARRAY, at depth 1..maxDepth. */
  const stack = new Uint8Array(Math.max(maxDepth, 0) + 1);
  let result: JsonResult | null = null;

  /** Records the first error; returns N, which ends the chunk's loop. */
  function fail(reason: string, at: number): number {
    error = reason + " at " + at;
    errorAt = at;
    st = St.Failed;
    return N;
  }

  function unexpected(i: number): number {
    return fail("unexpected " + shown(S.charCodeAt(i)), seen + i);
  }

  /** Appends bytes to the kept text; false once a value is over its limit. */
  function put(bytes: string): boolean {
    if (high) {
      high = 0;
      bytes = REPLACEMENT + bytes;
    }
    text += bytes;
    if (inKey) {
      // too long to be wanted: stop keeping it
      if (text.length > keyMax) {
        keep = false;
        text = "";
      }
    } else if (text.length > maxString) {
      fail("string limit " + maxString + " exceeded", start);
      return false;
    }
    return true;
  }

  /** Appends the code point of a \u escape, joining surrogate pairs: RFC 8259 §7. */
  function putCode(u: number): boolean {
    if (bytes && u < 0x100) return put(String.fromCharCode(u));
    if (high && u >= 0xdc00 && u < 0xe000) {
      u = 0x10000 + ((high - 0xd800) << 10) + u - 0xdc00;
      high = 0;
    } else if (u >= 0xd800 && u < 0xdc00) {
      if (!put("")) return false;
      high = u;
      return true;
    } else if (u >= 0xd800 && u < 0xe000) u = 0xfffd;
    return put(utf8(u));
  }

  /**
   * The value of top-level member `top` begins (an object when `into`): wanted names
   * "top.x" are read inside it. As with JSON.parse, a later duplicate of the member replaces
   * what an earlier one gave.
   */
  function reach(into: boolean): void {
    prefix = "";
    if (!top) return;
    const p = top + ".";
    for (let k = 0; k < wanted.length; k++) {
      if (wanted[k].indexOf(p) === 0) {
        if (into) prefix = p;
        delete members[wanted[k]];
        const o = objects.indexOf(wanted[k]);
        if (o >= 0) objects.splice(o, 1);
      }
    }
  }

  /** A scalar value is complete. */
  function scalar(v: JsonScalar): void {
    if (keep) {
      members[wanted[want]] = v;
      const o = objects.indexOf(wanted[want]);
      if (o >= 0) objects.splice(o, 1);
    }
    keep = false;
    text = "";
    st = St.After;
  }

  /** The number ends before S[i] (i = N: at the end of the input); false if incomplete. */
  function endNumber(i: number): boolean {
    if (num > Num.Exp) {
      if (i < N) unexpected(i);
      else fail("unexpected end", seen);
      return false;
    }
    // Not Number(): on the device it wraps above 2^63 and gives NaN for "0e0".
    scalar(keep ? numberValue(text) : 0);
    return true;
  }

  function keyAt(i: number): number {
    st = St.KeyString;
    inKey = true;
    keep = depth === 1 || (depth === 2 && prefix !== "");
    start = seen + i;
    return str(i + 1);
  }

  function space(i: number): number {
    const c = S.charCodeAt(++i);
    // one space is common; a longer run is crossed natively
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    NOT_SPACE.lastIndex = i;
    const m = NOT_SPACE.exec(S);
    return m && m.index < N ? m.index : N;
  }

  /** Inside a string: a run of plain bytes, then the closing quote or an escape. */
  function str(i: number): number {
    if (escape) return esc(i);
    if (quote < i) {
      quote = S.indexOf('"', i);
      if (quote < 0) quote = N;
    }
    if (special < i) {
      SPECIAL.lastIndex = i;
      const m = SPECIAL.exec(S);
      special = m ? m.index : N;
    }
    let e = quote < special ? quote : special;
    if (e > N) e = N;
    if (keep && e > i && !put(S.substring(i, e))) return N;
    if (e === N) return N;
    if (e === special) {
      if (S.charCodeAt(e) !== 92) return unexpected(e);
      escape = 1;
      return e + 1 < N ? esc(e + 1) : N;
    }
    i = e + 1;
    if (keep && high && !put("")) return N;
    high = 0;
    if (!inKey) {
      if (keep) scalar(text);
      else st = St.After;
      return i;
    }
    // only keys of the top-level object and of a reached-into member are kept, compared after unescaping
    if (depth === 1) {
      top = keep ? text : "";
      want = keep ? wanted.indexOf(text) : -1;
    } else want = keep ? wanted.indexOf(prefix + text) : -1;
    text = "";
    keep = false;
    st = St.Colon;
    // most often the colon and the value follow at once
    if (i + 1 < N && S.charCodeAt(i) === 58) {
      st = St.Value;
      return value(S.charCodeAt(i + 1), i + 1);
    }
    return i;
  }

  /** The byte after a backslash, or a hex digit of \uXXXX: RFC 8259 §7. */
  function esc(i: number): number {
    const c = S.charCodeAt(i);
    if (escape > 1) {
      const h = hexDigit(c);
      if (h < 0) return unexpected(i);
      code = code * 16 + h;
      if (++escape === 6) {
        escape = 0;
        if (keep && !putCode(code)) return N;
      }
    } else if (c === 117) {
      // the four hex digits at once when the chunk holds them
      code = i + 4 < N ? hex4(S, i + 1) : -1;
      if (code < 0) {
        escape = 2;
        code = 0;
        return i + 1;
      }
      escape = 0;
      if (keep && !putCode(code)) return N;
      return i + 5;
    } else {
      const k = ESCAPED.indexOf(S.charAt(i));
      if (k < 0) return unexpected(i);
      escape = 0;
      if (keep && !put(UNESCAPED.charAt(k))) return N;
    }
    return i + 1;
  }

  /** Bytes of a number: RFC 8259 §6. */
  function numb(i: number): number {
    let c = 0;
    while (i < N) {
      c = S.charCodeAt(i);
      if (c > 47 && c < 58) {
        // no digit after a leading zero: that zero is the whole integer part
        if (num === Num.Zero) break;
        if (num > Num.Exp) num = num === Num.Minus ? (c === 48 ? Num.Zero : Num.Int) : num === Num.Dot ? Num.Frac : Num.Exp;
      } else if (c === 46 && num < Num.Frac) num = Num.Dot;
      else if ((c === 101 || c === 69) && num < Num.Exp) num = Num.E;
      else if ((c === 43 || c === 45) && num === Num.E) num = Num.ESign;
      else break;
      i++;
    }
    if (keep) {
      text += S.substring(from, i);
      if (text.length > maxString) return fail("string limit " + maxString + " exceeded", start);
    }
    if (i === N) return i;
    if (keep || num > Num.Exp) return endNumber(i) ? i : N;
    st = St.After;
    return i;
  }

  /** The rest of true, false or null, byte by byte (their start is matched whole). */
  function lit(i: number): number {
    if (S.charCodeAt(i) !== literal.charCodeAt(literalAt)) return unexpected(i);
    if (++literalAt === literal.length) scalar(literal === "null" ? null : literal === "true");
    return i + 1;
  }

  /** The first byte of a value (st is St.Value or St.ArrayStart): RFC 8259 §3. */
  function value(c: number, i: number): number {
    // only member values of the top-level object and of a reached-into member are kept
    keep = depth < 3 && want >= 0;
    if (dotted && depth === 1) reach(c === 123);
    start = seen + i;
    if (c === 34) {
      st = St.ValueString;
      inKey = false;
      return str(i + 1);
    }
    if (c === 45 || (c > 47 && c < 58)) {
      st = St.Number;
      num = c === 45 ? Num.Minus : c === 48 ? Num.Zero : Num.Int;
      from = i;
      return numb(i + 1);
    }
    if (c === 123 || c === 91) {
      // a wanted member that is an object or array is not a scalar: drop an earlier value
      if (keep) {
        delete members[wanted[want]];
        if (objects.indexOf(wanted[want]) < 0) objects.push(wanted[want]);
      }
      keep = false;
      want = -1;
      if (depth === maxDepth) return fail("depth limit " + maxDepth + " exceeded", seen + i);
      stack[++depth] = c === 123 ? OBJECT : ARRAY;
      st = c === 123 ? St.ObjectStart : St.ArrayStart;
      return i + 1;
    }
    if (c === 116 || c === 102 || c === 110) {
      literal = c === 116 ? "true" : c === 102 ? "false" : "null";
      if (i + literal.length <= N && S.substr(i, literal.length) === literal) {
        if (keep) scalar(c === 110 ? null : c === 116);
        else st = St.After;
        return i + literal.length;
      }
      st = St.Literal;
      literalAt = 1;
      return i + 1;
    }
    keep = false;
    if (c === 93 && st === St.ArrayStart) {
      depth--;
      st = St.After;
      return i + 1;
    }
    if (c === 32 || c === 10 || c === 13 || c === 9) return space(i);
    return unexpected(i);
  }

  /** A byte between tokens: structure or whitespace. */
  function tok(i: number): number {
    const c = S.charCodeAt(i);
    if (st === St.After) {
      if (c === 44 && depth) {
        if (++i === N) {
          st = stack[depth] === ARRAY ? St.Value : St.Key;
          return i;
        }
        if (stack[depth] === ARRAY) {
          st = St.Value;
          return value(S.charCodeAt(i), i);
        }
        // in an object a key is due, most often at once: RFC 8259 §4
        if (S.charCodeAt(i) === 34) return keyAt(i);
        st = St.Key;
        return i;
      }
      if (c === 125 ? stack[depth] === OBJECT : c === 93 && stack[depth] === ARRAY) {
        depth--;
        return i + 1;
      }
    } else if (st < St.Key) return value(c, i);
    else if (st === St.Colon) {
      if (c === 58) {
        st = St.Value;
        return i + 1;
      }
    } else if (c === 34) return keyAt(i);
    else if (c === 125 && st === St.ObjectStart) {
      depth--;
      st = St.After;
      return i + 1;
    }
    if (c === 32 || c === 10 || c === 13 || c === 9) return space(i);
    return unexpected(i);
  }

  function write(chunk: string): boolean {
    if (result || st === St.Failed) return false;
    const over = seen + chunk.length > maxBytes;
    S = chunk;
    N = over ? maxBytes - seen : chunk.length;
    quote = special = -1;
    from = 0;
    let i = 0;
    while (i < N) i = st < St.Number ? tok(i) : st > St.Failed ? str(i) : st === St.Number ? numb(i) : lit(i);
    S = "";
    // (a cast: TypeScript does not see the calls above change st)
    if ((st as St) === St.Failed) return false;
    seen += N;
    if (over) fail("byte limit " + maxBytes + " exceeded", maxBytes);
    return !over;
  }

  function end(): JsonResult {
    if (result) return result;
    if (st === St.Number) endNumber(N);
    if (st > St.Failed) fail("unterminated string", start);
    else if (st !== St.Failed && (st !== St.After || depth)) fail("unexpected end", seen);
    result = st === St.Failed ? { ok: false, error: error, at: errorAt } : { ok: true, members: members, objects: objects };
    return result;
  }

  if (maxBytes < 0 || maxDepth < 0 || maxString < 0 || maxMembers < 0) fail("limit below 0", 0);
  else if (wanted.length > maxMembers) fail("member limit " + maxMembers + " exceeded", 0);
  // Storing a member named __proto__ aborts the interpreter (2v29: an ASSERT in jsvar.c).
  else if (wanted.indexOf("__proto__") >= 0) fail("wanted name __proto__ refused", 0);
  return { write: write, end: end };
}
