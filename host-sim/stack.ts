// Espruino's stack trace of an error, from the V8 frames the simulator's error carries.
//
// Read from Espruino 2v29's source (src/jswrap_error.c, src/jslex.c, src/jsparse.c,
// src/jsinteractive.c) and checked against the interpreter in test/http-real.test.ts:
// - `new Error(…)` (and every error the interpreter raises itself) takes its `stack` when it is
//   made: one frame for each lexer in the chain, innermost first. A function call runs the
//   function's own code in a new lexer whose `lastLex` is the caller's; a callback the
//   interpreter calls (a timer, a socket's 'data') starts a chain of its own.
// - A function's code is its body's text, from its first token (after `{`, and after a leading
//   `return`) to the end of its last token; line and column count from there. The program's
//   own top level counts from the start of the program.
// - Each frame is `    at :LINE:COL` (`    at NAME (:LINE:COL)` when the caller called it by a
//   name), then the frame's line of code, then a caret under the column. The position is the
//   last token read: for a call, its closing parenthesis. A line longer than 60 characters is
//   cut to 60, with "..." before it when the column is past 30, and after it.
// - An uncaught error is printed as "Uncaught " + the error as a string, then its stack.
import { parse, type Node } from "acorn";

interface Frame {
  name: string;
  file: string;
  line: number;
  col: number;
  /** The caller's frame is code of the board's (not a native function between them). */
  calledFromCode: boolean;
}

type AnyNode = Node & Record<string, unknown>;

const FRAME = /^\s*at (?:(.*?) \()?(.+):(\d+):(\d+)\)?$/;

/**
 * The frames of V8's stack text that are in one of `sources`' files, innermost first, and
 * whether the error was raised inside a native (board) function called by the innermost.
 */
function framesOf(stack: string, sources: Record<string, string>): { frames: Frame[]; inNative: boolean } {
  const all: (Frame | null)[] = [];
  for (const text of stack.split("\n").slice(1)) {
    const m = FRAME.exec(text);
    if (m && Object.prototype.hasOwnProperty.call(sources, m[2])) {
      all.push({ name: m[1] || "", file: m[2], line: Number(m[3]), col: Number(m[4]), calledFromCode: false });
    } else if (/^\s*at /.test(text)) {
      all.push(null); // a native function (V8's own, or the board's)
    }
  }
  const frames: Frame[] = [];
  all.forEach((f, i) => {
    if (!f) return;
    f.calledFromCode = i + 1 < all.length && all[i + 1] !== null;
    frames.push(f);
  });
  // A native that calls code back (forEach) keeps the chain going on the device too, so every
  // frame of the board's code counts; the host's own callers (timers, sockets) are no frames.
  return { frames, inNative: all.length > 0 && all[0] === null };
}

interface Parsed {
  ast: AnyNode;
  tokens: { start: number; end: number }[];
}

const parsedCache = new WeakMap<object, Map<string, Parsed | null>>();

function parsed(sources: Record<string, string>, file: string): Parsed | null {
  let byFile = parsedCache.get(sources);
  if (!byFile) parsedCache.set(sources, (byFile = new Map()));
  if (byFile.has(file)) return byFile.get(file) as Parsed | null;
  let p: Parsed | null = null;
  try {
    const tokens: Parsed["tokens"] = [];
    const ast = parse(sources[file], { ecmaVersion: "latest", allowReturnOutsideFunction: true, onToken: (t) => tokens.push({ start: t.start, end: t.end }) }) as unknown as AnyNode;
    p = { ast, tokens };
  } catch {
    p = null;
  }
  byFile.set(file, p);
  return p;
}

function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(node)) {
    const v = node[key];
    if (Array.isArray(v)) for (const c of v) if (c && typeof c.type === "string") out.push(c);
    if (v && typeof v === "object" && typeof (v as AnyNode).type === "string") out.push(v as AnyNode);
  }
  return out;
}

const FUNCTIONS = ["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"];

/** The innermost function whose body holds `at`, and the innermost call or `new` at `at`. */
function locate(ast: AnyNode, at: number): { fn: AnyNode | null; call: AnyNode | null } {
  let fn: AnyNode | null = null;
  let call: AnyNode | null = null;
  const visit = (node: AnyNode): void => {
    if (FUNCTIONS.includes(node.type)) {
      const body = node.body as AnyNode;
      if (body.start <= at && at < body.end) fn = node;
    }
    if ((node.type === "CallExpression" || node.type === "NewExpression") && node.start <= at && at < node.end) {
      const callee = node.callee as AnyNode;
      // V8 points at `new`, at a called name, or at a member call's property
      const head = callee.type === "MemberExpression" ? (callee.property as AnyNode).start : callee.start;
      if (at === node.start || at === head) call = node;
    }
    for (const c of children(node)) if (c.start <= at && at < c.end) visit(c);
  };
  visit(ast);
  return { fn, call };
}

/** The text a function's code is on the device: its body from the first token to the last's end. */
function functionCode(p: Parsed, source: string, fn: AnyNode): { from: number; to: number } {
  const body = fn.body as AnyNode;
  let from: number;
  let to: number;
  if (body.type === "BlockStatement") {
    const inside = p.tokens.filter((t) => t.start > body.start && t.end < body.end);
    if (!inside.length) return { from: body.start + 1, to: body.start + 1 };
    from = inside[0].start;
    to = inside[inside.length - 1].end;
    if (source.slice(from, from + 6) === "return" && !/[\w$]/.test(source[from + 6] || "")) {
      const next = inside.find((t) => t.start > from);
      from = next ? next.start : from + 6;
    }
  } else {
    from = body.start;
    const next = p.tokens.find((t) => t.start >= body.end);
    to = next ? next.start : body.end;
  }
  return { from, to };
}

function offsetOf(source: string, line: number, col: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf("\n", at);
    if (nl < 0) return source.length;
    at = nl + 1;
  }
  return at + col - 1;
}

/** Espruino's jslPrintPosition and jslPrintTokenLineMarker for position `pos` in `code`. */
function frameText(name: string, code: string, pos: number): string[] {
  const before = code.slice(0, pos);
  const line = before.split("\n").length;
  let col = pos - before.lastIndexOf("\n");
  const where = `:${line}:${col}`;
  const head = "    at " + (name ? `${name} (${where})` : where);
  let startOfLine = before.lastIndexOf("\n") + 1;
  const end = code.indexOf("\n", startOfLine);
  let lineLength = (end < 0 ? code.length : end) - startOfLine;
  let text = "";
  if (lineLength > 60 && pos - startOfLine > 30) {
    text += "...";
    const skip = pos - 30 - startOfLine;
    startOfLine += 3 + skip;
    col = skip <= col ? col - skip : 0;
    lineLength -= skip;
  }
  let chars = 0;
  for (let i = startOfLine; i < code.length && chars < 60 && code[i] !== "\n"; i++, chars++) text += code[i];
  if (lineLength > 60) text += "...";
  return [head, text, " ".repeat(Math.max(0, col - 1)) + "^"];
}

/**
 * The name the interpreter gives a program's top level: "[raw]" for a program it was given to
 * run (a file on the command line, jsparse.c), "REPL" for a line typed at the console
 * (jsinteractive.c). Not modelled: code run from Storage (`.bootcde` on the device) is named
 * "boot code" and its positions are `.bootcde:LINE:COL`, counted in the file.
 */
function topLevelName(file: string): string {
  return file.startsWith("console") ? "REPL" : "[raw]";
}

/**
 * Espruino's `stack` for an error made in the board's code: the lines it prints after
 * "Uncaught …". `sources` maps the file names the board's code runs under to their text.
 */
export function espruinoStack(err: unknown, sources: Record<string, string>): string[] {
  const stack = err && typeof err === "object" ? (err as { stack?: unknown }).stack : undefined;
  if (typeof stack !== "string") return [];
  const { frames, inNative } = framesOf(stack, sources);
  const out: string[] = [];
  frames.forEach((f, i) => {
    const source = sources[f.file];
    const p = parsed(sources, f.file);
    let pos = Math.min(offsetOf(source, f.line, f.col), source.length);
    let from = 0;
    let to = source.length;
    if (p) {
      const { fn, call } = locate(p.ast, pos);
      // The last token read: a call's closing parenthesis, in a caller, for `new`, and for a
      // native that threw. An error the language raises (a name not defined, a property of
      // undefined) is where V8 says.
      const c = call as AnyNode | null;
      if (c && (i > 0 || inNative || (c.type === "NewExpression" && c.start === pos))) pos = c.end - 1;
      if (fn) ({ from, to } = functionCode(p, source, fn));
    }
    // the name the caller called this function by, when the caller is code of the board's
    let name = "";
    if (p && !locate(p.ast, pos).fn) name = topLevelName(f.file);
    const caller = frames[i + 1];
    if (f.calledFromCode && caller && p) {
      const c = locate(parsed(sources, caller.file)!.ast, offsetOf(sources[caller.file], caller.line, caller.col)).call as AnyNode | null;
      const callee = c ? (c.callee as AnyNode) : null;
      if (callee && callee.type === "Identifier") name = String(callee.name);
      else if (callee && callee.type === "MemberExpression" && !callee.computed) name = String((callee.property as AnyNode).name);
    }
    out.push(...frameText(name, source.slice(from, to), Math.max(0, pos - from)));
  });
  return out;
}
