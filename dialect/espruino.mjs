// What the Espruino interpreter (2v29, ESP32 build) has at global scope, and which standard
// members it lacks. One list, two users: the build's dialect gate refuses code that names
// anything outside it, and the simulator strips its vm context down to exactly it.
// Source: ../shared/ESPRUINO.md (measured on the interpreter), Espruino's API reference.

/** Standard JavaScript globals that exist on the device. */
export const LANGUAGE_GLOBALS = [
  "Array", "ArrayBuffer", "Boolean", "DataView", "Date", "Error", "Float32Array",
  "Float64Array", "Function", "Infinity", "Int8Array", "Int16Array", "Int32Array",
  "InternalError", "JSON", "Math", "NaN", "Number", "Object", "Promise",
  "ReferenceError", "RegExp", "String", "SyntaxError", "TypeError", "Uint8Array",
  "Uint8ClampedArray", "Uint16Array", "Uint32Array", "arguments", "atob", "btoa",
  "decodeURIComponent", "encodeURIComponent", "eval", "globalThis", "isFinite", "isNaN",
  "parseFloat", "parseInt", "undefined",
];

/** GPIO pins: on the device `typeof D0` is "number" and D21 === 21. @type {string[]} */
export const PIN_NAMES = [];
for (let i = 0; i < 40; i++) PIN_NAMES.push("D" + i);

/**
 * Espruino's own globals that the firmware may use. The device has more (SPI, Serial1,
 * digitalWrite, …); this list is exactly what host-sim fakes, so that firmware never uses a
 * board API the simulator cannot run. Add a name here and in host-sim together.
 */
export const BOARD_GLOBALS = [
  "E", "Graphics", "I2C1", "console", "print", "require", "global", "process", "getTime",
  "setTimeout", "setInterval", "clearTimeout", "clearInterval", "changeInterval", "setWatch",
  "clearWatch", "digitalRead", "pinMode", "Modules",
].concat(PIN_NAMES);

/** Every identifier a firmware bundle may use without declaring it. */
export const GLOBALS = LANGUAGE_GLOBALS.concat(BOARD_GLOBALS);

/**
 * Standard globals that Node has and the device does not (measured: typeof is "undefined"
 * on 2v29). The gate refuses them by name with a specific message; the simulator deletes them.
 */
export const MISSING_GLOBALS = [
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Reflect",
  "Proxy", "BigInt", "BigInt64Array", "BigUint64Array", "TextDecoder", "TextEncoder", "Intl",
  "queueMicrotask", "structuredClone", "AggregateError", "EvalError", "URIError", "RangeError",
  "SharedArrayBuffer", "Atomics", "WebAssembly", "escape", "unescape", "encodeURI", "decodeURI",
];

/**
 * Members missing on the device (measured on 2v29), by owner: `Array` means the constructor's
 * own (static) members, `Array.prototype` the instances' methods, `TypedArray.prototype` those
 * of every typed array.
 */
export const MISSING_MEMBERS = {
  "Array": ["from", "of"],
  "Array.prototype": ["flat", "flatMap", "at", "lastIndexOf", "findLast", "findLastIndex",
    "reduceRight", "copyWithin", "entries", "keys", "values", "toSorted", "toReversed",
    "toSpliced", "with"],
  "TypedArray.prototype": ["at", "findLast", "findLastIndex", "copyWithin", "lastIndexOf"],
  "ArrayBuffer.prototype": ["slice"],
  "Number": ["isFinite", "isInteger", "isNaN", "isSafeInteger", "parseFloat", "parseInt",
    "EPSILON", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER"],
  "Number.prototype": ["toPrecision", "toExponential", "toLocaleString"],
  "Object": ["freeze", "isFrozen", "seal", "isSealed", "preventExtensions", "isExtensible",
    "is", "getOwnPropertySymbols", "groupBy", "hasOwn"],
  "Object.prototype": ["isPrototypeOf", "propertyIsEnumerable", "toLocaleString"],
  "Math": ["trunc", "log2", "log10", "hypot", "imul", "clz32", "fround", "cbrt", "expm1",
    "log1p", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh"],
  "String.prototype": ["search", "localeCompare", "trimStart", "trimEnd", "trimLeft",
    "trimRight", "codePointAt", "normalize", "matchAll", "at", "toLocaleUpperCase",
    "toLocaleLowerCase", "isWellFormed", "toWellFormed"],
  "String": ["fromCodePoint", "raw"],
  "Promise": ["race", "allSettled", "any"],
  "Promise.prototype": ["finally"],
  "Date": ["UTC"],
  "Error": ["captureStackTrace"],
  "Error.prototype": ["name"],
};

/**
 * Members that only the codepair image has (tools/espruino/patches/codepair): missing on 2v29
 * as released, where the same bundle runs too. The gate refuses a use that is not behind a
 * feature test of it (`if (E.qrSymbol) …`); the simulator has them only when its board runs
 * the codepair image (host-sim/espruino-e.ts).
 */
export const IMAGE_MEMBERS = {
  "E": ["qrSymbol"],
};
