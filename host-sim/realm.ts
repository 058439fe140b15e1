// A vm context whose global scope is Espruino's, not Node's: the language built-ins the device
// lacks are deleted (the same list the build's dialect gate enforces, dialect/espruino.mjs),
// and the board's own globals are added by the modules that fake them.
import vm from "node:vm";
import { LANGUAGE_GLOBALS, MISSING_MEMBERS } from "../dialect/espruino.mjs";
import { EspruinoJSONError, parseEspruinoJSON, stringifyEspruinoJSON, type JSONRealm } from "./espruino-json.ts";

/** The context's own constructors, so values handed to firmware belong to its realm. */
export interface Realm {
  context: vm.Context;
  global: Record<string, unknown>;
  Error: ErrorConstructor;
  /** Espruino's InternalError, which V8 has not: a plain Error subclass here. */
  InternalError: ErrorConstructor;
  Uint8Array: Uint8ArrayConstructor;
  ArrayBuffer: ArrayBufferConstructor;
  /** A value from Node made into a value of the context (plain data: JSON-shaped). */
  fromHost(value: unknown): unknown;
  run(code: string, filename: string): unknown;
  /** Runs the promise jobs firmware code queued: Espruino runs them when a task ends. */
  drain(): void;
  /** The board lost power: from now on every board function throws PowerOff. */
  powerOff(): void;
  /**
   * A host function as a function of the context. Firmware sees only functions of its own
   * realm: V8 queues a promise job in the queue of its handler's realm, so `.then(print)`
   * with a host `print` would run outside the board's tasks.
   */
  adopt<F extends (...args: never[]) => unknown>(fn: F): F;
  /** A plain object of the context whose functions are adopted (I2C1, require("Storage")). */
  object<T extends object>(members: T): T;
  /**
   * Espruino's library objects (E, Graphics, console, process) answer `typeof` with
   * "function": a function of the context carrying the members given, adopted.
   */
  library<T extends object>(members: T): T;
}

function ownerOf(global: Record<string, unknown>, path: string): Record<string, unknown> | undefined {
  // %TypedArray%, the shared parent of Uint8Array and its kin, has no global name.
  let at: unknown = path.startsWith("TypedArray.") ? { TypedArray: Object.getPrototypeOf(global.Uint8Array) } : global;
  for (const part of path.split(".")) {
    if (at === null || at === undefined) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at as Record<string, unknown> | undefined;
}

function withoutStatics(context: vm.Context, name: string, members: string[]): unknown {
  return vm.runInContext(
    "(function (O, missing) {" +
      " var W = function (v) { if (this instanceof W) return arguments.length ? new O(v) : new O();" +
      "   return arguments.length ? O(v) : O(); };" +
      " W.prototype = O.prototype;" +
      // (5).constructor === Number on the device too.
      " Object.defineProperty(O.prototype, 'constructor', { value: W, writable: true, configurable: true });" +
      " Object.getOwnPropertyNames(O).forEach(function (k) {" +
      "   if (missing.indexOf(k) < 0 && !Object.prototype.hasOwnProperty.call(W, k)) W[k] = O[k]; });" +
      " return W; })",
    context,
  )(vm.runInContext(name, context), vm.runInContext(JSON.stringify(members), context));
}

/** What a board function throws once the power is off (the firmware is no longer running). */
export class PowerOff extends Error {
  constructor() {
    super("the board has no power");
  }
}

export function createRealm(): Realm {
  // The context keeps its own promise-job queue, drained when an evaluation ends (drain()),
  // instead of sharing Node's, which would run firmware's jobs only when the host is idle.
  const context = vm.createContext({}, { codeGeneration: { strings: true, wasm: false }, microtaskMode: "afterEvaluate" });
  const global = vm.runInContext("this", context) as Record<string, unknown>;

  // Everything V8 puts on a fresh global that the device has not: MISSING_GLOBALS (Map, Set,
  // Symbol, …) and whatever else a newer V8 adds.
  for (const name of Object.getOwnPropertyNames(global)) {
    if (!LANGUAGE_GLOBALS.includes(name)) delete global[name];
  }
  for (const owner of Object.keys(MISSING_MEMBERS) as (keyof typeof MISSING_MEMBERS)[]) {
    const target = ownerOf(global, owner);
    if (!target) continue;
    const stuck: string[] = [];
    for (const member of MISSING_MEMBERS[owner]) {
      if (!Reflect.deleteProperty(target, member)) stuck.push(member);
    }
    // V8 makes some constants non-configurable (Number.EPSILON, …): the global constructor
    // is replaced by one that converts the same way and lacks them.
    if (stuck.length) global[owner] = withoutStatics(context, owner, stuck);
  }

  const InternalError = vm.runInContext(
    "(function(){ function InternalError(m){ var e = new Error(m); Object.setPrototypeOf(e, InternalError.prototype); return e; }" +
      " InternalError.prototype = Object.create(Error.prototype); InternalError.prototype.constructor = InternalError;" +
      " return InternalError; })()",
    context,
  ) as ErrorConstructor;
  global.InternalError = InternalError;
  // String.prototype.indexOf and includes as 2v29 has them (src/jswrap_string.c,
  // jswrap_string_indexOf; compared with the interpreter in test/string-search-real.test.ts):
  // when what is sought is not longer than the text, the search runs on to the text's end, and
  // a text that ends with the start of what is sought counts as a match there
  // ("ab\r\n".indexOf("\r\n\r\n") is 2, "abcd".indexOf("cdef") 2); "" in "" is not found.
  vm.runInContext(
    "(function (P) { function find(s, sub, from) { s = String(s); sub = String(sub);" +
      " if (sub.length > s.length) return -1; var end = s.length - sub.length + 1, i = 0;" +
      " if (typeof from == 'number' && from === from) { i = from < 0 ? Math.ceil(from) : Math.floor(from); if (i < 0) i = 0; if (i > end) i = end; }" +
      " for (; i < s.length; i++) { var k = 0; while (k < sub.length && i + k < s.length && s.charCodeAt(i + k) === sub.charCodeAt(k)) k++;" +
      "   if (k === sub.length || i + k === s.length) return i; } return -1; }" +
      " Object.defineProperty(P, 'indexOf', { value: function indexOf(sub, from) { return find(this, sub, from); }, writable: true, configurable: true });" +
      " Object.defineProperty(P, 'includes', { value: function includes(sub, from) { return find(this, sub, from) >= 0; }, writable: true, configurable: true });" +
      " })(String.prototype)",
    context,
  );
  // Espruino's `global` is the global object (globalThis is there too).
  global.global = global;
  global.globalThis = global;
  // Every board function reaches firmware through here, so a power cut stops them all: once
  // `power.off`, a call throws instead of acting, even from a catch block in the firmware.
  const power = { off: false };
  const trampoline = (vm.runInContext(
    "(function (power, PowerOff) { return function (f) { return function () {" +
      " if (power.off) throw new PowerOff(); return f.apply(this, arguments); }; }; })",
    context,
  ) as (p: { off: boolean }, e: new () => Error) => <F>(fn: F) => F)(power, PowerOff);
  const makeObject = vm.runInContext("(function () { return {}; })", context) as () => Record<string, unknown>;
  const makeLibrary = vm.runInContext(
    "(function () { return function () { throw new TypeError('not a constructor'); }; })",
    context,
  ) as () => Record<string, unknown>;
  const fill = <T extends object>(target: Record<string, unknown>, members: T): T => {
    for (const key of Object.keys(members)) {
      const v = (members as Record<string, unknown>)[key];
      target[key] = typeof v === "function" ? trampoline(v) : v;
    }
    return target as unknown as T;
  };
  // V8's parse, kept for fromHost (its input is always strict JSON made by JSON.stringify).
  const parse = (global.JSON as JSON).parse;
  // JSON.parse as the device does it: lenient, its own error messages, undefined without an error
  // for some bad input (espruino-json.ts). JSON.stringify as the device does it too: its number
  // formatting (12 significant digits, 1e21 -> "10e+20") and \u00XX for every byte >= 0x7F, so
  // a UTF-8 "é" comes out as "\u00C3\u00A9" (firmware that reads back what it wrote must read
  // those as bytes). The replacer and indent arguments are not modelled: firmware passes none.
  (global.JSON as JSON).parse = trampoline(function (text: unknown): unknown {
    try {
      return parseEspruinoJSON(String(text), { identifierKeys: false, realm: jsonRealm({ global }) });
    } catch (err) {
      throw err instanceof EspruinoJSONError ? realmJSONError({ global }, err) : err;
    }
  }) as JSON["parse"];
  (global.JSON as JSON).stringify = trampoline(function (value: unknown): string {
    return stringifyEspruinoJSON(value, true);
  }) as JSON["stringify"];
  // Base64 of byte strings: built into Espruino, not into V8.
  global.btoa = trampoline((bytes: unknown): string => Buffer.from(String(bytes), "latin1").toString("base64"));
  global.atob = trampoline((text: unknown): string => Buffer.from(String(text), "base64").toString("latin1"));
  return {
    context,
    global,
    Error: global.Error as ErrorConstructor,
    InternalError,
    Uint8Array: global.Uint8Array as Uint8ArrayConstructor,
    ArrayBuffer: global.ArrayBuffer as ArrayBufferConstructor,
    fromHost(value: unknown): unknown {
      return value === undefined ? undefined : parse(JSON.stringify(value));
    },
    run(code: string, filename: string): unknown {
      return vm.runInContext(code, context, { filename });
    },
    adopt: (fn) => trampoline(fn),
    powerOff(): void {
      power.off = true;
    },
    object: (members) => fill(makeObject(), members),
    library: (members) => fill(makeLibrary(), members),
    drain(): void {
      // Evaluating any script ends with a checkpoint of the context's queue ("" is skipped).
      vm.runInContext("0", context);
    },
  };
}

/** The realm's Object and Array, for values the JSON parser builds inside the board. */
export function jsonRealm(realm: Pick<Realm, "global">): JSONRealm {
  return { Object: realm.global.Object as ObjectConstructor, Array: realm.global.Array as ArrayConstructor };
}

/** The device's JSON error as an error of the realm (SyntaxError, or Error for a bad escape). */
export function realmJSONError(realm: Pick<Realm, "global">, err: EspruinoJSONError): Error {
  return new (realm.global[err.kind] as ErrorConstructor)(err.message);
}
