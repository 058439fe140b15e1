// Figures for the firmware's streaming JSON reader (firmware/json/reader.ts): throughput beside
// JSON.parse on the same token-reply bodies, and memory held while skipping. Prints figures;
// asserts nothing.
//
//   npx tsx bench/json.ts       (ESPRUINO=/path/to/espruino npx tsx bench/json.ts for the interpreter)
//
// Bodies (test/fixtures/json/body.ts): a token reply (access_token, expires_in, an id_token…)
// padded to 1 KB, 64 KB or 1 MB by a skipped member, an array of either small records
// (nested objects and arrays, numbers, literals, escapes: the reader's slow case) or of
// 500-byte strings (its fast case). One wanted member, access_token; 512-byte chunks.
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { bundleFirmware } from "../build.mjs";
import type { JsonReader, JsonLimits } from "../firmware/json/reader.ts";
import { ESPRUINO, runOnEspruino } from "../test/support/espruino.ts";
import { BODY_SOURCE, bodyMaker } from "../test/fixtures/json/body.ts";
import { median } from "./stats.ts";

const ENTRY = "test/fixtures/json/entry.ts";
const CHUNK = 512;
const PADDINGS = ["RECORDS", "STRINGS"] as const;
const LABEL = { RECORDS: "records", STRINGS: "strings" };
const SIZES = [1024, 65536, 1 << 20];
const kb = (n: number) => (n >= 1 << 20 ? n / (1 << 20) + " MB" : n / 1024 + " KB");

type Create = (wanted: string[], limits?: JsonLimits) => JsonReader;

/** Median ms of fn over 7 batches of about 30 ms. */
function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  const once = Math.max(performance.now() - t0, 0.001);
  const reps = Math.min(20000, Math.max(3, Math.round(30 / once)));
  const runs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    for (let k = 0; k < reps; k++) fn();
    runs.push((performance.now() - t) / reps);
  }
  return median(runs);
}

function pad(s: string | number, n: number): string {
  return String(s).padStart(n);
}

export async function jsonBench(): Promise<void> {
  const bundle = await bundleFirmware({ entry: ENTRY });
  if (!bundle.ok) throw new Error("the reader's bundle does not pass the gate: " + JSON.stringify(bundle.problems));
  // The device's bundle, evaluated in Node: the same code the interpreter runs. (Importing the
  // .ts under tsx adds keepNames wrappers to every inner function: ~6 µs more per reader.)
  const holder: { createJsonReader?: Create } = {};
  new Function("global", bundle.code)(holder);
  const createJsonReader = holder.createJsonReader as Create;
  const maker = bodyMaker();

  console.log("== JSON reader bundle (test/fixtures/json/entry.ts: the reader alone)");
  console.log(`minified ${Buffer.byteLength(bundle.code)} bytes, ${gzipSync(bundle.code, { level: 9 }).length} gzipped`);

  console.log(`== Node ${process.version}: MB/s (median of 7), ${CHUNK}-byte chunks for the reader, the whole body for JSON.parse`);
  const cases = PADDINGS.flatMap((padding) =>
    SIZES.map((size) => {
      const chunks: string[] = [];
      maker.feedBody((c) => chunks.push(c), size, CHUNK, maker[padding]);
      const body = chunks.join("");
      const read = () => {
        const r = createJsonReader(["access_token"], { maxBytes: 1 << 21 });
        for (const c of chunks) r.write(c);
        if (!r.end().ok) throw new Error("the reader failed on the body");
      };
      return { padding, size, read, parse: () => JSON.parse(body) };
    }),
  );
  // warm the JIT on every body first, so that no figure depends on the order
  const warm = performance.now();
  while (performance.now() - warm < 1500) for (const c of cases) (c.size < 1 << 20 ? [c.read, c.parse] : [c.read]).forEach((f) => f());
  console.log("body        size    reader   JSON.parse   reader/JSON.parse");
  for (const c of cases) {
    const tr = timeMs(c.read);
    const tj = timeMs(c.parse);
    const mbs = (ms: number) => (c.size / (1 << 20) / (ms / 1000)).toFixed(1);
    console.log(`${LABEL[c.padding].padEnd(10)}${pad(kb(c.size), 7)}${pad(mbs(tr), 10)}${pad(mbs(tj), 13)}${pad((tj / tr).toFixed(2), 20)}`);
  }

  // Memory: V8's heapUsed after a forced GC moves in steps far larger than the reader's state
  // (0 to 60 KB between runs, measured), so memory is measured on the interpreter below.

  console.log("== real interpreter");
  if (!ESPRUINO) {
    console.log("skipped: set ESPRUINO to a Linux build of Espruino");
    return;
  }
  console.log(`interpreter ${ESPRUINO} (a PC, not an ESP32: compare the columns, not devices)`);
  console.log("ms: best of 3, the reader's time less the time to make the chunks; JsVars: process.memory().usage growth");
  console.log("body        size   reader ms   JSON.parse ms   JsVars held by reader   JsVars for JSON.parse (body + value)");
  for (const padding of PADDINGS) {
    for (const size of SIZES.slice(0, 2)) {
      const reader = onInterpreter(bundle.code, readerProgram(size, padding));
      const parse = onInterpreter(bundle.code, parseProgram(size, padding));
      const parseMs = parse ? parse[0].toFixed(2) : "did not fit";
      const parseVars = parse ? String(parse[1]) : "OUT OF MEMORY";
      const readerMs = reader ? reader[0].toFixed(2) : "failed";
      console.log(`${LABEL[padding].padEnd(10)}${pad(kb(size), 7)}${pad(readerMs, 12)}${pad(parseMs, 16)}${pad(reader ? reader[1] : "-", 24)}   ${parseVars}`);
    }
  }
}

/**
 * Runs a program after the reader's bundle and the body maker; returns the numbers of its
 * line starting "BENCH", or undefined if it has none (out of memory).
 */
function onInterpreter(code: string, program: string): number[] | undefined {
  const out = runOnEspruino(code + BODY_SOURCE + program, 120000);
  const line = out.lines.find((l) => l.startsWith("BENCH "));
  return line ? line.split(" ").slice(1).map(Number) : undefined;
}

/** Reader: ms less the chunk making, and JsVars held after the body went through. */
function readerProgram(size: number, padding: string): string {
  return `
var ms = [], held = 0;
function make() { feedBody(function (c) {}, ${size}, ${CHUNK}, ${padding}); }
function read() {
  var r = createJsonReader(["access_token"], { maxBytes: ${1 << 21} });
  feedBody(function (c) { r.write(c); }, ${size}, ${CHUNK}, ${padding});
  return r;
}
read(); // the first reader also makes what every later one shares
for (var k = 0; k < 3; k++) {
  var t0 = getTime(); make(); var t1 = getTime();
  var m0 = process.memory().usage;
  var t2 = getTime(); var r = read(); var t3 = getTime();
  held = process.memory().usage - m0;
  if (!r.end().ok) throw new Error("reader failed");
  r = undefined;
  ms.push(((t3 - t2) - (t1 - t0)) * 1000);
}
ms.sort(function (a, b) { return a - b; });
print("BENCH " + ms[0] + " " + held);
`;
}

/** Built-in JSON.parse of the whole body: ms, and JsVars for the body string and its value. */
function parseProgram(size: number, padding: string): string {
  return `
var m0 = process.memory().usage, body = "";
feedBody(function (c) { body += c; }, ${size}, ${CHUNK}, ${padding});
var ms = [], v, reps = ${size > 4096 ? 3 : 50};
for (var k = 0; k < 3; k++) {
  var t0 = getTime();
  for (var j = 0; j < reps; j++) {
    v = undefined;
    v = JSON.parse(body);
  }
  ms.push((getTime() - t0) * 1000 / reps);
}
var vars = process.memory().usage - m0;
ms.sort(function (a, b) { return a - b; });
print("BENCH " + ms[0] + " " + vars);
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  jsonBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
