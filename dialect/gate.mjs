// The dialect gate: parses the final (minified) bundle and refuses every construct that the
// Espruino interpreter rejects or runs wrongly (../../shared/ESPRUINO.md), reporting each
// one at its line in the original TypeScript through esbuild's source map.
//
// esbuild has already refused what it cannot lower (destructuring, spread, rest, default
// parameters, async, generators: rule "syntax" in build.mjs) and lowered what it can (`?.`,
// `??`, `**`, logical assignment, class fields, object spread, optional catch binding). The
// gate checks the rest, and re-checks the lowered ones (rule "unlowered") in case a setting
// changes. Rules, by id:
//   global               free identifier that is not a device global (dialect/espruino.mjs)
//   member               missing static member (Array.from) or prototype method called by name (.flat());
//                        a member only the codepair image has (E.qrSymbol) used without a feature test
//   regexp               RegExp features that silently fail to match, or flags other than g/i
//   hoisting             function/var used before its line (directly or through called functions);
//                        var declared in a conditional block and used outside it
//   class-self-name      class expression that refers to its own name
//   class-extends-error  class extending Error or another *Error builtin
//   class-depth          class whose superclass is itself a subclass (three levels)
//   inherited-static     Sub.m() where m is a static member of a base class only
//   let-in-loop-closure  closure capturing a let/const declared in a loop head (`for (let i…)`,
//                        `for (const x of/in …)`): one binding shared by all iterations
//   builtin-prototype    Array.prototype.slice and the like: built-in prototype methods are
//                        undefined when read through <Builtin>.prototype on the device
//   length-assign        `x.length = n` (and `+=`, `--`, …): throws on arrays on the device
//   split-limit          `.split(sep, limit)`: the device ignores the limit
//   json-parse           JSON.parse: lenient on the device, and aborts it on a "__proto__" key
//   label, tagged-template, computed-key, new-target, error-name, instanceof-error,
//   negative-index, async, generator, private, unlowered
import { parse } from "acorn";
import sourceMapJs from "source-map-js";
import { posix } from "node:path";
import { GLOBALS, IMAGE_MEMBERS, MISSING_GLOBALS, MISSING_MEMBERS } from "./espruino.mjs";
import { analyze, isFunction } from "./scope.mjs";

const { SourceMapConsumer } = sourceMapJs;

/**
 * @typedef {import("./scope.mjs").Node} Node
 * @typedef {import("./scope.mjs").Binding} Binding
 * @typedef {import("./scope.mjs").Ref} Ref
 * @typedef {{ file: string, line: number, column: number, rule: string, message: string }} Violation
 */

const GLOBAL_SET = new Set(GLOBALS);
/** What a module's code has in scope besides the globals (jsparse.c, jspEvaluateModule). */
const MODULE_SCOPE = ["exports", "module"];
const MISSING_GLOBAL_SET = new Set(MISSING_GLOBALS);
const ERROR_CLASS = /^[A-Za-z]*Error$/;
const HEAD_LOOP_TYPES = new Set(["ForStatement", "ForInStatement", "ForOfStatement"]);
const LOOP_TYPES = new Set(["ForStatement", "ForInStatement", "ForOfStatement", "WhileStatement", "DoWhileStatement"]);

/** Static members missing on the device: owner -> names ("Array" -> ["from", "of"]). */
const MISSING_STATIC = new Map();
/**
 * Static members only the codepair image has (owner -> names): to be feature-tested like the
 * missing ones, but a test of one does not make its branch dead code (it runs on that image).
 */
const IMAGE_STATIC = new Map(Object.entries(IMAGE_MEMBERS).map(([owner, names]) => [owner, new Set(names)]));
/**
 * Methods that ESPRUINO.md ("Works") measured as present on a common prototype. A missing
 * method with one of these names (ArrayBuffer.prototype.slice) cannot be refused by name:
 * `x.slice()` is far more likely an array or a string.
 */
const PRESENT_METHODS = new Set([
  "find", "findIndex", "includes", "fill", "some", "every", "reduce", "sort", "map", "filter",
  "forEach", "indexOf", "slice", "splice", "padStart", "padEnd", "startsWith", "endsWith",
  "repeat", "trim", "charCodeAt", "substr", "substring", "then", "catch", "bind", "call",
  "apply", "toString", "valueOf", "hasOwnProperty",
]);
/**
 * Owners whose missing members are data properties, not methods: `Error.prototype.name` is
 * the `error-name` rule's business, and `.name()` calls are the program's own methods.
 */
const NOT_METHODS = new Set(["Error.prototype"]);
/**
 * Built-in constructors whose `.prototype` the device has (typeof is "object") but through
 * which the built-in methods cannot be read: measured on 2v29, `typeof Array.prototype.push`,
 * `String.prototype.slice`, `Function.prototype.call`/`apply`/`bind`, `Uint8Array.prototype.set`,
 * `Graphics.prototype.setPixel` are all "undefined" (the methods exist on instances only).
 */
const BUILTIN_CONSTRUCTORS = new Set([
  "Array", "ArrayBuffer", "Boolean", "DataView", "Date", "Error", "Float32Array", "Float64Array",
  "Function", "Int8Array", "Int16Array", "Int32Array", "InternalError", "Number", "Object",
  "Promise", "ReferenceError", "RegExp", "String", "SyntaxError", "TypeError", "Uint8Array",
  "Uint8ClampedArray", "Uint16Array", "Uint32Array", "Graphics",
]);
/**
 * What *is* reachable through every built-in `.prototype` on 2v29 (measured on Object,
 * Function, Array, String, Number, Boolean, the typed arrays, ArrayBuffer, DataView, Date,
 * RegExp, Error, Promise): Espruino's Object.prototype methods, and no others (not even
 * `constructor`). `Object.prototype.toString` is reachable but refused on its own: the
 * `Object.prototype.toString.call(x)` type test gives "1,2" for [1, 2], not "[object Array]".
 */
const PROTOTYPE_REACHABLE = new Set([
  "hasOwnProperty", "valueOf", "toString", "clone", "on", "emit", "removeListener",
  "removeAllListeners", "prependListener", "__proto__",
]);
/** Prototype methods missing on the device: name -> owners ("at" -> ["Array.prototype", "String.prototype"]). */
const MISSING_PROTO = new Map();
for (const [owner, names] of Object.entries(MISSING_MEMBERS)) {
  if (owner.endsWith(".prototype")) {
    if (NOT_METHODS.has(owner)) continue;
    for (const n of names) if (!PRESENT_METHODS.has(n)) MISSING_PROTO.set(n, (MISSING_PROTO.get(n) || []).concat(owner));
  } else MISSING_STATIC.set(owner, new Set(names));
}

/**
 * Checks a bundle. `map` is esbuild's source map for it (JSON text; "" when there is none),
 * whose `sources` are relative to `mapDir` (build.mjs writes the map beside dist/firmware.js);
 * reported files are relative to the project root, as esbuild's own errors are.
 * @param {string} code
 * @param {string} map
 * With `module`, the code is a Storage module's (build.mjs's FIRMWARE_MODULES), which the
 * interpreter runs with `exports` and `module` in scope (jspEvaluateModule).
 * @param {{ mapDir?: string, module?: boolean }} [options]
 * @returns {Violation[]}
 */
export function checkBundle(code, map, options) {
  const locate = makeLocator(map, (options && options.mapDir) || "dist");
  /** @type {Node} */
  let program;
  try {
    program = /** @type {Node} */ (/** @type {unknown} */ (
      parse(code, { ecmaVersion: "latest", sourceType: "script", locations: true })));
  } catch (err) {
    const e = /** @type {{ message: string, loc?: { line: number, column: number } }} */ (err);
    const at = locate(e.loc ? e.loc.line : 1, e.loc ? e.loc.column : 0);
    return [{ ...at.where, rule: "syntax", message: `bundle does not parse: ${e.message}${at.note}` }];
  }
  const found = findViolations(program, locate, !!(options && options.module)).sort((a, b) => a.node.start - b.node.start);
  /** @type {Violation[]} */
  const out = [];
  const seen = new Set();
  for (const f of found) {
    const loc = /** @type {import("acorn").SourceLocation} */ (f.node.loc);
    const at = locate(loc.start.line, loc.start.column);
    const v = { ...at.where, rule: f.rule, message: f.message + at.note };
    const key = `${v.file}:${v.line}:${v.column}:${v.rule}:${v.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Source-map lookups

/**
 * Maps bundle positions back to the TypeScript sources. esbuild emits a mapping at the start
 * of each token it takes from a source file, and none for its runtime helpers; a lookup takes
 * the nearest mapping at or before the position on the same generated line.
 * @param {string} map @param {string} mapDir
 */
function makeLocator(map, mapDir) {
  /** @type {Map<number, { col: number, source: string | null, line: number, column: number, name: string | null }[]>} */
  const lines = new Map();
  if (map) {
    const consumer = new SourceMapConsumer(JSON.parse(map));
    consumer.eachMapping((m) => {
      let list = lines.get(m.generatedLine);
      if (!list) lines.set(m.generatedLine, (list = []));
      list.push({ col: m.generatedColumn, source: m.source, line: m.originalLine || 0, column: m.originalColumn || 0, name: m.name || null });
    }, null, SourceMapConsumer.GENERATED_ORDER);
    for (const list of lines.values()) list.sort((a, b) => a.col - b.col);
  }
  /** @param {number} line 1-based @param {number} column 0-based */
  return (line, column) => {
    const list = lines.get(line) || [];
    let lo = 0;
    let hi = list.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].col <= column) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const m = best >= 0 ? list[best] : null;
    if (!m || !m.source) {
      return {
        name: null,
        where: { file: "?", line, column: column + 1 },
        note: map
          ? " (in code that esbuild generated, e.g. one of its helpers: no source mapping; position is in the bundle)"
          : " (no source map: position is in the bundle)",
      };
    }
    const file = posix.normalize(posix.join(mapDir, m.source.replace(/\\/g, "/")));
    // the minifier renames locals; the map keeps the original name of a renamed identifier
    const name = m.col === column ? m.name : null;
    return { where: { file, line: m.line, column: m.column + 1 }, note: "", name };
  };
}

// ---------------------------------------------------------------------------------------
// Rules

/**
 * @typedef {ReturnType<typeof makeLocator>} Locate
 * @param {Node} program
 * @param {Locate} locate
 * @param {boolean} moduleScope the code is a Storage module's: `exports` and `module` in scope
 * @returns {{ node: Node, rule: string, message: string }[]}
 */
function findViolations(program, locate, moduleScope) {
  const { parents, refs, bindings } = analyze(program);
  /** @type {{ node: Node, rule: string, message: string }[]} */
  const out = [];
  /** @param {Node} node @param {string} rule @param {string} message */
  const report = (node, rule, message) => out.push({ node, rule, message });

  /** @param {Node} n */
  const parentOf = (n) => parents.get(n) || null;
  /** The source name of an identifier (the minifier renamed most locals). @param {Node} n @returns {string} */
  const nm = (n) => {
    const loc = /** @type {import("acorn").SourceLocation} */ (n.loc);
    return locate(loc.start.line, loc.start.column).name || n.name;
  };
  /** The Ref for an identifier node in reference position, if any. */
  /** @type {Map<Node, Ref>} */
  const refOf = new Map();
  for (const r of refs) refOf.set(r.node, r);
  /** @type {Map<Node, Binding>} declaring identifier -> its binding */
  const bindingOfId = new Map();
  for (const b of bindings) bindingOfId.set(b.id, b);
  /** @param {Node | null | undefined} n true for an identifier that resolves to no declaration */
  const isGlobalRef = (n) => !!n && n.type === "Identifier" && !!refOf.get(n) && !(/** @type {Ref} */ (refOf.get(n)).binding);
  /** @param {Node} n @returns {string | null} non-computed (or string-literal) member name */
  const memberName = (n) => {
    if (n.type !== "MemberExpression") return null;
    if (!n.computed && n.property.type === "Identifier") return n.property.name;
    if (n.computed && n.property.type === "Literal" && typeof n.property.value === "string") return n.property.value;
    return null;
  };

  // ---- global ------------------------------------------------------------------------
  for (const r of refs) {
    if (r.binding || GLOBAL_SET.has(r.node.name)) continue;
    if (moduleScope && MODULE_SCOPE.indexOf(r.node.name) >= 0) continue;
    const name = r.node.name;
    if (MISSING_GLOBAL_SET.has(name)) report(r.node, "global", `${name} is not defined on the device`);
    else report(r.node, "global", `${name} is not a device global (not declared in the bundle and not in dialect/espruino.mjs GLOBALS)`);
  }

  // ---- member ------------------------------------------------------------------------
  /** Same expression, for guards: identifiers with the same binding, or member chains. */
  /** @param {Node} a @param {Node} b @returns {boolean} */
  const sameExpr = (a, b) => {
    if (a.type === "Identifier" && b.type === "Identifier") {
      const ra = refOf.get(a);
      const rb = refOf.get(b);
      return a.name === b.name && (!ra || !rb || ra.binding === rb.binding);
    }
    if (a.type === "MemberExpression" && b.type === "MemberExpression") {
      const na = memberName(a);
      return na !== null && na === memberName(b) && sameExpr(a.object, b.object);
    }
    return false;
  };
  /** @param {Node} test @param {Node} expr true if `test` being truthy implies `expr` is @returns {boolean} */
  const impliesTruthy = (test, expr) =>
    sameExpr(test, expr) ||
    // typeof E === "function", typeof E != "undefined"
    (test.type === "BinaryExpression" && test.left.type === "UnaryExpression" && test.left.operator === "typeof" &&
      test.right.type === "Literal" && sameExpr(test.left.argument, expr) &&
      (((test.operator === "===" || test.operator === "==") && test.right.value !== "undefined") ||
        ((test.operator === "!==" || test.operator === "!=") && test.right.value === "undefined"))) ||
    (test.type === "LogicalExpression" && test.operator === "&&" && (impliesTruthy(test.left, expr) || impliesTruthy(test.right, expr)));
  /** @param {string} owner @param {string} name true for `owner.prototype.name` undefined on the device */
  const unreachableOnPrototype = (owner, name) => BUILTIN_CONSTRUCTORS.has(owner) && !PROTOTYPE_REACHABLE.has(name);
  /**
   * A known-missing member read (`Object.getOwnPropertySymbols`, `Object.prototype.
   * propertyIsEnumerable`), or a variable initialised with one and never assigned again.
   * @param {Node} n @returns {boolean}
   */
  const isKnownMissing = (n) => {
    if (n.type === "MemberExpression") {
      const name = memberName(n);
      if (name === null) return false;
      if (isGlobalRef(n.object)) {
        const statics = MISSING_STATIC.get(n.object.name);
        return !!statics && statics.has(name);
      }
      const o = n.object;
      if (o.type === "MemberExpression" && memberName(o) === "prototype" && isGlobalRef(o.object)) {
        const list = MISSING_MEMBERS[/** @type {keyof typeof MISSING_MEMBERS} */ (`${o.object.name}.prototype`)];
        return (!!list && list.includes(name)) || unreachableOnPrototype(o.object.name, name);
      }
      return false;
    }
    if (n.type === "Identifier") {
      const r = refOf.get(n);
      const b = r && r.binding;
      if (!b || b.decls.length !== 1 || (b.kind !== "var" && b.kind !== "let" && b.kind !== "const")) return false;
      const d = parentOf(b.id);
      if (!d || d.type !== "VariableDeclarator" || !d.init || !isKnownMissing(d.init)) return false;
      return b.refs.every((x) => {
        const p = parentOf(x.node);
        return !(p && ((p.type === "AssignmentExpression" && p.left === x.node) || p.type === "UpdateExpression"));
      });
    }
    return false;
  };
  /** @param {Node} test true if `test` being truthy means a known-missing member exists: dead code on the device @returns {boolean} */
  const deadOnDevice = (test) =>
    isKnownMissing(test) ||
    (test.type === "LogicalExpression" && test.operator === "&&" && (deadOnDevice(test.left) || deadOnDevice(test.right)));
  /**
   * A feature test rather than a use: `typeof Math.trunc`, `if (Math.trunc)`, `!x.at`,
   * `Math.trunc || poly`, `Math.trunc = poly`, or any use dominated by a truthiness test of
   * the same expression (`if (u) u(x)`, `f && f(x)`, `f ? f(x) : y`). esbuild's object-spread
   * helper relies on exactly this (`var u = Object.getOwnPropertySymbols; … if (u) for (… of
   * u(b))`): on the device `u` is undefined and the loop is skipped, so it is allowed.
   * A variable initialised with the member counts as guarded when all its uses are. And code
   * behind a truthiness test of any known-missing member never runs on the device, so the
   * same helper's `v.call(b, prop)` (v = Object.prototype.propertyIsEnumerable, missing on
   * the device) inside that `if (u)` is allowed too.
   * @param {Node} expr @param {number} [depth]
   * @returns {boolean}
   */
  const isGuarded = (expr, depth = 0) => {
    const p = parentOf(expr);
    if (!p) return false;
    if (p.type === "UnaryExpression" && (p.operator === "typeof" || p.operator === "!")) return true;
    if ((p.type === "IfStatement" || p.type === "ConditionalExpression" || p.type === "WhileStatement") && p.test === expr) return true;
    if (p.type === "LogicalExpression" && p.left === expr) return true;
    // the last of `a && m` tested as a whole (`if (typeof E !== "undefined" && E.qrSymbol)`)
    if (p.type === "LogicalExpression" && p.operator === "&&" && p.right === expr && isGuarded(p, depth)) return true;
    if (p.type === "AssignmentExpression" && p.left === expr) return true;
    if (p.type === "VariableDeclarator" && p.init === expr && p.id.type === "Identifier" && depth < 3) {
      const alias = bindingOfId.get(p.id);
      if (alias && alias.refs.every((r) => isGuarded(r.node, depth + 1))) return true;
    }
    /** @type {Node} */
    let child = expr;
    for (let a = parentOf(expr); a; child = a, a = parentOf(a)) {
      if ((a.type === "IfStatement" || a.type === "ConditionalExpression") && a.consequent === child && (impliesTruthy(a.test, expr) || deadOnDevice(a.test))) return true;
      if (a.type === "LogicalExpression" && a.operator === "&&" && a.right === child && (impliesTruthy(a.left, expr) || deadOnDevice(a.left))) return true;
    }
    return false;
  };

  for (const r of refs) {
    if (r.binding) continue;
    const owner = r.node.name;
    const p = parentOf(r.node);
    if (!p || p.type !== "MemberExpression" || p.object !== r.node) continue;
    const name = memberName(p);
    if (name === null) continue;
    const statics = MISSING_STATIC.get(owner);
    if (statics && statics.has(name) && !isGuarded(p)) {
      report(p, "member", `${owner}.${name} is missing on the device`);
    }
    const image = IMAGE_STATIC.get(owner);
    if (image && image.has(name) && !isGuarded(p)) {
      report(p, "member", `${owner}.${name} is only in the codepair image (2v29 as released lacks it): feature-test it`);
    }
    if (name === "prototype") {
      const pp = parentOf(p);
      const m = pp && pp.object === p ? memberName(pp) : null;
      const list = MISSING_MEMBERS[/** @type {keyof typeof MISSING_MEMBERS} */ (`${owner}.prototype`)];
      if (pp && m !== null && list && list.includes(m)) {
        if (!isGuarded(pp)) report(pp, "member", `${owner}.prototype.${m} is missing on the device`);
      } else if (pp && m !== null && !isGuarded(pp)) {
        // builtin-prototype: `X.prototype` itself (Object.create(Foo.prototype), instanceof
        // helpers) is fine; reading a built-in method through it is not. Writing one
        // (`Array.prototype.m = …`, a polyfill) works on the device and counts as guarded.
        if (unreachableOnPrototype(owner, m)) {
          report(pp, "builtin-prototype", `${owner}.prototype.${m} is undefined on the device: built-in methods cannot be read through ${owner}.prototype (only ${[...PROTOTYPE_REACHABLE].filter((n) => n !== "__proto__" && n !== "toString").join(", ")}); call the method on a value instead (for \`arguments\`, copy it with a loop)`);
        } else if (owner === "Object" && m === "toString") {
          report(pp, "builtin-prototype", "Object.prototype.toString on the device is the value's own toString: Object.prototype.toString.call([1, 2]) is \"1,2\", not \"[object Array]\"; test the type another way (Array.isArray, typeof)");
        }
      }
    }
  }

  /**
   * length-assign: measured on 2v29, `arr.length = n` (any n, and `-=`, `--`) throws
   * "TypeError: Assignment to a constant" on an array, and a typed array's throws too; a
   * plain object's `length` property can be assigned. Refused by name.
   * @param {Node} node @param {string} op
   */
  const reportLengthAssign = (node, op) => {
    const form = op === "++" || op === "--" ? `.length${op}` : `.length ${op} …`;
    report(node, "length-assign", `\`${form}\`: assigning an array's length throws on the device (TypeError: Assignment to a constant); refused by name, since the receiver's type is unknown (a plain object's length works there, but rename it): truncate with .splice(n) or build a new array`);
  };

  // ---- one pass over every node for the purely syntactic rules -------------------------
  /** @type {Node[]} */
  const allNodes = [...parents.keys()];
  for (const node of allNodes) {
    switch (node.type) {
      case "CallExpression":
      case "NewExpression": {
        const callee = node.callee;
        const name = callee.type === "MemberExpression" ? memberName(callee) : null;
        // member: prototype methods are refused by name, since the receiver's type is
        // unknown; a receiver that is an undeclared global (Object.keys, Promise.all) is a
        // static call, which the static list above covers.
        if (node.type === "CallExpression" && name !== null && MISSING_PROTO.has(name) &&
            !isGlobalRef(callee.object) && !isGuarded(callee)) {
          const owners = /** @type {string[]} */ (MISSING_PROTO.get(name)).map((o) => `${o}.${name}`).join(" / ");
          report(callee.property, "member", `.${name}() (${owners}) is missing on the device; refused by name since the receiver's type is unknown`);
        }
        // split-limit: measured on 2v29, "a,b,c".split(",", 2) is ["a","b","c"]: the limit
        // is ignored (for string and RegExp separators alike). Refused by name.
        if (node.type === "CallExpression" && name === "split" && node.arguments.length >= 2 && !isGlobalRef(callee.object)) {
          report(callee.property, "split-limit", ".split(separator, limit): the device ignores the limit and returns every piece; refused by name since the receiver's type is unknown: write .split(separator).slice(0, limit)");
        }
        // json-parse: measured on 2v29, the device's JSON.parse accepts what RFC 8259 does
        // not (trailing text, commas and quotes of its own), returns undefined without an
        // error for a truncated number (`{"a":-`), and a "__proto__" key aborts the
        // interpreter (ASSERT in jsvar.c). Replies from the network go through firmware/json/.
        if (node.type === "CallExpression" && name === "parse" && isGlobalRef(callee.object) &&
            callee.object.type === "Identifier" && callee.object.name === "JSON") {
          report(callee.property, "json-parse", 'JSON.parse is lenient on the device and a "__proto__" key aborts the interpreter: read JSON with firmware/json/');
        }
        // regexp: new RegExp("literal", "flags")
        if (callee.type === "Identifier" && callee.name === "RegExp" && isGlobalRef(callee) &&
            node.arguments[0] && node.arguments[0].type === "Literal" && typeof node.arguments[0].value === "string") {
          const flagsArg = node.arguments[1];
          const flags = flagsArg && flagsArg.type === "Literal" && typeof flagsArg.value === "string" ? flagsArg.value : "";
          for (const problem of regexpProblems(node.arguments[0].value, flags)) report(node, "regexp", problem);
        }
        break;
      }
      case "Literal":
        if (node.regex) for (const problem of regexpProblems(node.regex.pattern, node.regex.flags)) report(node, "regexp", problem);
        break;
      case "LabeledStatement":
        report(node, "label", `label \`${nm(node.label)}:\` is a SyntaxError on the device`);
        break;
      case "TaggedTemplateExpression":
        report(node, "tagged-template", "tagged template literal is a SyntaxError on the device");
        break;
      case "Property":
      case "MethodDefinition":
      case "PropertyDefinition":
        if (node.computed) report(node.key, "computed-key", "computed property name `[key]` is a SyntaxError on the device");
        if (node.type === "PropertyDefinition") report(node, "unlowered", "class field got through esbuild: the device rejects it");
        break;
      case "MetaProperty":
        if (node.meta.name === "new") report(node, "new-target", "new.target is not supported on the device");
        break;
      case "BinaryExpression":
        if (node.operator === "instanceof" && node.right.type === "Identifier" && ERROR_CLASS.test(node.right.name) && isGlobalRef(node.right)) {
          report(node, "instanceof-error", `\`instanceof ${node.right.name}\` is unreliable on the device (TypeError instances are not instanceof Error)`);
        }
        if (node.operator === "**") report(node, "unlowered", "`**` got through esbuild: the device rejects it");
        break;
      case "MemberExpression": {
        const prop = node.property;
        if (node.computed && prop.type === "UnaryExpression" && prop.operator === "-" &&
            prop.argument.type === "Literal" && typeof prop.argument.value === "number" && prop.argument.value !== 0) {
          report(node, "negative-index", `negative index [-${prop.argument.value}] throws on the device`);
        }
        if (memberName(node) === "name" && node.object.type === "Identifier") {
          const r = refOf.get(node.object);
          if (r && r.binding && r.binding.kind === "catch") report(node, "error-name", `\`${nm(node.object)}.name\` on a caught error is undefined on the device`);
        }
        if (node.optional) report(node, "unlowered", "optional chaining `?.` got through esbuild: the device rejects it");
        break;
      }
      case "PrivateIdentifier":
        report(node, "private", `#${node.name} private member is not supported on the device`);
        break;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        if (node.async) report(node, "async", "async function is a SyntaxError on the device");
        if (node.generator) report(node, "generator", "generator function is a SyntaxError on the device");
        break;
      case "AwaitExpression":
        report(node, "async", "await is a SyntaxError on the device");
        break;
      case "YieldExpression":
        report(node, "generator", "yield is a SyntaxError on the device");
        break;
      case "ForOfStatement":
        if (node.await) report(node, "async", "for await is a SyntaxError on the device");
        break;
      case "ChainExpression":
        report(node, "unlowered", "optional chaining `?.` got through esbuild: the device rejects it");
        break;
      case "LogicalExpression":
        if (node.operator === "??") report(node, "unlowered", "`??` got through esbuild: the device rejects it");
        break;
      case "AssignmentExpression":
        if (["**=", "??=", "||=", "&&="].includes(node.operator)) report(node, "unlowered", `\`${node.operator}\` got through esbuild: the device rejects it`);
        if (memberName(node.left) === "length") reportLengthAssign(node, node.operator);
        break;
      case "UpdateExpression":
        if (memberName(node.argument) === "length") reportLengthAssign(node, node.operator);
        break;
      case "SpreadElement":
        if (node.argument.type === "Identifier" && node.argument.name === "arguments") {
          const call = parentOf(node);
          if (call && call.type === "CallExpression" && call.callee.type === "Super") {
            report(node, "unlowered", "`super(...arguments)`: esbuild writes this constructor for a derived class that has fields but no constructor of its own, and spread is a SyntaxError on the device: write the constructor explicitly");
            break;
          }
        }
        report(node, "unlowered", "spread `...` got through esbuild: the device rejects it");
        break;
      case "RestElement":
      case "ObjectPattern":
      case "ArrayPattern":
      case "AssignmentPattern":
        report(node, "unlowered", `${node.type} (spread/rest/destructuring/default) got through esbuild: the device rejects it`);
        break;
      case "CatchClause":
        if (!node.param) report(node, "unlowered", "catch without a binding got through esbuild: the device rejects it");
        break;
      case "StaticBlock":
        report(node, "unlowered", "class static block got through esbuild: the device rejects it");
        break;
      case "ClassDeclaration":
      case "ClassExpression":
        if (node.superClass && node.superClass.type === "Identifier" && ERROR_CLASS.test(node.superClass.name) && isGlobalRef(node.superClass)) {
          report(node.superClass, "class-extends-error", `class extends ${node.superClass.name}: a SyntaxError on the device`);
        }
        break;
    }
  }

  // ---- class-self-name ---------------------------------------------------------------
  for (const b of bindings) {
    if (b.kind !== "cname") continue;
    for (const r of b.refs) {
      report(r.node, "class-self-name", `class expression refers to its own name inside its body: the name is not bound on the device (ReferenceError); esbuild names a class expression this way when a class's body mentions the class, so refer to it another way (e.g. this.constructor)`);
    }
  }

  // ---- classes by declared name: class-depth, inherited-static ------------------------
  /** @type {Map<Binding, Node>} class node for each binding that names a class */
  const classOf = new Map();
  /** @param {Node | null | undefined} n @returns {Node | null} */
  const resolveClass = (n) => {
    if (!n || n.type !== "Identifier") return null;
    const r = refOf.get(n);
    return (r && r.binding && classOf.get(r.binding)) || null;
  };
  for (let pass = 0; pass < 3; pass++) {
    for (const b of bindings) {
      if (classOf.has(b)) continue;
      const decl = b.decls[0];
      if ((b.kind === "class" || b.kind === "cname") && decl) classOf.set(b, decl);
      else if (b.kind === "var" || b.kind === "let" || b.kind === "const") {
        const d = parentOf(b.id);
        if (d && d.type === "VariableDeclarator" && d.id === b.id && d.init) {
          if (d.init.type === "ClassExpression") classOf.set(b, d.init);
          else {
            const aliased = resolveClass(d.init); // esbuild: var Baz = _Baz;
            if (aliased) classOf.set(b, aliased);
          }
        }
      }
    }
  }
  /** @param {Node} cls */
  const superOf = (cls) => resolveClass(cls.superClass);
  /** @type {Map<Node, string>} */
  const classNames = new Map();
  for (const [b, cls] of classOf) if (!classNames.has(cls) || b.kind !== "cname") classNames.set(cls, nm(b.id));
  /** @param {Node} cls */
  const className = (cls) => classNames.get(cls) || "(anonymous class)";
  /** Static members a class defines itself: static methods, and esbuild's lowered static
   * fields (`__publicField(Cls, "n", v)`, minified to a call with the class as first
   * argument and a string second), and `Cls.n = v` assignments. */
  /** @type {Map<Node, Set<string>>} */
  const ownStatics = new Map();
  /** @param {Node} cls */
  const staticsOf = (cls) => {
    let s = ownStatics.get(cls);
    if (!s) ownStatics.set(cls, (s = new Set()));
    return s;
  };
  for (const cls of new Set(classOf.values())) {
    for (const m of cls.body.body) {
      if (m.static && !m.computed && m.key && (m.key.type === "Identifier" || m.key.type === "Literal")) {
        staticsOf(cls).add(m.key.type === "Identifier" ? m.key.name : String(m.key.value));
      }
    }
  }
  for (const node of allNodes) {
    if (node.type === "CallExpression" && node.arguments.length === 3 && node.arguments[1].type === "Literal" && typeof node.arguments[1].value === "string") {
      const cls = resolveClass(node.arguments[0]);
      if (cls) staticsOf(cls).add(node.arguments[1].value);
    }
    if (node.type === "AssignmentExpression" && node.left.type === "MemberExpression") {
      const cls = resolveClass(node.left.object);
      const name = memberName(node.left);
      if (cls && name !== null) staticsOf(cls).add(name);
    }
  }
  for (const cls of new Set(classOf.values())) {
    const base = superOf(cls);
    const grand = base && base.superClass;
    if (base && grand) {
      report(cls.superClass, "class-depth", `three levels of classes (${className(cls)} extends ${className(base)} extends ${grand.type === "Identifier" ? nm(grand) : "…"}): super.m() three levels deep recurses forever on the device`);
    }
  }
  for (const node of allNodes) {
    if (node.type !== "MemberExpression") continue;
    const cls = resolveClass(node.object);
    const name = memberName(node);
    if (!cls || name === null || staticsOf(cls).has(name)) continue;
    const p = parentOf(node);
    if (p && p.type === "AssignmentExpression" && p.left === node) continue;
    const seen = new Set([cls]);
    for (let base = superOf(cls); base && !seen.has(base); base = superOf(base)) {
      seen.add(base);
      if (staticsOf(base).has(name)) {
        report(node, "inherited-static", `${nm(node.object)}.${name} is a static member of base class ${className(base)} only: static methods are not inherited on the device (call ${className(base)}.${name} or define it on the subclass)`);
        break;
      }
    }
  }

  // ---- let-in-loop-closure -----------------------------------------------------------
  // Measured on 2v29: a let/const declared in a loop's head (`for (let i = 0; …)`, `for
  // (const x of …)`, `for (const k in …)`) is one binding for all iterations (closures made
  // in the loop print 3,3,3), while one declared in the loop's body is fresh each iteration
  // (0,1,2), in for, for-of, for-in, while and do-while bodies alike. The scope analysis gives
  // a head binding the loop statement itself as its scope node; a body binding gets the block.
  for (const r of refs) {
    const b = r.binding;
    if (!b || (b.kind !== "let" && b.kind !== "const")) continue;
    if (!HEAD_LOOP_TYPES.has(b.scope.node.type)) continue;
    if (enclosingFunction(r.node, parentOf) === b.scope.fn) continue;
    report(r.node, "let-in-loop-closure", `closure captures \`${nm(b.id)}\`, a ${b.kind} declared in a loop head: on the device all iterations share one binding, so the closure sees the last value (copy it into a let/const declared in the loop body)`);
  }

  // ---- hoisting ----------------------------------------------------------------------
  checkHoisting(bindings, refs, parentOf, report, nm, locate);

  return out;
}


/**
 * The function (or Program) whose body a node is in.
 * @param {Node} node @param {(n: Node) => Node | null} parentOf
 */
function enclosingFunction(node, parentOf) {
  let a = parentOf(node);
  while (a && !isFunction(a) && a.type !== "Program" && a.type !== "StaticBlock") a = parentOf(a);
  return /** @type {Node} */ (a);
}

/**
 * The function whose execution runs this code: like enclosingFunction, but an immediately
 * invoked function (`(function(){…})()`, as TypeScript namespaces, enums and the bundle
 * wrapper are) runs as part of the code around it.
 * @param {Node} fn a function or Program @param {(n: Node) => Node | null} parentOf
 * @returns {Node}
 */
function executionContext(fn, parentOf) {
  let f = fn;
  for (;;) {
    const p = parentOf(f);
    let call = p;
    // (function(){}).call(this) too
    if (p && p.type === "MemberExpression" && p.object === f && ["call", "apply"].includes(p.property.name)) call = parentOf(p);
    if (!call || (call.type !== "CallExpression" && call.type !== "NewExpression") || (call.callee !== f && call.callee !== p)) return f;
    f = enclosingFunction(call, parentOf);
  }
}

/**
 * hoisting: the device has no hoisting. A function or var is defined only once its
 * declaration has run, so (1) a reference that runs in the declaring scope before the
 * declaration fails; (2) so does calling, before a declaration D, a function of the same
 * scope whose body (directly, or through further calls of the scope's functions) uses D;
 * (3) a var declared in a conditional block exists only if that block ran.
 * @param {Binding[]} bindings @param {Ref[]} refs
 * @param {(n: Node) => Node | null} parentOf
 * @param {(node: Node, rule: string, message: string) => void} report
 * @param {(id: Node) => string} nm source name of an identifier
 * @param {Locate} locate
 */
function checkHoisting(bindings, refs, parentOf, report, nm, locate) {
  /** @type {Map<Node, Node>} function -> its execution context */
  const ctxCache = new Map();
  /** @param {Node} fn */
  const ctxOfFn = (fn) => {
    let c = ctxCache.get(fn);
    if (!c) ctxCache.set(fn, (c = executionContext(fn, parentOf)));
    return c;
  };
  /** @param {Node} node */
  const ctxOfNode = (node) => ctxOfFn(enclosingFunction(node, parentOf));
  /** @param {Binding} b */
  const declPos = (b) => b.decls[0].start;
  const hoistable = new Set(["var", "let", "const", "function", "class"]);
  /** @param {Binding} b @returns {Node | null} the function a binding names, if any */
  const functionOf = (b) => {
    if (b.kind === "function") return b.decls[0];
    const d = parentOf(b.id);
    if (d && d.type === "VariableDeclarator" && d.init && (isFunction(d.init) || d.init.type === "ClassExpression")) {
      if (d.init.type !== "ClassExpression") return d.init;
      const ctor = d.init.body.body.find((/** @type {Node} */ m) => m.kind === "constructor");
      return ctor ? ctor.value : null;
    }
    return null;
  };
  /** @param {Ref} r the call or new expression when the ref is its callee */
  const callOf = (r) => {
    const p = parentOf(r.node);
    return p && (p.type === "CallExpression" || p.type === "NewExpression") && p.callee === r.node ? p : null;
  };

  // refs grouped by the function body that runs them
  /** @type {Map<Node, Ref[]>} */
  const refsByFn = new Map();
  for (const r of refs) {
    if (!r.binding) continue;
    const f = enclosingFunction(r.node, parentOf);
    let list = refsByFn.get(f);
    if (!list) refsByFn.set(f, (list = []));
    list.push(r);
  }

  // (1) direct references before the declaration
  for (const b of bindings) {
    if (!hoistable.has(b.kind)) continue;
    const ctx = ctxOfFn(b.scope.fn);
    for (const r of b.refs) {
      if (r.node.start < declPos(b) && ctxOfNode(r.node) === ctx) {
        report(r.node, "hoisting", `${b.kind} \`${nm(b.id)}\` is used before the line that declares it: no hoisting on the device (ReferenceError)`);
      }
    }
  }

  // (2) direct calls of a scope's functions that reach a later declaration of the scope
  /** @type {Map<Node, Map<Binding, Node>>} function -> bindings its execution uses (first use) */
  const reachCache = new Map();
  /**
   * Bindings of execution context `ctx` that running `fn` uses: references in its body that
   * run when it runs (including its IIFEs, not its other nested functions), plus, for each of
   * the ctx's functions it calls, what that one uses.
   * @param {Node} fn @param {Node} ctx @param {Set<Node>} visiting
   * @returns {Map<Binding, Node>}
   */
  const reach = (fn, ctx, visiting) => {
    const cached = reachCache.get(fn);
    if (cached) return cached;
    /** @type {Map<Binding, Node>} */
    const out = new Map();
    if (visiting.has(fn)) return out;
    visiting.add(fn);
    for (const [f, list] of refsByFn) {
      if (ctxOfFn(f) !== fn && f !== fn) continue;
      for (const r of list) {
        const b = /** @type {Binding} */ (r.binding);
        if (!hoistable.has(b.kind) || ctxOfFn(b.scope.fn) !== ctx) continue;
        if (!out.has(b)) out.set(b, r.node);
        const callee = callOf(r) ? functionOf(b) : null;
        if (callee) for (const [b2, n2] of reach(callee, ctx, visiting)) if (!out.has(b2)) out.set(b2, n2);
      }
    }
    visiting.delete(fn);
    if (!visiting.size) reachCache.set(fn, out);
    return out;
  };
  for (const b of bindings) {
    if (!hoistable.has(b.kind)) continue;
    const fn = functionOf(b);
    if (!fn) continue;
    const ctx = ctxOfFn(b.scope.fn);
    for (const r of b.refs) {
      const call = callOf(r);
      if (!call || r.node.start < declPos(b) || ctxOfNode(r.node) !== ctx) continue;
      for (const [d, use] of reach(fn, ctx, new Set())) {
        if (declPos(d) > call.start && d !== b) {
          const loc = /** @type {import("acorn").SourceLocation} */ (use.loc);
          const at = locate(loc.start.line, loc.start.column).where;
          const dloc = /** @type {import("acorn").SourceLocation} */ (d.id.loc);
          const dat = locate(dloc.start.line, dloc.start.column).where;
          report(call, "hoisting", `calling \`${nm(b.id)}\` here runs code (${at.file}:${at.line}) that uses \`${nm(d.id)}\` before the line that declares it (${dat.file}:${dat.line}): no hoisting on the device (ReferenceError)`);
        }
      }
    }
  }

  // (3) var declared in a conditional block, used outside it
  for (const b of bindings) {
    if (b.kind !== "var") continue;
    /** @type {Node[]} */
    const blocks = [];
    let unconditional = false;
    for (const decl of b.decls) {
      const block = conditionalBlock(decl, b.scope.fn, parentOf);
      if (block) blocks.push(block);
      else unconditional = true;
    }
    if (unconditional || !blocks.length) continue;
    for (const r of b.refs) {
      if (blocks.some((blk) => r.node.start >= blk.start && r.node.end <= blk.end)) continue;
      report(r.node, "hoisting", `var \`${nm(b.id)}\` is declared inside a conditional block and used outside it: on the device it exists only if that block ran (ReferenceError)`);
    }
  }
}

/**
 * The innermost conditional block (if/else branch, switch case, try/catch/finally block,
 * loop body) holding a declaration, below its function; null if there is none.
 * @param {Node} decl @param {Node} fn @param {(n: Node) => Node | null} parentOf
 * @returns {Node | null}
 */
function conditionalBlock(decl, fn, parentOf) {
  /** @type {Node} */
  let child = decl;
  for (let a = parentOf(decl); a && a !== fn; child = a, a = parentOf(a)) {
    if (a.type === "IfStatement" && (a.consequent === child || a.alternate === child)) return child;
    if (a.type === "SwitchCase" && a.consequent.includes(child)) return a;
    if (a.type === "TryStatement" && (a.block === child || a.finalizer === child)) return child;
    if (a.type === "CatchClause" && a.body === child) return child;
    if (LOOP_TYPES.has(a.type) && a.body === child) return child;
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// RegExp

/**
 * What in a RegExp pattern the device gets wrong (ESPRUINO.md: only `+ * [] () | ^ $ \d
 * \w \s` and flags g and i work; the rest silently fails to match). Measured on 2v29 beyond
 * ESPRUINO.md's list: the `?` quantifier never matches (/ab?c/ fails on "ac" and "abc"), a
 * group under `*` fails when it matches zero times (/(ab)*c/ fails on "c"), and a leading `^`
 * anchors every alternative (/^x|y/ fails on "ay").
 * @param {string} pattern @param {string} flags
 * @returns {string[]}
 */
export function regexpProblems(pattern, flags) {
  /** @type {Set<string>} */
  const found = new Set();
  const fail = "silently fails to match on the device";
  for (const f of flags) if (f !== "g" && f !== "i") found.add(`RegExp flag /${f} is not supported on the device (only g and i)`);
  let inClass = false;
  let depth = 0;
  let topLevelAlternation = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (!inClass && c === "(") depth++;
    if (!inClass && c === ")") depth = Math.max(0, depth - 1);
    if (!inClass && c === "|" && depth === 0) topLevelAlternation = true;
    if (c === "\\") {
      const n = pattern[i + 1];
      if (!inClass && (n === "b" || n === "B")) found.add(`RegExp \\${n} ${fail}`);
      if (!inClass && n === "k" && pattern[i + 2] === "<") found.add(`RegExp named group backreference \\k<…> ${fail}`);
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      if (pattern[i + 1] === "^") i++;
      if (pattern[i + 1] === "]") i++; // `[]…` : a `]` first in a class is literal
      continue;
    }
    if (c === "(" && pattern[i + 1] === "?") {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith(":")) found.add(`RegExp non-capturing group (?:…) ${fail}`);
      else if (rest.startsWith("=")) found.add(`RegExp lookahead (?=…) ${fail}`);
      else if (rest.startsWith("!")) found.add(`RegExp negative lookahead (?!…) ${fail}`);
      else if (rest.startsWith("<=")) found.add(`RegExp lookbehind (?<=…) ${fail}`);
      else if (rest.startsWith("<!")) found.add(`RegExp negative lookbehind (?<!…) ${fail}`);
      else if (rest.startsWith("<")) found.add(`RegExp named group (?<name>…) ${fail}`);
      else found.add(`RegExp group (?…) ${fail}`);
      i++; // skip the `?`, which is not a quantifier here
      continue;
    }
    let quantEnd = -1;
    if (c === "*" || c === "+" || c === "?") quantEnd = i;
    if (c === "?") found.add(`RegExp ? quantifier ${fail} (measured on 2v29)`);
    if (c === "*" && pattern[i - 1] === ")" && pattern[i - 2] !== "\\") found.add(`RegExp group repeated with * ${fail} when the group matches zero times`);
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m) {
        found.add(`RegExp ${m[2] ? "{n,m}" : "{n}"} quantifier ${fail}`);
        quantEnd = i + m[0].length - 1;
      }
    }
    if (quantEnd >= 0) {
      if (pattern[quantEnd + 1] === "?") {
        found.add(`RegExp lazy quantifier ${pattern.slice(i, quantEnd + 1)}? ${fail}`);
        quantEnd++;
      }
      i = quantEnd;
    }
  }
  if (pattern.startsWith("^") && topLevelAlternation) found.add(`RegExp ^a|b: the leading ^ anchors every alternative on the device; write (^a)|b or split the pattern`);
  return [...found];
}
