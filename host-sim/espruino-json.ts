// Espruino's JSON, as measured on the 2v29 interpreter (test/espruino-json.test.ts holds the
// facts). The device parses JSON with its JavaScript tokenizer, so JSON.parse is lenient (single
// quotes, 0x/0b/0o numbers, `.5`, comments, trailing commas and text) and has its own messages;
// Storage.readJSON is the same parser that also takes identifier keys. Storage.writeJSON writes
// identifier keys unquoted and escapes strings JavaScript-style (\xNN). Strings are byte strings.
// Compared on ~770 inputs and ~450 values, the device and this file agree except where V8 objects
// can't say what the device's can: keys come in V8's order (integer keys first; the device keeps
// insertion order); a repeated key is kept once with its first value (the device stores both and
// reads the first); writeJSON of Dates/RegExps/Errors inside a toJSON result or of an invalid Date
// (the device prints its internal fields). Numbers are the same doubles and the same digits, but a
// number literal in firmware source can be a different double on the device (6.02214076e23).

/** An error the device's parser raises: `kind` names the constructor the device throws. */
export class EspruinoJSONError extends Error {
  constructor(readonly kind: "SyntaxError" | "Error", message: string) { super(message); }
}
/** Constructors of the realm that parsed values should belong to (the board's vm context). */
export interface JSONRealm { Object: ObjectConstructor; Array: ArrayConstructor }
/** identifierKeys: readJSON's variant, keys may also be identifiers, reserved words or integers. */
export interface ParseOptions { identifierKeys: boolean; realm?: JSONRealm }

// Token numbers are the tokenizer's own, so a raw byte >= 0x80 outside a string is the token of
// that number, as on the device (0x80 reads as an empty ID, 0x81 as the integer 0, ...).
const EOF = 0, ID = 128, INT = 129, FLOAT = 130, STR = 131, TPL = 133, REGEX = 135, COMMENT = 137;
const SPECIAL = ["ID", "INT", "FLOAT", "STRING", "UNFINISHED STRING", "TEMPLATE LITERAL",
  "UNFINISHED TEMPLATE LITERAL", "REGEX", "UNFINISHED REGEX", "UNFINISHED COMMENT"];
const OPERATORS = ["==", "===", "!=", "!==", "<=", "<<", "<<=", ">=", ">>", ">>>", ">>=", ">>>=", "+=", "-=",
  "++", "--", "*=", "/=", "%=", "&=", "&&", "|=", "||", "^=", "=>"]; // tokens 138..162
const WORDS = ("if else do while for break continue function return var let const this throw try catch " +
  "finally true false null undefined new in instanceof switch case default delete typeof void debugger " +
  "class extends super static of").split(" "); // tokens 163..198, then 9 unused, then 208 "??"
const WORD0 = 163, TRUE = WORD0 + 17, FALSE = TRUE + 1, NULL = TRUE + 2, UNDEFINED = TRUE + 3;
const NULLISH = 208, RAW_STR8 = 209, RAW_STR16 = 210, RAW_INT0 = 211, RAW_INT8 = 212, RAW_INT16 = 213;
const isWord = (tk: number) => tk >= WORD0 && tk < WORD0 + WORDS.length;
/** Tokens after which `/` starts a regex rather than being a division (the tokenizer's rule). */
const REGEX_AFTER = "!%&*+-/<=>?[{}(,;:";

function tokenName(tk: number): string {
  if (tk === EOF) return "EOF";
  if (tk > 32 && tk < 128) return "'" + String.fromCharCode(tk) + "'";
  if (tk >= ID && tk <= COMMENT) return SPECIAL[tk - ID];
  if (tk === 255) return "[ERASED]";
  if (tk >= 138 && tk <= NULLISH) return tk === NULLISH ? "??" : tk < WORD0 ? OPERATORS[tk - 138] : WORDS[tk - WORD0] || "";
  return "?[" + tk + "]";
}

/** Espruino's string-to-integer: radix prefixes, a leading 0 means octal unless 8, 9 or '.' follow. */
function radixOf(s: string): [number, number] {
  if (s[0] !== "0") return [10, 0];
  const p = "oxb".indexOf((s[1] || "").toLowerCase());
  if (p >= 0) return [[8, 16, 2][p], 2];
  return [/^[0-7]*[.89]/.test(s.slice(1)) ? 10 : 8, 1];
}
function toInt(s: string): number {
  let [radix, i] = radixOf(s), v = 0n;
  for (let d; i < s.length && (d = parseInt(s[i], 36)) < radix; i++) v = BigInt.asIntN(64, v * BigInt(radix) + BigInt(d)); // a C long long: wraps
  return Number(v);
}
/** Espruino's string-to-float: digit by digit in doubles, then *10 or /10 per exponent step. */
function toFloat(s: string): number {
  const [radix, at] = radixOf(s);
  let i = at, v = 0, mul = 0.1;
  for (let d; i < s.length && (d = parseInt(s[i], 36)) < radix; i++) v = v * radix + d;
  if (radix === 10) {
    if (s[i] === ".") for (i++; /[0-9]/.test(s[i] || ""); i++, mul /= 10) v += mul * +s[i];
    const e = /^[eE]([-+]?)([0-9]*)/.exec(s.slice(i));
    // (Stopping at 0 or Infinity changes nothing but spares "1e999999999" a billion steps.)
    if (e) for (let n = +e[2], neg = e[1] === "-"; n > 0 && v && v !== Infinity; n--) v = neg ? v / 10 : v * 10;
    if (e) i += e[0].length;
  }
  return i === 0 || (s[0] === "." && i === 1) ? NaN : v;
}

/** Device strings are bytes: host text with characters above 0xFF is taken as its UTF-8. */
export const toBytes = (s: string) => (/[^\x00-\xff]/.test(s) ? Buffer.from(s, "utf8").toString("latin1") : s);

const FAIL = Symbol("no value"); // the parser gave up without necessarily raising an error

/** The device's parse: the value (possibly partial) and the first error raised, if any. */
export function parseEspruinoJSONDetailed(text: string, opts: ParseOptions): { value: unknown; error?: EspruinoJSONError } {
  const src = toBytes(text).split("\0")[0]; // a NUL byte ends the input for the tokenizer
  let pos = 0, tk = EOF, tok = "", str: string | number = "", error: EspruinoJSONError | undefined;
  const raise = (kind: "SyntaxError" | "Error", msg: string) => { if (!error) error = new EspruinoJSONError(kind, msg); };
  const ch = () => src[pos] || "";
  function lexString(delim: string): void {
    let out = "", last = delim, nest = 0, tpl = false;
    for (pos++; pos < src.length && (src[pos] !== delim || nest); ) {
      let c = src[pos];
      if (delim === "`" && (last === "$" || nest) && c === "{") { nest++; tpl = true; } else if (delim === "`" && nest && c === "}") nest--;
      if (!nest && c === "\\") {
        c = src[++pos] || "\0";
        const simple = "nbfrtv".indexOf(c);
        if (simple >= 0) { c = "\n\b\f\r\t\v"[simple]; pos++; }
        else if (c === "x" || c === "u") {
          let hex = ""; pos++;
          for (let n = c === "x" ? 2 : 4; n > 0; n--, pos++) {
            if (!/[0-9a-fA-F]/.test(ch())) { raise("Error", "Invalid escape sequence"); break; }
            hex += src[pos];
          }
          c = String.fromCharCode(parseInt(hex || "0", 16) & 255); // no Unicode build: \u keeps the low byte
        } else if (/[0-7]/.test(c)) {
          const oct = /^[0-7]{1,3}/.exec(src.slice(pos))![0];
          pos += oct.length; c = String.fromCharCode(parseInt(oct, 8) & 255);
        } else pos++;
      } else if (c === "\n" && delim !== "`") break;
      else pos++;
      out += c; last = c;
    }
    const kind = delim === "`" ? TPL : STR; // a template without ${} is a plain string
    tk = src[pos++] !== delim ? kind + 1 /* unfinished */ : kind === TPL && !tpl ? STR : kind;
    str = out;
  }
  function lexNumber(): void {
    // `.5`, `1.`, `1e` (exponent digits optional), 0x/0b/0o (any hex digits), `_` separators.
    const m = /^(\.[0-9][0-9_]*|0[xXbBoO][0-9a-fA-F_]*|[0-9_]+(\.[0-9_]*)?)([eE][-+]?[0-9_]*)?/.exec(src.slice(pos));
    if (!m) { pos++; tk = 46; return; } // a lone '.'
    const hex = /^0[xXbBoO]/.test(m[1]), text = hex ? m[1] : m[0];
    pos += text.length;
    tk = !hex && /[.eE]/.test(text) ? FLOAT : INT;
    tok = text.replace(/_/g, "").slice(0, 63); // the token buffer holds 63 chars
  }
  function next(): void {
    const lastTk = tk;
    tok = ""; str = "";
    for (;;) { // whitespace and comments
      while (/[\t\n\v\f\r ]/.test(ch())) pos++;
      if (src.startsWith("//", pos)) { const nl = src.indexOf("\n", pos); pos = nl < 0 ? src.length : nl + 1; }
      else if (src.startsWith("/*", pos)) {
        const end = src.indexOf("*/", pos + 2);
        if (end < 0) { pos = src.length; tk = COMMENT; return; }
        pos = end + 2;
      } else break;
    }
    const c = ch();
    if (!c) tk = EOF;
    else if (/[A-Za-z_$]/.test(c)) {
      const id = /^[A-Za-z0-9_$]+/.exec(src.slice(pos))![0], w = WORDS.indexOf(id);
      pos += id.length;
      tok = id.slice(0, 63);
      tk = w >= 0 ? WORD0 + w : ID;
    } else if (/[0-9.]/.test(c)) lexNumber();
    else if (c === '"' || c === "'" || c === "`") lexString(c);
    else if (c === "/" && (lastTk === EOF || REGEX_AFTER.includes(String.fromCharCode(lastTk)) ||
        (lastTk >= 138 && lastTk <= NULLISH && ![TRUE, FALSE, NULL, UNDEFINED].includes(lastTk)))) {
      const m = /^\/(\\[^]|[^\\/\n])*/.exec(src.slice(pos))![0];
      pos += m.length;
      tk = src[pos] === "/" ? REGEX : REGEX + 1;
      if (tk === REGEX) for (pos++; /[gimyu]/.test(ch()); ) pos++;
    } else {
      const op = [4, 3, 2].map((n) => src.substr(pos, n)).find((o) => OPERATORS.includes(o) || o === "??");
      if (op) { pos += op.length; tk = op === "??" ? NULLISH : 138 + OPERATORS.indexOf(op); return; }
      tk = c.charCodeAt(0); pos++;
      // Bytes that are pretokenised values: raw strings (length byte(s) then data) and integers.
      const byte = () => src.charCodeAt(pos++);
      if (tk === RAW_STR8 || tk === RAW_STR16) { const n = byte() | (tk === RAW_STR16 ? byte() << 8 : 0); str = src.substr(pos, n); pos += n; tk = STR; }
      else if (tk >= RAW_INT0 && tk <= RAW_INT16) { str = tk === RAW_INT0 ? 0 : tk === RAW_INT8 ? (byte() << 24) >> 24 : ((byte() | (byte() << 8)) << 16) >> 16; tk = INT; }
    }
  }

  /** The token's value as the tokenizer hands it over (strings, numbers, identifier text). */
  const tokenValue = (): string | number => (tk === INT ? (typeof str === "number" ? str : toInt(tok)) : tk === STR ? str : isWord(tk) ? WORDS[tk - WORD0] : tok);
  function match(expected: number): boolean {
    if (tk === expected) { next(); return true; }
    const got = tk === ID ? "ID:" + tok : tk === STR ? "String:'" + String(str).slice(0, 63) + "'" : tokenName(tk);
    raise("SyntaxError", "Got " + got.slice(0, 29) + " expected " + tokenName(expected));
    next();
    return false;
  }

  const R = opts.realm || { Object, Array };
  function value(): unknown {
    const t = tk; // (switching on tk itself would let TypeScript narrow it for good)
    switch (t) {
      case TRUE: case FALSE: case NULL: next(); return t === NULL ? null : t === TRUE;
      case 45: // '-': a number must follow, else no value and no error (0 - x: "-0" is 0)
        next();
        return tk === INT || tk === FLOAT ? 0 - (value() as number) : FAIL;
      case INT: case STR: { const v = tokenValue(); next(); return v; }
      case FLOAT: { const v = toFloat(tok); next(); return v; }
      case 91: { // '['
        const arr = new R.Array();
        next();
        while (tk !== 93 && !error) {
          const v = value();
          if (v === FAIL || (tk !== 93 && !match(44))) return FAIL;
          arr.push(v);
        }
        return match(93) ? arr : FAIL;
      }
      case 123: { // '{'
        const obj = new R.Object() as Record<string, unknown>;
        next();
        while ((tk === STR || tk === INT || tk === ID || isWord(tk)) && !error) {
          if (!opts.identifierKeys && tk !== STR) { match(STR); return obj; }
          const key = String(tokenValue());
          next();
          let v: unknown = FAIL;
          if (!match(58) || (v = value()) === FAIL || (tk !== 125 && !match(44))) return FAIL;
          // The device keeps a repeated key twice and reads the first: keep the first value.
          // "__proto__" is an ordinary own property here; the device ASSERT-fails and aborts on it.
          if (!Object.prototype.hasOwnProperty.call(obj, key)) Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
        }
        return match(125) ? obj : FAIL;
      }
      default:
        raise("SyntaxError", "Expecting valid value, got " + tokenName(tk));
        return FAIL;
    }
  }

  next();
  const v = value();
  return { value: v === FAIL ? undefined : v, error };
}

/** JSON.parse (identifierKeys false) or Storage.readJSON (true) as the device does them:
 * trailing text is ignored, some malformed input gives undefined without an error. */
export function parseEspruinoJSON(text: string, opts: ParseOptions): unknown {
  const { value, error } = parseEspruinoJSONDetailed(text, opts);
  if (error) throw error;
  return value;
}

/** Espruino's number formatting (ftoa), redone step by step in doubles as the device does. */
export function espruinoNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 31) return String(n === 0 ? 0 : n);
  let val = Math.abs(n), out = n < 0 ? "-" : "", exp = 0;
  if (val >= 1e21) for (; val > 100000; exp += 5) val /= 100000;
  if (val >= 10) for (; val > 10 && exp; exp++) val /= 10;
  if (val > 0 && val < 1e-6) for (; val < 1e-5; exp -= 5) val *= 100000;
  if (exp < 0) for (; val < 1; exp--) val *= 10;
  // Nearly an integer: take the integer (an int32 cast on the device, so only below 2^31).
  if (val + 1e-7 < 2 ** 31 && Math.trunc(val + 1e-7) === Math.trunc(val) + 1) val = Math.trunc(val) + 1;
  let d = 1;
  while (d * 10 <= val) d *= 10;
  for (let v; d >= 1; d /= 10) { v = Math.trunc(val / d); val -= v * d; out += v; }
  // Then up to 11 decimals, while what is left exceeds 1e-7.
  val *= 10;
  for (let i = 0, v; i < 11 && val > 1e-7; i++) {
    v = Math.trunc(val + 1e-8);
    val = (val - v) * 10;
    out += (i ? "" : ".") + Math.min(v, 9);
  }
  return exp ? out + "e" + (exp > 0 ? "+" : "") + exp : out;
}

/**
 * A byte string quoted the way writeJSON does ("%q": JavaScript escapes, \xNN, short octal),
 * or with `json` the way JSON.stringify does ("%Q", jsutils.c escapeCharacter's jsonStyle: no
 * \v, no octal, \u00XX for every byte below 32 or from 127 up, so "é" in UTF-8 is "\u00C3\u00A9").
 */
export function quoteEspruino(text: string, json = false): string {
  const s = toBytes(text);
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i), named = (json ? "\n\t\b\f\r\\\"" : "\n\t\b\v\f\r\\\"").indexOf(s[i]);
    if (named >= 0) out += "\\" + (json ? "ntbfr\\\"" : "ntbvfr\\\"")[named];
    else if (!json && c < 8 && !/[0-7]/.test(s[i + 1] || "")) out += "\\" + c;
    else if (c < 32 || c >= 127) out += (json ? "\\u00" : "\\x") + (c < 16 ? "0" : "") + c.toString(16).toUpperCase();
    else out += s[i];
  }
  return out + '"';
}

const isFunction = (v: unknown) => typeof v === "function";
/**
 * The bytes Storage.writeJSON writes for `value` (a byte string); with `json`, what the
 * device's JSON.stringify(value) returns: the same but every key quoted and JSON escapes.
 */
export function stringifyEspruinoJSON(value: unknown, json = false): string {
  const busy = new Set<object>(); // the device prints " ... " for an object inside itself
  // After a toJSON, the device calls no toJSON in the value it returned, at any depth.
  function write(v: unknown, key: string | undefined, useToJSON: boolean): string {
    if (v === undefined) return "null";
    if (v === null || typeof v === "boolean") return String(v);
    if (typeof v === "number") return Number.isFinite(v) ? espruinoNumber(v) : "null";
    if (typeof v === "string") return quoteEspruino(v, json);
    if (typeof v !== "object") return "undefined"; // functions (in arrays, or at the top)
    if (busy.has(v)) return " ... ";
    busy.add(v);
    try {
      if (Array.isArray(v)) return "[" + Array.from(v, (x, i) => write(x, String(i), useToJSON)).join(",") + "]";
      if (ArrayBuffer.isView(v) || Object.prototype.toString.call(v) === "[object ArrayBuffer]") {
        const items = ArrayBuffer.isView(v) ? (v as unknown as ArrayLike<number>) : new Uint8Array(v as ArrayBuffer);
        return "[" + Array.from(items, (n) => write(n, undefined, false)).join(",") + "]";
      }
      const toJSON = useToJSON && (v as { toJSON?: unknown }).toJSON;
      if (isFunction(toJSON)) {
        const r = (toJSON as (k?: string) => unknown).call(v, key);
        if (r === v) busy.delete(v);
        return write(r, undefined, false);
      }
      const parts: string[] = [];
      for (const k of Object.keys(v)) {
        const desc = Object.getOwnPropertyDescriptor(v, k)!;
        if (desc.get || desc.set || desc.value === undefined || isFunction(desc.value)) continue;
        // Array-index keys (0..2^31-1) and identifier-like keys (under 63 bytes) go unquoted.
        const bare = !json && ((/^(0|[1-9][0-9]*)$/.test(k) && +k < 2 ** 31) || (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && k.length < 63));
        parts.push((bare ? k : quoteEspruino(k, json)) + ":" + write(desc.value, k, useToJSON));
      }
      return "{" + parts.join(",") + "}";
    } finally {
      busy.delete(v);
    }
  }
  return write(value, undefined, true);
}
