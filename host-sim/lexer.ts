// The one part of Espruino's lexer (2v29 src/jslex.c) the simulator needs to fake: raw string
// tokens. Code in Storage (a flashed .bootcde, a firmware module: tools/flashform.mjs) holds
// long string literals as the byte 0xD1, a length byte and the string's bytes (0xD2, length low,
// length high, bytes, for 256..65535), which the interpreter reads wherever a token starts.
// textForm() turns each into a quoted literal with the same value before the simulator's
// JavaScript engine sees the code. It walks the code as the lexer does, so a 0xD1 inside a
// quoted string, a template, a regex or a comment stays a character: strings and templates
// as jslLexString reads them (a template's ${…} by counting braces), a regex where the token
// before allows one (jslGetNextToken: after an operator, a keyword other than true, false,
// null, undefined, or one of ! % & * + - / < = > ? [ { } ( , ; :), up to the next / or newline.

const RAW_STRING8 = 0xd1;
const RAW_STRING16 = 0xd2;

/** Espruino's reserved words (jslex.h LEX_R_*): after one a / starts a regex, except after a value's name. */
const KEYWORDS = new Set([
  "if", "else", "do", "while", "for", "break", "continue", "function", "return", "var", "let", "const", "this", "throw", "try",
  "catch", "finally", "new", "in", "instanceof", "switch", "case", "default", "delete", "typeof", "void", "debugger", "class",
  "extends", "super", "static", "of",
]);
/** Single characters after which a / starts a regex (jslGetNextToken). */
const REGEX_AFTER = "!%&*+-/<=>?[{}(,;:";
/** The characters an operator of more than one character has second. */
const SECOND = "=&|+-<>?";
/** Operators of more than one character (jslex.h), longest first. */
const OPERATORS = [">>>=", "===", "!==", ">>>", "<<=", ">>=", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "&&", "||", "++", "--", "=>", "??"];

const isIdStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** A quoted literal whose value is `bytes` (characters 0..255): printable ASCII as it is, the rest as \xNN. */
function quoted(bytes: string): string {
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? bytes[i] : "\\x" + (c + 256).toString(16).slice(1);
  }
  return out + '"';
}

/**
 * The code with each raw string token as a quoted literal of the same value; code without
 * one comes back as it is. `code` holds one character a byte, as Storage gives it.
 */
export function textForm(code: string): string {
  if (code.indexOf("\xd1") < 0 && code.indexOf("\xd2") < 0) return code;
  const n = code.length;
  let out = "";
  let copied = 0;
  // whether a / here starts a regex: the last token was an operator or a keyword (or none)
  let regexAllowed = true;
  let i = 0;
  while (i < n) {
    const c = code.charCodeAt(i);
    if (c <= 32) {
      i++;
    } else if (c === 47 && code.charCodeAt(i + 1) === 47) {
      while (i < n && code[i] !== "\n") i++;
    } else if (c === 47 && code.charCodeAt(i + 1) === 42) {
      const end = code.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 47 && regexAllowed) {
      i++;
      while (i < n && code[i] !== "/" && code[i] !== "\n") i += code[i] === "\\" ? 2 : 1;
      if (code[i] === "/") i++;
      while (i < n && "gimyu".indexOf(code[i]) >= 0) i++;
      regexAllowed = false;
    } else if (c === 34 || c === 39 || c === 96) {
      const delim = code[i];
      let nesting = 0;
      let last = delim;
      i++;
      while (i < n && (code[i] !== delim || nesting)) {
        const ch = code[i];
        if (delim === "`") {
          if ((last === "$" || nesting) && ch === "{") nesting++;
          else if (nesting && ch === "}") nesting--;
        }
        if (nesting === 0 && ch === "\\") {
          i += 2;
          last = "";
          continue;
        }
        last = ch;
        i++;
      }
      i++;
      regexAllowed = false;
    } else if (isIdStart(c)) {
      const from = i;
      while (i < n && (isIdStart(code.charCodeAt(i)) || isDigit(code.charCodeAt(i)))) i++;
      regexAllowed = KEYWORDS.has(code.slice(from, i));
    } else if (isDigit(c) || (c === 46 && isDigit(code.charCodeAt(i + 1)))) {
      const hex = c === 48 && /[xXbBoO]/.test(code[i + 1] || "");
      while (i < n) {
        const d = code.charCodeAt(i);
        if (isIdStart(d) || isDigit(d) || d === 46) i++;
        else if ((d === 43 || d === 45) && !hex && (code[i - 1] === "e" || code[i - 1] === "E")) i++;
        else break;
      }
      regexAllowed = false;
    } else if (c === RAW_STRING8 || c === RAW_STRING16) {
      const length = c === RAW_STRING8 ? code.charCodeAt(i + 1) : code.charCodeAt(i + 1) | (code.charCodeAt(i + 2) << 8);
      const start = i + (c === RAW_STRING8 ? 2 : 3);
      out += code.slice(copied, i) + quoted(code.slice(start, start + length));
      i = copied = start + length;
      regexAllowed = false;
    } else {
      const op = SECOND.indexOf(code[i + 1]) >= 0 ? OPERATORS.find((o) => code.startsWith(o, i)) : undefined;
      if (op) {
        // an operator of two or more characters is a token of its own: a / after it starts a regex
        i += op.length;
        regexAllowed = true;
      } else {
        i++;
        regexAllowed = c > 127 || REGEX_AFTER.indexOf(String.fromCharCode(c)) >= 0;
      }
    }
  }
  return out + code.slice(copied);
}
