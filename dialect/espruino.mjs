// What the Espruino interpreter (2v29, ESP32 build) has at global scope, and which standard
// members it lacks. One list, two users: the build's dialect gate refuses code that names
// anything outside it, and the simulator strips its vm context down to exactly it.
// Source: ../shared/ESPRUINO.md (measured on the interpreter), Espruino's API reference.

/** Standard JavaScript globals that exist on the device. */
export const LANGUAGE_GLOBALS = [
  "Array", "ArrayBuffer", "Boolean", "DataView", "Date", "Error", "Float32Array",
  "Float64Array", "Function", "Infinity", "Int8Array", "Int16Array", "Int32Array",
  "InternalError", "JSON", "Math", "NaN", "Number", "Object", "Promise", "RangeError",
  "ReferenceError", "RegExp", "String", "SyntaxError", "TypeError", "Uint8Array",
  "Uint8ClampedArray", "Uint16Array", "Uint32Array", "arguments", "atob", "btoa",
  "decodeURIComponent", "encodeURIComponent", "eval", "isFinite", "isNaN", "parseFloat",
  "parseInt", "undefined",
];

/** Espruino's own globals that the ESP32 build has and the firmware may use. */
export const BOARD_GLOBALS = [
  "E", "Graphics", "I2C", "I2C1", "SPI", "Serial", "Pin", "BTN", "D0", "console", "print",
  "require", "global", "process", "getTime", "setTimeout", "setInterval", "clearTimeout",
  "clearInterval", "changeInterval", "setWatch", "clearWatch", "digitalRead", "digitalWrite",
  "pinMode", "reset", "load", "save", "dump", "trace", "peek8", "poke8",
];

/** Every identifier a firmware bundle may use without declaring it. */
export const GLOBALS = LANGUAGE_GLOBALS.concat(BOARD_GLOBALS);

/**
 * Standard globals that Node has and the device does not. The gate refuses them by name with
 * a specific message; the simulator deletes them from its context.
 */
export const MISSING_GLOBALS = [
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Reflect",
  "Proxy", "BigInt", "BigInt64Array", "BigUint64Array", "TextDecoder", "TextEncoder", "Intl",
  "globalThis", "queueMicrotask", "structuredClone", "AggregateError", "EvalError", "URIError",
  "SharedArrayBuffer", "Atomics", "WebAssembly", "escape", "unescape", "encodeURI", "decodeURI",
];

/**
 * Members missing on the device, by owner: `Array` means the constructor's own (static)
 * members, `Array.prototype` the instances' methods.
 */
export const MISSING_MEMBERS = {
  "Array": ["from", "of"],
  "Array.prototype": ["flat", "flatMap", "at", "lastIndexOf", "findLast", "findLastIndex",
    "copyWithin", "entries", "keys", "values", "toSorted", "toReversed", "with"],
  "Number": ["isFinite", "isInteger", "isNaN", "isSafeInteger", "parseFloat", "EPSILON"],
  "Object": ["freeze", "isFrozen", "seal", "isSealed", "is", "getOwnPropertySymbols",
    "fromEntries", "groupBy"],
  "Math": ["trunc", "log2", "log10", "hypot", "imul", "clz32", "fround", "cbrt", "expm1",
    "log1p", "sign", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh"],
  "String.prototype": ["search", "localeCompare", "trimStart", "trimEnd", "trimLeft",
    "trimRight", "codePointAt", "normalize", "matchAll", "replaceAll", "at"],
  "String": ["fromCodePoint", "raw"],
  "Promise": ["race", "allSettled", "any"],
  "Promise.prototype": ["finally"],
};
