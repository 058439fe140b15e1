// Pairing's figures: the bundle's size and what pairing added to it; in the simulator (board
// clock, real loopback HTTP to the mock providers) the requests a pairing takes and the time
// from power-up to the code on screen; and, where $ESPRUINO names a Linux build of the
// interpreter, the same pairing over its own sockets: wall time to the code, and JsVars in
// use while polling and once paired. Prints figures; asserts nothing.
//
//   npx tsx bench/pairing.ts
import { connect, createServer, type Server } from "node:net";
import { gzipSync } from "node:zlib";
import { bundleFirmware, bundleModules, flashForm } from "../build.mjs";
import { Board } from "../host-sim/board.ts";
import { mockConfig, screenOf } from "../host-sim/cli.ts";
import { startMockProviders, type ProviderKind } from "../host-sim/providers/index.ts";
import { ESPRUINO, WIFI_STAND_IN, flashedProgram, runLive, storageProgram } from "../test/support/espruino.ts";
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

/** Runs of each provider from Storage: the figures are the most seen. */
const RUNS = 4;

/** Every reply this late (ms) on the interpreter's runs: a request is in flight long enough to be sampled, as over WiFi. */
const REPLY_DELAY = 300;

/**
 * A loopback proxy in front of the mocks that hands each piece of a reply over REPLY_DELAY ms
 * late (the request's Host is rewritten to the mock's, which answers only requests naming it).
 * Resolves with the base URL to give the device instead of `base`.
 */
async function delayedBase(base: string): Promise<{ base: string; server: Server }> {
  const target = Number(new URL(base).port);
  let own = 0;
  const server = createServer((device) => {
    const up = connect(target, "127.0.0.1");
    device.on("data", (d: Buffer) => up.write(Buffer.from(d.toString("latin1").replace("Host: 127.0.0.1:" + own, "Host: 127.0.0.1:" + target), "latin1")));
    up.on("data", (d: Buffer) => setTimeout(() => device.write(d), REPLY_DELAY));
    up.on("end", () => setTimeout(() => device.end(), REPLY_DELAY + 5));
    device.on("error", () => up.destroy());
    up.on("error", () => device.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  own = (server.address() as { port: number }).port;
  return { base: base.replace(":" + target, ":" + own), server };
}

interface MemoryFigures {
  toCode: number;
  /** JsVars in use: most at the splash, the code screen's median (at rest between polls), most while polling, most once paired */
  splash: number;
  rest: number;
  polling: number;
  paired: number;
  total: number;
  /** JsVars the WiFi stand-in takes (a JavaScript module here; on a board Wifi is in C): 0 when not measured */
  standIn: number;
}

/**
 * The bundle on the interpreter, paired with a mock over real sockets (replies REPLY_DELAY ms
 * late); JsVars in use (after a garbage collection, as process.memory() does by default)
 * sampled every 50 ms. `fromStorage`: the bundle is written to Storage as .bootcde in its flash
 * form and run from there by load(), as a flashed device runs it (its code and long strings
 * then stay in flash, not in JsVars).
 */
async function onInterpreter(code: string, modules: Record<string, string>, kind: ProviderKind, base: string, approve: (userCode: string) => void, fromStorage: boolean): Promise<MemoryFigures> {
  const sampler = 'setInterval(function () { var m = process.memory(); print("MEM " + m.usage + " " + m.total); }, 50);\n';
  // the firmware's modules are in Storage either way (require() reads them from there)
  // (from Storage, what the stand-in takes is measured: JsVars in use before it and after it is required)
  const standIn = "var M0 = process.memory().usage;\n" + WIFI_STAND_IN + 'require("Wifi"); print("STANDIN " + (process.memory().usage - M0));\n';
  const program = fromStorage ? flashedProgram(Object.assign({}, modules, { ".bootcde": standIn + sampler + code })) : storageProgram(modules) + code;
  const proxy = await delayedBase(base);
  const started = Date.now();
  let toCode = 0;
  let state = "";
  let total = 0;
  let pairedAt = 0;
  let standInCost = 0;
  const seen: Record<string, number[]> = { splash: [], code: [], paired: [] };
  try {
    await runLive(
      program,
      mockConfig(kind, proxy.base),
      (line) => {
        if (line.startsWith("STANDIN ")) standInCost = Number(line.slice(8));
        if (line.startsWith("MEM ")) {
          const [usage, all] = line.split(" ").slice(1).map(Number);
          total = all;
          if (state in seen) seen[state].push(usage);
          return state === "paired" && Date.now() - pairedAt > 2000;
        }
        const s = screenOf(line);
        if (!s) return false;
        state = s.screen;
        if (s.screen === "code" && !toCode) {
          toCode = Date.now() - started;
          // a few polls first (the mock's interval is 1 s)
          setTimeout(() => approve(s.texts[0]), 4000);
        }
        if (s.screen === "paired") pairedAt = Date.now();
        return false;
      },
      40000,
      fromStorage ? "" : sampler,
    );
  } finally {
    proxy.server.close();
  }
  const most = (xs: number[]): number => (xs.length ? Math.max(...xs) : 0);
  return { toCode, splash: most(seen.splash), rest: seen.code.length ? median(seen.code) : 0, polling: most(seen.code), paired: most(seen.paired), total, standIn: standInCost };
}

export async function pairingBench(): Promise<void> {
  console.log("== pairing");
  const out = await bundleFirmware();
  if (!out.ok) throw new Error("the firmware does not build");
  const modules = await bundleModules();
  console.log(
    `dist/firmware.js          ${Buffer.byteLength(out.code)} bytes, ${gzipSync(out.code, { level: 9 }).length} gzipped; ` +
      `${flashForm(out.code).length} bytes in flash form (as .bootcde holds it: long literals as raw strings)`,
  );
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
    console.log(`real interpreter (${ESPRUINO}; a PC, not an ESP32; interval 1 s, replies ${REPLY_DELAY} ms late, approved 4 s after the code; JsVars sampled every 50 ms; from Storage: the most of ${RUNS} runs)`);
    for (const kind of ["simkl", "auth0"] as ProviderKind[]) {
      for (const fromStorage of [false, true]) {
        // from Storage: RUNS runs, the most of each figure (where a reply splits into pieces, and so
        // what a sample catches while it is read, differs from run to run)
        let r = await onInterpreter(out.code, modules, kind, mock.base(kind), (c) => mock.provider(kind).approve(c), fromStorage);
        for (let k = 1; fromStorage && k < RUNS; k++) {
          const again = await onInterpreter(out.code, modules, kind, mock.base(kind), (c) => mock.provider(kind).approve(c), fromStorage);
          r = { toCode: Math.max(r.toCode, again.toCode), splash: Math.max(r.splash, again.splash), rest: Math.max(r.rest, again.rest), polling: Math.max(r.polling, again.polling), paired: Math.max(r.paired, again.paired), total: r.total, standIn: Math.min(r.standIn, again.standIn) };
        }
        const how = fromStorage ? "from Storage (.bootcde)" : "as text";
        if (!r.total) {
          // no sample came: the interpreter stopped while loading (run as text, the bundle is all in JsVars)
          console.log(`  ${kind.padEnd(7)} ${how.padEnd(23)} did not run: no memory sample (out of memory while loading)`);
          continue;
        }
        console.log(
          `  ${kind.padEnd(7)} ${how.padEnd(23)} start to code on screen ${r.toCode} ms; JsVars in use (of ${r.total}): splash ${r.splash}, code screen at rest ${r.rest},` +
            ` ${r.polling} at most while polling, ${r.paired} at most once paired`,
        );
        if (fromStorage) {
          // the goal is the firmware's: the Linux build has no Wifi, and the stand-in's JavaScript
          // (functions made from a string) takes JsVars a board's Wifi (C) does not
          const own = r.polling - r.standIn;
          console.log(`  ${"".padEnd(7)} ${"".padEnd(23)} of which the WiFi stand-in ${r.standIn}; the firmware's own at most while polling ${own} (goal <= 2500: ${own <= 2500 ? "met" : "not met"})`);
        }
      }
    }
    // A prototype of a build change (build.mjs is not this bench's): the bundle without the
    // function that wraps it. Every function the bundle makes then has one scope less: a
    // top-level one no scope link (1 JsVar), a closure no copied scope array (3 or more).
    const wrapped = out.code.indexOf("(function(){") === 0 && out.code.trimEnd().endsWith("})();");
    if (wrapped) {
      const unwrapped = out.code.slice("(function(){".length, out.code.trimEnd().length - "})();".length);
      for (const kind of ["simkl", "auth0"] as ProviderKind[]) {
        const r = await onInterpreter(unwrapped, modules, kind, mock.base(kind), (c) => mock.provider(kind).approve(c), true);
        console.log(
          `  ${kind.padEnd(7)} prototype: unwrapped, from Storage: JsVars in use: splash ${r.splash}, code screen at rest ${r.rest},` +
            ` ${r.polling} at most while polling (the stand-in's ${r.standIn} included), ${r.paired} at most once paired`,
        );
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
