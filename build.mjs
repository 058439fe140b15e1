// Bundles firmware/main.ts into dist/firmware.js for the Espruino interpreter, refuses any
// construct the interpreter would reject (../shared/ESPRUINO.md), and reports the size.
//
//   node build.mjs            build, gate, write dist/firmware.js and dist/size.json
//
// Tests import bundleFirmware() to build fixtures in memory.
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { checkBundle } from "./dialect/gate.mjs";
import { fontPlugin } from "./tools/fontpack.mjs";
import { flashForm } from "./tools/flashform.mjs";
import { trustRootsBase64 } from "./tools/trust-roots.mjs";

// The bytes Storage holds of a bundle or module: long string literals as raw strings that stay
// in flash (tools/flashform.mjs). The flash tool, the tests and the benches write this form.
export { flashForm };

const ROOT = dirname(fileURLToPath(import.meta.url));
const PKG = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"));

/**
 * Parts of the firmware that are Storage modules of their own, not in the bundle: the device
 * loads one with `require(name)` (2v29 looks for a Storage file of that name) only while it is
 * needed, so its functions take no JsVars the rest of the time, and the bundle run as text
 * still fits. Name (at most 28 characters, Storage's limit) → the entry point, which puts what
 * it offers on `exports`. Each is written beside the bundle as dist/NAME.js and flashed as the
 * Storage file NAME.
 */
export const FIRMWARE_MODULES = { "codepair-setup": "firmware/setup/module.ts", "codepair-store": "firmware/store/module.ts" };

/** Modules the interpreter provides, and the firmware's own; `require("…")` of these stays a plain call. */
export const ESPRUINO_MODULES = ["Wifi", "http", "Storage", "TelnetServer", "crypto", "net", "tls", "dgram"].concat(Object.keys(FIRMWARE_MODULES));

/**
 * esbuild's `supported` table for Espruino: lowered where esbuild can lower (first group),
 * refused where it cannot (second group), so the build fails on the construct.
 */
export const ESPRUINO_SYNTAX = {
  "optional-chain": false,
  "nullish-coalescing": false,
  "logical-assignment": false,
  "exponent-operator": false,
  "optional-catch-binding": false,
  "class-field": false,
  "class-static-field": false,
  "class-static-blocks": false,
  "object-rest-spread": false,
  "new-target": false,
  "destructuring": false,
  "array-spread": false,
  "rest-argument": false,
  "default-argument": false,
  "async-await": false,
  "async-generator": false,
  "for-await": false,
  "generator": false,
  "class-private-field": false,
  "class-private-method": false,
  "class-private-accessor": false,
  "class-private-static-field": false,
  "class-private-static-method": false,
  "class-private-static-accessor": false,
  "class-private-brand-check": false,
};

/**
 * @typedef {{ file: string, line: number, column: number, rule: string, message: string }} BuildProblem
 * @typedef {{ ok: boolean, code: string, map: string, problems: BuildProblem[], bytesByFile: Record<string, number> }} BundleResult
 */

/**
 * Bundles one entry point for the device and runs the dialect gate over the result.
 * With `module`, the entry is one of FIRMWARE_MODULES' (its code has `exports` in scope).
 * @param {{ entry?: string, minify?: boolean, define?: Record<string, string>, module?: boolean }} [options]
 * @returns {Promise<BundleResult>}
 */
export async function bundleFirmware(options) {
  const opts = options || {};
  const entry = resolve(ROOT, opts.entry || "firmware/main.ts");
  /** @type {BuildProblem[]} */
  const problems = [];
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      outfile: resolve(ROOT, "dist/firmware.js"),
      format: "cjs",
      platform: "neutral",
      target: "es2015",
      supported: ESPRUINO_SYNTAX,
      external: ESPRUINO_MODULES,
      minify: opts.minify !== false,
      sourcemap: "external",
      sourcesContent: false,
      // Espruino ignores "use strict"; the simulator would not, so none is emitted.
      tsconfigRaw: { compilerOptions: { alwaysStrict: false, useDefineForClassFields: false } },
      charset: "ascii",
      legalComments: "none",
      banner: { js: "(function(){" },
      footer: { js: "})();" },
      define: Object.assign({ __VERSION__: JSON.stringify(PKG.version), __TRUST_ROOTS__: JSON.stringify(trustRootsBase64()) }, opts.define || {}),
      logLevel: "silent",
      absWorkingDir: ROOT,
      plugins: [fontPlugin()],
      metafile: true,
    });
  } catch (err) {
    const failure = /** @type {{ errors?: import("esbuild").Message[] }} */ (err);
    for (const m of failure.errors || []) {
      problems.push({
        file: m.location ? m.location.file : "?",
        line: m.location ? m.location.line : 0,
        column: m.location ? m.location.column + 1 : 0,
        rule: "syntax",
        message: m.text,
      });
    }
    if (!problems.length) throw err;
    return { ok: false, code: "", map: "", problems, bytesByFile: {} };
  }
  let code = "";
  let map = "";
  for (const f of result.outputFiles) {
    if (f.path.endsWith(".map")) map = f.text;
    else code = f.text;
  }
  // esbuild ends the bundle with a sourceMappingURL comment: the device has no use for it.
  code = code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n");
  for (const v of checkBundle(code, map, { module: !!opts.module })) {
    problems.push({ file: v.file, line: v.line, column: v.column, rule: v.rule, message: v.message });
  }
  // Minified bytes each source file put into the bundle (esbuild's metafile), for size reports.
  /** @type {Record<string, number>} */
  const bytesByFile = {};
  for (const out of Object.values(result.metafile.outputs)) {
    for (const [file, info] of Object.entries(out.inputs)) bytesByFile[file] = info.bytesInOutput;
  }
  return { ok: problems.length === 0, code, map, problems, bytesByFile };
}

/**
 * The firmware's own Storage modules (FIRMWARE_MODULES), built as bundleFirmware builds the
 * bundle: name → code. Throws when one does not build.
 * @param {{ minify?: boolean, define?: Record<string, string> }} [options]
 * @returns {Promise<Record<string, string>>}
 */
export async function bundleModules(options) {
  /** @type {Record<string, string>} */
  const modules = {};
  for (const [name, entry] of Object.entries(FIRMWARE_MODULES)) {
    const out = await bundleFirmware(Object.assign({}, options, { entry, module: true }));
    if (!out.ok) throw new Error(`${name} does not build:\n` + out.problems.map((p) => "  " + formatProblem(p)).join("\n"));
    modules[name] = out.code;
  }
  return modules;
}

/**
 * Code files as Storage is to hold them on the device: each one's flash form (flashForm), as
 * bytes, name → bytes. Throws, naming the file, when one does not parse.
 * @param {Record<string, string>} files
 * @returns {Record<string, Buffer>}
 */
export function flashFiles(files) {
  /** @type {Record<string, Buffer>} */
  const stored = {};
  for (const name of Object.keys(files)) {
    try {
      stored[name] = flashForm(files[name]);
    } catch (err) {
      throw new Error(`${name}: ${/** @type {Error} */ (err).message}`);
    }
  }
  return stored;
}

/**
 * The same as text, one character a byte (for the simulator's Storage, which holds strings).
 * @param {Record<string, string>} files
 * @returns {Record<string, string>}
 */
export function flashTexts(files) {
  const stored = flashFiles(files);
  /** @type {Record<string, string>} */
  const texts = {};
  for (const name of Object.keys(stored)) texts[name] = stored[name].toString("latin1");
  return texts;
}

/**
 * The firmware's Storage modules written beside a bundle file (dist/firmware.js → dist/NAME.js),
 * name → code; a clear error when one is missing (a bundle from another build, or none).
 * @param {string} bundleFile
 * @returns {Record<string, string>}
 */
export function modulesBeside(bundleFile) {
  /** @type {Record<string, string>} */
  const modules = {};
  const missing = [];
  for (const name of Object.keys(FIRMWARE_MODULES)) {
    const file = resolve(dirname(bundleFile), name + ".js");
    if (existsSync(file)) modules[name] = readFileSync(file, "utf8");
    else missing.push(`${file} not found`);
  }
  // every missing one named at once
  if (missing.length) throw new Error(`${missing.join(", ")}: the firmware's modules are built with the bundle (npm run build)`);
  return modules;
}

/** @param {BuildProblem} p */
export function formatProblem(p) {
  const where = p.file === "?" ? "(bundle)" : `${relative(ROOT, resolve(ROOT, p.file))}:${p.line}:${p.column}`;
  return `${where}: [${p.rule}] ${p.message}`;
}

async function main() {
  const started = Date.now();
  const out = await bundleFirmware();
  if (!out.ok) {
    console.error(`build failed: ${out.problems.length} construct(s) the Espruino interpreter would reject`);
    for (const p of out.problems) console.error("  " + formatProblem(p));
    process.exit(1);
  }
  let modules;
  try {
    modules = await bundleModules();
  } catch (err) {
    console.error("build failed: " + /** @type {Error} */ (err).message);
    process.exit(1);
  }
  mkdirSync(resolve(ROOT, "dist"), { recursive: true });
  writeFileSync(resolve(ROOT, "dist/firmware.js"), out.code);
  writeFileSync(resolve(ROOT, "dist/firmware.js.map"), out.map);
  // the bytes the flash tool writes as .bootcde: the device counts an error's line and column
  // in these (a raw string's newline bytes are lines there), so its positions are found here
  const flashed = flashForm(out.code);
  writeFileSync(resolve(ROOT, "dist/firmware.bootcde"), flashed);
  const raw = Buffer.byteLength(out.code);
  const gzip = gzipSync(out.code, { level: 9 }).length;
  const flash = flashed.length;
  /** @type {Record<string, { raw: number, gzip: number, flash: number }>} */
  const moduleSizes = {};
  for (const [name, code] of Object.entries(modules)) {
    writeFileSync(resolve(ROOT, `dist/${name}.js`), code);
    moduleSizes[name] = { raw: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, flash: flashForm(code).length };
  }
  const size = { version: PKG.version, raw, gzip, flash, modules: moduleSizes, bytesByFile: out.bytesByFile };
  writeFileSync(resolve(ROOT, "dist/size.json"), JSON.stringify(size, null, 2) + "\n");
  console.log(`dist/firmware.js: ${raw} bytes (${gzip} gzipped; ${flash} bytes in flash form), built in ${Date.now() - started} ms`);
  for (const [name, m] of Object.entries(moduleSizes)) console.log(`dist/${name}.js: ${m.raw} bytes (${m.gzip} gzipped; ${m.flash} in flash form), flashed as the Storage module ${name}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
