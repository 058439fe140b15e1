// Figures for the QR encoder (firmware/display/qr.ts): time to encode 20-, 48- and 53-byte links
// in Node and — where $ESPRUINO names a Linux build of the interpreter — there, with the
// JsVars it holds; and the minified bytes it adds to a bundle. Prints figures; asserts nothing.
//
//   npx tsx bench/qr.ts            (ESPRUINO=/path/to/espruino npx tsx bench/qr.ts for the interpreter)
import { pathToFileURL } from "node:url";
import { bundleFirmware } from "../build.mjs";
import { encodeQr } from "../firmware/display/qr.ts";
import { ESPRUINO, runOnEspruino } from "../test/support/espruino.ts";
import { median } from "./stats.ts";

const LINK = "https://kinde.example/device?user_code=WDJB-MJHT&lang=en-GB";
const LENGTHS = [20, 48, 53];

function shape(length: number): string {
  const q = encodeQr(LINK.slice(0, length), 3);
  return q ? `${q.version}-${"LMQH"[q.level]}` : "none";
}

export async function qrBench(): Promise<void> {
  console.log("== QR encoder: bundle");
  const fixture = await bundleFirmware({ entry: "test/fixtures/qr/expose.ts" });
  const own = Object.entries(fixture.bytesByFile || {}).find(([file]) => file.endsWith("display/qr.ts"));
  console.log(`  minified bytes of firmware/display/qr.ts   ${own ? own[1] : "n/a"} (bundle of encodeQr + qrImage: ${Buffer.byteLength(fixture.code)})`);

  console.log("== QR encoder: Node");
  for (const length of LENGTHS) {
    const text = LINK.slice(0, length);
    for (let i = 0; i < 200; i++) encodeQr(text, 3);
    const perCall: number[] = [];
    for (let batch = 0; batch < 25; batch++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) encodeQr(text, 3);
      perCall.push(Number(process.hrtime.bigint() - t) / 1e6 / 100);
    }
    console.log(`  ${String(length).padStart(2)} bytes (${shape(length)})   ${(median(perCall) * 1000).toFixed(1)} µs per encode (median of 25 batches of 100)`);
  }

  console.log("== QR encoder: real interpreter");
  if (!ESPRUINO) {
    console.log("  skipped: set ESPRUINO to a Linux build of Espruino");
    return;
  }
  const program =
    "var m0 = process.memory().usage;\n" +
    fixture.code +
    `
var m1 = process.memory().usage;
function med(a) { a.sort(function (x, y) { return x - y; }); return a[a.length >> 1]; }
var t0 = getTime(); for (var i = 0; i < 1000; i++) {} var loop = getTime() - t0;
print("BASE " + m0 + " " + m1 + " " + Math.round(loop * 1e4) / 10);
${JSON.stringify(LENGTHS.map((n) => LINK.slice(0, n)))}.forEach(function (s) {
  var times = [], q, before, held, after;
  for (var r = 0; r < 7; r++) {
    q = undefined;
    before = process.memory().usage;
    var t = getTime(); q = encodeQr(s, 3); times.push(getTime() - t);
    held = process.memory().usage;
  }
  q = undefined; after = process.memory().usage;
  print("BENCH " + s.length + " " + Math.round(med(times) * 1e4) / 10 + " " + before + " " + held + " " + after);
});
`;
  const out = runOnEspruino(program, 120000);
  const base = out.lines.find((l) => l.startsWith("BASE "));
  const rows = out.lines.filter((l) => l.startsWith("BENCH "));
  if (!base || rows.length !== LENGTHS.length) throw new Error("no figures from the interpreter:\n" + out.lines.join("\n"));
  const [m0, m1, loop] = base.split(" ").slice(1).map(Number);
  console.log(`  interpreter ${ESPRUINO} (a PC, not an ESP32: compare runs, not devices)`);
  console.log(`  an empty 1000-iteration for loop there       ${loop} ms (to scale the figures below to a device)`);
  console.log(`  JsVars of the loaded encoder bundle          ${m1 - m0} (${m0} before, ${m1} after)`);
  console.log("  bytes  version  encode (median of 7)  JsVars: before  holding the code  after dropping it");
  for (const row of rows) {
    const [length, ms, before, held, after] = row.split(" ").slice(1).map(Number);
    console.log(`  ${String(length).padStart(5)}  ${shape(length).padEnd(7)}  ${(ms + " ms").padStart(20)}  ${String(before).padStart(14)}  ${String(held).padStart(16)}  ${String(after).padStart(17)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  qrBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
