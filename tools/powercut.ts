// Power cuts on the real interpreter: stops a Linux build of Espruino (the ESP32-like one runs
// under qemu-i386-static) just before its N-th write(2) to its flash file, ./espruino.flash
// (the Linux target makes one write a flash operation: a page erase or a write), with
// `strace -P FILE -e inject=write:signal=SIGKILL:when=N` (the injection counts only the writes
// to that file, checked by hand: the N-th write never lands). Then boots the interpreter again
// and looks at every file as the device would find it.
//
// The scene: Storage holds codepair.json, the firmware's modules and .bootcde as `npm run flash`
// writes them (the bundle behind the WiFi stand-in: the Linux build has no Wifi module), after trash at its
// very start (so a compaction moves every live file), and the token's two slots written by
// the firmware's saveToken (seq 1 in slot 0, seq 2 in slot 1). With `compact`, Storage is
// then filled with trash to within a few bytes, so that the next save starts a compaction.
// The save under test writes seq 3 into slot 0.
//
// After a cut at write N: `corrupt` (the boot said "Storage is corrupt."), each fixed file
// (`boot`: .bootcde and the modules, the firmware's code, which boots only whole) ok / lost / damaged (length and CRC-32 of every byte against what was written), the token as
// the firmware loads it (the new record, the acknowledged one before it, or lost), and any
// file that should not be there.
//
//   tsx tools/powercut.ts [--compact|--plain] [--points all|N,N,...|every:K] [--paired] [--json]
//
// ESPRUINO names the interpreter (tools/espruino/build.sh prints it). Needs strace
// (apt-get install strace; installed by tools/test.mjs when root).
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { bundleFirmware, bundleModules, flashFiles } from "../build.mjs";
import { CONFIG_FILE } from "../firmware/store/config.ts";
import { TOKEN_SLOTS, type TokenRecord } from "../firmware/store/token.ts";
import { cleanLine, outputLines, WIFI_STAND_IN } from "../test/support/espruino.ts";
import { storageWrites } from "./flash.ts";

export const FLASH_FILE = "espruino.flash";
const BOOT_FILE = ".bootcde";

/** The device's config in the scene (a made-up network and client). */
export const SCENE_CONFIG = { wifi: { ssid: "home", password: "powercut-test" }, provider: "simkl", clientId: "powercut-client" };

/** Token records: seq 1 and 2 are in flash before the save under test, which writes seq 3. */
export function sceneRecord(n: number): TokenRecord {
  return {
    provider: "simkl",
    clientId: SCENE_CONFIG.clientId,
    access: "access-" + n + "-" + "a".repeat(60),
    refresh: "refresh-" + n + "-" + "r".repeat(60),
    obtained: 1700000000 + n * 3600,
    expiresIn: 3600,
    account: "Ada " + n,
  };
}

/** Trash at the start of Storage (bytes): not a multiple of the page, so every file moves across page bounds. */
const LEAD_TRASH = 3000;
/** A compacting save: Storage filled with trash until fewer bytes than this are free at its end. */
const LEFT_FREE = 96;

export interface Scene {
  espruino: string;
  dir: string;
  /** the flash file before the save under test */
  base: string;
  compact: boolean;
  saveCode: string;
  checkCode: string;
  config: Buffer;
  boot: Buffer;
  /** the firmware's Storage modules (build.mjs's FIRMWARE_MODULES), name → contents */
  modules: Record<string, Buffer>;
  /** the slot files' contents before the save: slot 0 holds seq 1, slot 1 seq 2 */
  slots: string[];
  /** flash writes the save makes when nothing cuts it */
  writes: number;
  /** what the save printed when nothing cut it, and the flash operations' kinds */
  uncut: { printed: string[]; erases: number; sizes: number[] };
}

function run(espruino: string, cwd: string, program: string, timeoutMs = 120000): string[] {
  writeFileSync(join(cwd, "program.js"), program, "latin1");
  const r = spawnSync(espruino, ["program.js"], { cwd, input: "", encoding: "latin1", timeout: timeoutMs });
  if (r.error) throw r.error;
  return outputLines(r.stdout || "");
}

/** A device-side program bundled as the firmware is (dialect gate included). */
async function deviceProgram(entry: string): Promise<string> {
  const out = await bundleFirmware({ entry });
  if (!out.ok) throw new Error(entry + " does not build: " + JSON.stringify(out.problems));
  return out.code;
}

/** The record as the save program's global, in front of its bundle. */
function withRecord(code: string, record: TokenRecord): string {
  return "var POWERCUT_RECORD = " + JSON.stringify(record) + ";\n" + code;
}

/** strace, installed with apt-get when missing and this user is root; else an error naming the command. */
export function ensureStrace(): void {
  if (spawnSync("sh", ["-c", "command -v strace"]).status === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot) spawnSync("sh", ["-c", "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends strace) >&2"], { stdio: "inherit" });
  if (spawnSync("sh", ["-c", "command -v strace"]).status !== 0) throw new Error("strace is missing: apt-get install strace");
}

/** Runs `program` under strace in `cwd`: killed before its flash file's `cutAt`-th write (0: never). */
function runTraced(espruino: string, cwd: string, program: string, cutAt: number, log?: string): { lines: string[]; killed: boolean } {
  writeFileSync(join(cwd, "program.js"), program, "latin1");
  const args = ["-f", "-qq", "-o", log || "/dev/null", "-P", join(cwd, FLASH_FILE), "-e", "trace=write"];
  if (cutAt > 0) args.push("-e", `inject=write:signal=SIGKILL:when=${cutAt}`);
  args.push(espruino, "program.js");
  const r = spawnSync("strace", args, { cwd, input: "", encoding: "latin1", timeout: 300000 });
  if (r.error) throw r.error;
  return { lines: outputLines(r.stdout || ""), killed: r.signal === "SIGKILL" || r.status === 137 };
}

/** Builds the scene's flash in a new directory: the state just before the save under test. */
export async function makeScene(espruino: string, compact: boolean): Promise<Scene> {
  ensureStrace();
  const dir = mkdtempSync(join(tmpdir(), "codepair-powercut-"));
  const saveCode = await deviceProgram("tools/powercut/device-save.ts");
  const checkCode = await deviceProgram("tools/powercut/device-check.ts");
  const config = Buffer.from(JSON.stringify(SCENE_CONFIG), "latin1");
  const boot = flashFiles({ [BOOT_FILE]: WIFI_STAND_IN + (await firmwareCode()) })[BOOT_FILE];
  const modules = flashFiles(await bundleModules());
  // trash first, then the files as the flash tool writes them (config, modules, .bootcde; code in its flash form)
  const moduleWrites = Object.keys(modules).flatMap((name) => storageWrites(name, modules[name]));
  const flashing = [`require("Storage").write("old.bootcde","x",0,${LEAD_TRASH});`, ...storageWrites(CONFIG_FILE, config), ...moduleWrites, ...storageWrites(BOOT_FILE, boot), 'require("Storage").erase("old.bootcde");print("flashed");'];
  expectLine(run(espruino, dir, flashing.join("\n") + "\n"), "flashed");
  expectLine(run(espruino, dir, withRecord(saveCode, sceneRecord(1))), "saved true");
  expectLine(run(espruino, dir, withRecord(saveCode, sceneRecord(2))), "saved true");
  if (compact) {
    const fill =
      `var S=require("Storage"),i=0,n;` +
      `while((n=S.getFree()-32-${LEFT_FREE})>0){S.write("fill"+i,"x",0,n&~3);i++;}` +
      `while(i--)S.erase("fill"+i);print("filled "+S.getFree());`;
    expectLine(run(espruino, dir, fill), "filled ");
  }
  const slots = TOKEN_SLOTS.map((name) => readStorageFile(espruino, dir, name));
  const base = join(dir, "base.flash");
  copyFileSync(join(dir, FLASH_FILE), base);
  const scene: Scene = { espruino, dir, base, compact, saveCode, checkCode, config, boot, modules, slots, writes: 0, uncut: { printed: [], erases: 0, sizes: [] } };
  // the save with nothing cut: how many flash writes it makes, and what they are
  const work = mkdtempSync(join(dir, "uncut-"));
  copyFileSync(base, join(work, FLASH_FILE));
  const log = join(work, "strace.log");
  const uncut = runTraced(espruino, work, withRecord(saveCode, sceneRecord(3)), 0, log);
  const sizes = readFileSync(log, "latin1")
    .split("\n")
    .map((l) => /write\(\d+, .*, (\d+)\) += \d+/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  scene.writes = sizes.length;
  scene.uncut = { printed: uncut.lines.filter((l) => l), erases: 0, sizes };
  rmSync(work, { recursive: true, force: true });
  return scene;
}

let firmware: Promise<string> | undefined;
function firmwareCode(): Promise<string> {
  if (!firmware) firmware = deviceProgram("firmware/main.ts");
  return firmware;
}

function expectLine(lines: string[], start: string): void {
  if (!lines.some((l) => l.startsWith(start))) throw new Error(`powercut scene: expected "${start}..." from the interpreter, got:\n${lines.join("\n")}`);
}

/** A file's bytes as the interpreter reads them (base64 through the console). */
function readStorageFile(espruino: string, dir: string, name: string): string {
  const lines = run(espruino, dir, `var d=require("Storage").read(${JSON.stringify(name)});print("B64 "+(d===undefined?"-":btoa(d)));`);
  const line = lines.find((l) => l.startsWith("B64 "));
  if (!line || line === "B64 -") throw new Error("powercut scene: no " + name + " in Storage");
  return Buffer.from(line.slice(4), "base64").toString("latin1");
}

export type FileState = "ok" | "lost" | "damaged";

export interface CutResult {
  /** the flash write the interpreter was stopped before (1-based) */
  at: number;
  /** the boot after the cut printed "Storage is corrupt." (and then erased it all) */
  corrupt: boolean;
  config: FileState;
  /** .bootcde and every module: ok when all are, else damaged when one is, else lost */
  boot: FileState;
  /** slot 1 (seq 2, not being written): must come through untouched */
  slot1: FileState;
  /** slot 0, being written: the new record, absent, or partly written (its CRC then fails) */
  slot0: "new" | "absent" | "partial";
  /** the record the firmware loads: the new one, the acknowledged one before it, or none */
  token: "new" | "previous" | "lost" | "wrong";
  /** files that should not be there */
  extra: string[];
  /** the firmware booted from .bootcde showed its paired screen (only when asked for) */
  paired?: boolean;
}

/** Every file intact, nothing extra, and a record loaded: what the codepair image promises. */
export function isClean(r: CutResult): boolean {
  return !r.corrupt && r.config === "ok" && r.boot === "ok" && r.slot1 === "ok" && r.extra.length === 0 && (r.token === "new" || r.token === "previous") && r.paired !== false;
}

function crcHex(data: Buffer | string): string {
  return (crc32(typeof data === "string" ? Buffer.from(data, "latin1") : data) >>> 0).toString(16);
}

function stateOf(files: Map<string, { length: number; crc: string }>, name: string, want: Buffer | string): FileState {
  const f = files.get(name);
  if (!f) return "lost";
  return f.length === want.length && f.crc === crcHex(want) ? "ok" : "damaged";
}

/** The firmware's code files (.bootcde and the modules) as one: the device boots only with all of them whole. */
function codeState(files: Map<string, { length: number; crc: string }>, scene: Scene): FileState {
  const states = [stateOf(files, BOOT_FILE, scene.boot)].concat(Object.keys(scene.modules).map((name) => stateOf(files, name, scene.modules[name])));
  return states.includes("damaged") ? "damaged" : states.includes("lost") ? "lost" : "ok";
}

/** One cut: a copy of the scene's flash, the save stopped before write `at`, then a boot that looks. */
export async function cutAt(scene: Scene, at: number, opts: { paired?: boolean } = {}): Promise<CutResult> {
  const work = mkdtempSync(join(scene.dir, "cut-"));
  try {
    copyFileSync(scene.base, join(work, FLASH_FILE));
    runTraced(scene.espruino, work, withRecord(scene.saveCode, sceneRecord(3)), at);
    writeFileSync(join(work, "program.js"), scene.checkCode, "latin1");
    const r = spawnSync(scene.espruino, ["program.js"], { cwd: work, input: "", encoding: "latin1", timeout: 120000 });
    const out = r.stdout || "";
    const lines = outputLines(out);
    if (!lines.includes("checked")) throw new Error(`cut at ${at}: the check did not finish:\n${out.slice(-2000)}`);
    const files = new Map<string, { length: number; crc: string }>();
    let token = "";
    for (const l of lines) {
      const f = /^file (\S+) (\d+) ([0-9a-f]+)$/.exec(l);
      if (f) files.set(f[1], { length: Number(f[2]), crc: f[3] });
      if (l.startsWith("token ")) token = l.slice(6);
    }
    const newRec = sceneRecord(3);
    const prevRec = sceneRecord(2);
    const slot0 = files.get(TOKEN_SLOTS[0]);
    const result: CutResult = {
      at,
      corrupt: out.includes("Storage is corrupt"),
      config: stateOf(files, CONFIG_FILE, scene.config),
      boot: codeState(files, scene),
      slot1: stateOf(files, TOKEN_SLOTS[1], scene.slots[1]),
      slot0: !slot0 ? "absent" : "partial",
      token: token === "none" ? "lost" : token === newRec.access + " " + newRec.account ? "new" : token === prevRec.access + " " + prevRec.account ? "previous" : "wrong",
      extra: [...files.keys()].filter((n) => n !== CONFIG_FILE && n !== BOOT_FILE && !(n in scene.modules) && !TOKEN_SLOTS.includes(n)),
    };
    if (slot0 && result.token === "new") result.slot0 = "new";
    if (opts.paired) result.paired = await bootsPaired(scene.espruino, work);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The flash file as a cut before write `at` leaves it (no reboot): to check where the cut falls. */
export function flashAfterCut(scene: Scene, at: number): Buffer {
  const work = mkdtempSync(join(scene.dir, "raw-"));
  try {
    copyFileSync(scene.base, join(work, FLASH_FILE));
    runTraced(scene.espruino, work, withRecord(scene.saveCode, sceneRecord(3)), at);
    return readFileSync(join(work, FLASH_FILE));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Boots the interpreter from its Storage (.bootcde): true when the firmware shows its paired screen. */
export function bootsPaired(espruino: string, cwd: string, limitMs = 30000): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(espruino, [], { cwd, stdio: ["ignore", "pipe", "ignore"] });
    let rest = "";
    let paired = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (chunk: string) => {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop() || "";
      for (const raw of parts) {
        if (/^\{"screen":"paired"/.test(cleanLine(raw))) {
          paired = true;
          child.kill("SIGKILL");
        }
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      resolve(paired);
    });
  });
}

export function removeScene(scene: Scene): void {
  rmSync(scene.dir, { recursive: true, force: true });
}

/** A one-line summary of cut results: counts of each kind of loss. */
export function tally(results: CutResult[]): { cuts: number; clean: number; corrupt: number; tokenLost: number; configLost: number; bootLost: number; damaged: number; extra: number; notPaired: number } {
  const damaged = (r: CutResult) => r.config === "damaged" || r.boot === "damaged" || r.slot1 === "damaged";
  return {
    cuts: results.length,
    clean: results.filter(isClean).length,
    corrupt: results.filter((r) => r.corrupt).length,
    tokenLost: results.filter((r) => r.token === "lost" || r.token === "wrong").length,
    configLost: results.filter((r) => r.config === "lost").length,
    bootLost: results.filter((r) => r.boot === "lost").length,
    damaged: results.filter(damaged).length,
    extra: results.filter((r) => r.extra.length > 0).length,
    notPaired: results.filter((r) => r.paired === false).length,
  };
}

async function main(): Promise<void> {
  const espruino = process.env.ESPRUINO;
  if (!espruino || !existsSync(espruino)) throw new Error("set ESPRUINO to the interpreter (tools/espruino/build.sh prints it)");
  const argv = process.argv.slice(2);
  const compact = !argv.includes("--plain");
  const pointsArg = argv.includes("--points") ? argv[argv.indexOf("--points") + 1] : "all";
  const t0 = Date.now();
  const scene = await makeScene(espruino, compact);
  try {
    let points: number[] = [];
    if (pointsArg === "all") for (let n = 1; n <= scene.writes; n++) points.push(n);
    else if (pointsArg.startsWith("every:")) for (let n = 1; n <= scene.writes; n += Number(pointsArg.slice(6))) points.push(n);
    else points = pointsArg.split(",").map(Number);
    console.error(`powercut: ${compact ? "compacting" : "plain"} save, ${scene.writes} flash writes; cutting at ${points.length} points`);
    const results: CutResult[] = [];
    for (const n of points) {
      const r = await cutAt(scene, n, { paired: argv.includes("--paired") });
      results.push(r);
      if (argv.includes("--json")) console.log(JSON.stringify(r));
      else if (!isClean(r)) console.log(`cut ${n}: ${JSON.stringify(r)}`);
    }
    console.log(`powercut ${compact ? "compacting" : "plain"} save: ${scene.writes} writes; ${JSON.stringify(tally(results))}; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    removeScene(scene);
  }
}

if (process.argv[1] && /powercut\.ts$/.test(process.argv[1])) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
