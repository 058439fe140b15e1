// Every benchmark, one after another. First the foundation's figures: bundle size, build
// time, boot-to-splash time and I2C bytes in the simulator, and — where $ESPRUINO names a
// Linux build of the interpreter — the same bundle's time to splash and JsVars in use there.
// Then the display's (bench/display.ts), the QR encoder's (bench/qr.ts), the JSON reader's
// (bench/json.ts), pairing's (bench/pairing.ts) and TLS's heap (bench/tls.ts), each of which also runs on its own. Prints figures; asserts nothing.
//
//   npm run bench            (ESPRUINO=/path/to/espruino npm run bench for the interpreter)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { bundleFirmware, modulesBeside } from "../build.mjs";
import { Board } from "../host-sim/board.ts";
import { ESPRUINO, runOnEspruino, storageProgram } from "../test/support/espruino.ts";
import { displayBench } from "./display.ts";
import { jsonBench } from "./json.ts";
import { pairingBench } from "./pairing.ts";
import { qrBench } from "./qr.ts";
import { tlsBench } from "./tls.ts";
import { median } from "./stats.ts";

const ROOT = resolve(import.meta.dirname, "..");

function timeMs(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  const code = readFileSync(resolve(ROOT, "dist/firmware.js"), "utf8");
  // its Storage modules, in Storage before it boots (the store's is read at boot)
  const modules = modulesBeside(resolve(ROOT, "dist/firmware.js"));
  console.log("== bundle");
  console.log(`dist/firmware.js          ${Buffer.byteLength(code)} bytes, ${gzipSync(code, { level: 9 }).length} gzipped`);
  const builds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    await bundleFirmware();
    builds.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(`build + dialect gate      ${median(builds).toFixed(1)} ms (median of 5, in process)`);

  console.log("== simulator");
  const boots: number[] = [];
  let board = new Board();
  for (let i = 0; i < 20; i++) {
    board = new Board();
    for (const name of Object.keys(modules)) board.flash.set(name, modules[name]);
    boots.push(timeMs(() => board.boot(code)));
  }
  console.log(`boot to splash on panel   ${median(boots).toFixed(2)} ms (median of 20, realm creation included)`);
  console.log(`I2C for the first frame   ${board.i2c1.stats.transactions} transactions, ${board.i2c1.stats.bytes} bytes (address bytes included)`);
  console.log(`  of which display data   ${board.display.stats.dataBytes} bytes`);

  console.log("== real interpreter");
  if (!ESPRUINO) {
    console.log("skipped: set ESPRUINO to a Linux build of Espruino");
    return;
  }
  const probe =
    "var m0 = process.memory(); var t0 = getTime();\n" +
    code +
    "\nvar t1 = getTime(); var m1 = process.memory();\n" +
    'print("BENCH " + Math.round((t1 - t0) * 1000) + " " + m0.usage + " " + m1.usage + " " + m1.total);\n' +
    // the app's timers keep it running: the Linux build's quit() ends the run once this is out
    "setTimeout(function () { quit(); }, 0);\n";
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const out = runOnEspruino(probe, 15000, storageProgram(modules));
    const line = out.lines.find((l) => l.startsWith("BENCH "));
    if (!line) throw new Error("no figures from the interpreter:\n" + out.lines.join("\n"));
    runs.push(line.split(" ").slice(1).map(Number));
  }
  const ms = median(runs.map((r) => r[0]));
  const [, before, after, total] = runs[0];
  console.log(`interpreter               ${ESPRUINO}`);
  console.log(`parse + boot to splash    ${ms} ms (median of 5; a PC, not an ESP32: compare runs, not devices)`);
  console.log(`JsVars in use             ${before} before the bundle, ${after} after boot (+${after - before}), of ${total}`);
  console.log("  (code that stays alive costs about 1 JsVar per 10 bytes of it; pairing's figures are below)");
}

async function all(): Promise<void> {
  await main();
  await displayBench();
  await qrBench();
  await jsonBench();
  await pairingBench();
  await tlsBench();
}

all().catch((err) => {
  console.error(err);
  process.exit(1);
});
