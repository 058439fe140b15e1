// The flash form of the firmware's code: the bytes written to Storage (.bootcde and the
// firmware's Storage modules), where every long string literal is a raw string token.
//
// Espruino's lexer (2v29 src/jslex.c, jslGetRawString) reads a pretokenised string wherever a
// string literal may stand: the byte 0xD1, one length byte, then the string's bytes (0xD2, the
// length's low and high bytes, the bytes, for 256..65535). When the code runs from flash (a
// Storage file: .bootcde, a module) and the string is longer than one JsVar holds, its value
// is a reference into the flash: one JsVar, however long the string, where the same literal
// in quotes is copied into RAM (a JsVar for every 10 or so characters) each time it is read,
// and kept as long as the value lives (the font bitmaps, for ever).
//
// Measured on the ESP32-like interpreter, run from Storage: E.getSizeOf of a quoted literal is
// 1 up to 9 characters and 2 from 10; of a raw string, 1 at every length (a copy up to
// JSVAR_DATA_STRING_LEN, a flash reference beyond it). So literals of RAW_STRING_MIN or more
// characters become raw strings; shorter ones gain nothing and stay as they are.
//
// atob("…") of a constant base64 literal becomes the raw string of its bytes as well (see
// rawSpans): the text form keeps the short base64, the flash form the bytes, in flash.
//
// The device's build has no Unicode strings (a string is bytes): a raw string is the bytes of
// the literal's value, so only literals whose characters are all <= 0xFF are turned (the
// others stay as esbuild wrote them).
import { parse } from "acorn";

/** The shortest string literal that becomes a raw string (a quoted one this long costs 2 JsVars). */
export const RAW_STRING_MIN = 10;
/** The longest a raw string can be (its length is two bytes). */
export const RAW_STRING_MAX = 65535;
/** Espruino's token bytes for a raw string: LEX_RAW_STRING8 and LEX_RAW_STRING16 (jslex.h). */
export const RAW_STRING8 = 0xd1;
export const RAW_STRING16 = 0xd2;

/** @typedef {{ type: string, start: number, end: number, [key: string]: any }} Node */

/**
 * The raw string token for a value (characters 0..255), as a latin1 string.
 * @param {string} value
 */
export function rawString(value) {
  const n = value.length;
  if (n > RAW_STRING_MAX) throw new Error(`a raw string holds at most ${RAW_STRING_MAX} bytes, not ${n}`);
  const head = n < 256 ? String.fromCharCode(RAW_STRING8, n) : String.fromCharCode(RAW_STRING16, n & 255, n >> 8);
  return head + value;
}

/** @param {string} s */
function bytesOnly(s) {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false;
  return true;
}

/**
 * Calls `f` on each child node of `node`, with `node` as the parent.
 * @param {Node} node
 * @param {(child: Node, parent: Node) => void} f
 */
function eachChild(node, f) {
  for (const key of Object.keys(node)) {
    const v = node[key];
    if (Array.isArray(v)) {
      for (const item of v) if (item && typeof item.type === "string") f(item, node);
    } else if (v && typeof v === "object" && typeof v.type === "string") f(v, node);
  }
}

/**
 * Base64 that every decoder reads the same: the alphabet, padded to a multiple of 4, and
 * exactly what encoding its bytes gives back.
 * @param {string} s
 */
function isCanonicalBase64(s) {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s) && Buffer.from(s, "base64").toString("base64") === s;
}

/**
 * The spans of the string literals in `code` that become raw strings, with their values.
 * @param {string} code
 * @returns {{ start: number, end: number, value: string }[]}
 */
function rawSpans(code) {
  const ast = /** @type {Node} */ (/** @type {unknown} */ (parse(code, { ecmaVersion: "latest", sourceType: "script", allowReturnOutsideFunction: true })));
  /** @type {{ start: number, end: number, value: string }[]} */
  const spans = [];
  // atob("…") of a constant is a string of bytes too (the font bitmaps, the trust roots): as
  // a raw string of those bytes it stays in flash where atob's result is a copy in RAM (as the
  // Espruino IDE's pretokeniser does, jslex.c's atobChecker). Only while `atob` is the global
  // (no Identifier named atob but as the callee of a call), and the argument canonical base64.
  let atobIsGlobal = true;
  /**
   * @param {Node} node
   * @param {Node | null} parent
   */
  const scan = (node, parent) => {
    if (node.type === "Identifier" && node.name === "atob" && !(parent && parent.type === "CallExpression" && parent.callee === node)) atobIsGlobal = false;
    eachChild(node, scan);
  };
  scan(ast, null);
  /** @param {string} value */
  const fits = (value) => value.length >= RAW_STRING_MIN && value.length <= RAW_STRING_MAX && bytesOnly(value);
  /**
   * @param {Node} node
   * @param {Node | null} parent
   */
  const visit = (node, parent) => {
    if (node.type === "Literal" && typeof node.value === "string") {
      if (fits(node.value)) spans.push({ start: node.start, end: node.end, value: node.value });
      return;
    }
    if (atobIsGlobal && node.type === "CallExpression" && node.callee.type === "Identifier" && node.callee.name === "atob" && node.arguments.length === 1) {
      const arg = node.arguments[0];
      if (arg.type === "Literal" && typeof arg.value === "string" && isCanonicalBase64(arg.value)) {
        const bytes = Buffer.from(arg.value, "base64").toString("latin1");
        if (fits(bytes)) {
          spans.push({ start: node.start, end: node.end, value: bytes });
          return;
        }
      }
    }
    if (node.type === "TemplateLiteral") {
      // a template without substitutions is a string (one a tag reads is not); nothing inside
      // a substitution is turned: the lexer reads a template to its closing ` counting { and },
      // which a raw string's bytes could hold
      const quasi = node.quasis[0];
      const tagged = parent && parent.type === "TaggedTemplateExpression";
      if (!tagged && node.expressions.length === 0 && quasi && typeof quasi.value.cooked === "string" && fits(quasi.value.cooked)) {
        spans.push({ start: node.start, end: node.end, value: quasi.value.cooked });
      }
      return;
    }
    eachChild(node, visit);
  };
  visit(ast, null);
  return spans.sort((a, b) => a.start - b.start);
}

/**
 * The flash form of a bundle or a Storage module (JavaScript, every character <= 0xFF outside
 * the literals that stay as they are): every string literal (and template literal without
 * substitutions) of RAW_STRING_MIN..RAW_STRING_MAX characters, all <= 0xFF, as a raw string
 * token. The interpreter sees the same values; the bytes are what Storage holds.
 * @param {string} code
 * @returns {Buffer}
 */
export function flashForm(code) {
  let spans;
  try {
    spans = rawSpans(code);
  } catch (err) {
    throw new Error("the flash form is made of JavaScript, and this does not parse: " + /** @type {Error} */ (err).message);
  }
  let out = "";
  let at = 0;
  for (const s of spans) {
    out += code.slice(at, s.start) + rawString(s.value);
    at = s.end;
  }
  out += code.slice(at);
  for (let i = 0; i < out.length; i++) {
    if (out.charCodeAt(i) > 255) throw new Error(`the code holds a character above 0xFF (U+${out.charCodeAt(i).toString(16).toUpperCase()}) outside a literal that becomes a raw string: Storage holds bytes`);
  }
  return Buffer.from(out, "latin1");
}
