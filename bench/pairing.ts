// Pairing's figures: the bundle's size and what pairing added to it; in the simulator (board
// clock, real loopback HTTP to the mock providers) the requests a pairing takes and the time
// from power-up to the code on screen; and, where $ESPRUINO names a Linux build of the
// interpreter, the same pairing over its own sockets: wall time to the code, and JsVars in
// use while polling and once paired. Prints figures; asserts nothing.
//
//   npx tsx bench/pairing.ts
import { gzipSync } from "node:zlib";
import { bundleFirmware } from "../build.mjs";
import { Board } from "../host-sim/board.ts";
import { mockConfig, screenOf } from "../host-sim/cli.ts";
import { startMockProviders, type ProviderKind } from "../host-sim/providers/index.ts";
import { ESPRUINO, WIFI_STAND_IN, runLive } from "../test/support/espruino.ts";
import { bootDevice } from "../test/support/pairing.ts";
import { median } from "./stats.ts";

const KINDS: ProviderKind[] = ["simkl", "kinde", "auth0"];
/** The person types the code this long after it shows (s): a few polls happen first. */
const TYPING = 20;

async function simulated(kind: ProviderKind): Promise<{ toCode: number; requests: Record<string, number>; wall: number }> {
  const board = new Board();
  const mock = await startMockProviders({ now: () => board.clock.now });
  const t0 = process.hrtime.bigint();
  const d = await bootDevice(board, mockConfig(kind, mock.base(kind)), mock);
  const code = await d.until("code");
  await d.run(TYPING * 1000);
  mock.provider(kind).approve(code.texts[0]);
  await d.until("paired");
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const requests: Record<string, number> = {};
  for (const r of mock.requests) requests[r.endpoint] = (requests[r.endpoint] || 0) + 1;
  await d.close();
  await mock.close();
  return { toCode: code.at, requests, wall };
}

/**
 * The bundle on the interpreter, paired with a mock over real sockets; JsVars in use (after a
 * garbage collection, as process.memory() does by default) sampled every 250 ms. `fromStorage`:
 * the bundle is written to Storage as .bootcde and run from there by load(), as a flashed device
 * runs it (its code then stays in flash, not in JsVars).
 */
async function onInterpreter(code: string, kind: ProviderKind, base: string, approve: (userCode: string) => void, fromStorage: boolean): Promise<{ toCode: number; polling: number; paired: number; total: number }> {
  const sampler = 'setInterval(function () { var m = process.memory(); print("MEM " + m.usage + " " + m.total); }, 250);\n';
  const program = fromStorage ? `require("Storage").write(".bootcde", ${JSON.stringify(WIFI_STAND_IN + sampler + code)}); load();` : code;
  const started = Date.now();
  let toCode = 0;
  let state = "";
  let total = 0;
  let pairedAt = 0;
  const peak: Record<string, number> = { code: 0, paired: 0 };
  await runLive(
    program,
    mockConfig(kind, base),
    (line) => {
      if (line.startsWith("MEM ")) {
        const [usage, all] = line.split(" ").slice(1).map(Number);
        total = all;
        if (state in peak) peak[state] = Math.max(peak[state], usage);
        return state === "paired" && Date.now() - pairedAt > 2000;
      }
      const s = screenOf(line);
      if (!s) return false;
      state = s.screen;
      if (s.screen === "code") {
        toCode = Date.now() - started;
        setTimeout(() => approve(s.texts[0]), 2500);
      }
      if (s.screen === "paired") pairedAt = Date.now();
      return false;
    },
    30000,
    fromStorage ? "" : sampler,
  );
  return { toCode, polling: peak.code, paired: peak.paired, total };
}

export async function pairingBench(): Promise<void> {
  console.log("== pairing");
  const out = await bundleFirmware();
  if (!out.ok) throw new Error("the firmware does not build");
  console.log(`dist/firmware.js          ${Buffer.byteLength(out.code)} bytes, ${gzipSync(out.code, { level: 9 }).length} gzipped`);
  const parts: Record<string, number> = {};
  for (const [file, bytes] of Object.entries(out.bytesByFile as Record<string, number>)) {
    const part = /firmware\/(net|pairing|store|json|display|app|life|main)/.exec(file);
    const name = part ? part[1] : "other";
    parts[name] = (parts[name] || 0) + bytes;
  }
  for (const name of Object.keys(parts).sort()) console.log(`  ${(name + "/").padEnd(24)}${parts[name]} bytes`);

  console.log(`simulator (board clock; the person types the code ${TYPING} s after it shows, interval 5 s)`);
  for (const kind of KINDS) {
    const walls: number[] = [];
    let last = await simulated(kind);
    walls.push(last.wall);
    for (let i = 0; i < 4; i++) {
      last = await simulated(kind);
      walls.push(last.wall);
    }
    const r = last.requests;
    const total = (r.start || 0) + (r.poll || 0) + (r.userinfo || 0) + (r.refresh || 0);
    console.log(
      `  ${kind.padEnd(7)} power-up to code on screen ${(last.toCode / 1000).toFixed(2)} s (splash 1.5 s + WiFi join 1.5 s + the start request);` +
        ` requests per pairing ${total} (1 start, ${r.poll} polls, ${r.userinfo} account); run ${median(walls).toFixed(0)} ms wall (median of 5)`,
    );
  }

  if (!ESPRUINO) {
    console.log("real interpreter: skipped (set ESPRUINO to a Linux build of Espruino)");
    return;
  }
  const mock = await startMockProviders({ interval: 1 });
  try {
    console.log(`real interpreter (${ESPRUINO}; a PC, not an ESP32; interval 1 s, approved 2.5 s after the code)`);
    for (const kind of ["simkl", "auth0"] as ProviderKind[]) {
      for (const fromStorage of [false, true]) {
        const r = await onInterpreter(out.code, kind, mock.base(kind), (c) => mock.provider(kind).approve(c), fromStorage);
        const how = fromStorage ? "from Storage (.bootcde)" : "as text";
        console.log(`  ${kind.padEnd(7)} ${how.padEnd(23)} start to code on screen ${r.toCode} ms; JsVars in use: ${r.polling} at most while polling (goal <= 2500 from Storage), ${r.paired} once paired, of ${r.total}`);
      }
    }
  } finally {
    await mock.close();
  }
}

if (process.argv[1] && process.argv[1].endsWith("pairing.ts")) {
  pairingBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
