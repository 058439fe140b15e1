// Runs a program on the real Espruino interpreter named by $ESPRUINO (a Linux build of it),
// and the same program on the simulated board, so tests can compare the two.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Board, type BoardOptions } from "../../host-sim/board.ts";
import { storageWrites } from "../../tools/flash.ts";
import { flashFiles } from "../../build.mjs";

/** Path of the real interpreter, or undefined: then the tests that need it are skipped. */
export const ESPRUINO = process.env.ESPRUINO || undefined;
/** Path of the codepair kind of the interpreter (with tools/espruino/patches/codepair), or undefined. */
export const ESPRUINO_CODEPAIR = process.env.ESPRUINO_CODEPAIR || undefined;

let boardName: string | undefined;

/**
 * The interpreter's `process.env.BOARD`: "ESP32LIKE" for the build shaped like the device's
 * (no Unicode strings), "LINUX" for the plain Linux build (Unicode strings).
 */
export function espruinoBoard(): string {
  if (boardName === undefined) {
    const line = runOnEspruino('print("BOARD " + process.env.BOARD);').lines.find((l) => l.startsWith("BOARD "));
    boardName = line ? line.slice(6) : "";
  }
  return boardName;
}

export interface RealRun {
  lines: string[];
  status: number | null;
}

/** One line of the interpreter's output as the program printed it: no CR, prompt or erase code. */
export function cleanLine(raw: string): string {
  return raw.replace(/\r/g, "").replace(/\x1b\[J/g, "").replace(/^>+/, "");
}

/** The interpreter's whole output as the program's lines: the banner (through its Donate line) dropped. */
export function outputLines(stdout: string): string[] {
  const donate = stdout.indexOf("espruino.com/Donate");
  const body = donate >= 0 ? stdout.slice(stdout.indexOf("\n", donate) + 1) : stdout;
  return body.split("\n").map(cleanLine);
}

/**
 * Output lines of `code` run as a file on the interpreter, without its banner and prompts.
 * `flashFirst`: a program run before it in a run of its own, to leave Storage as `code` should
 * find it (text the two would not fit in RAM together); throws when it does not run to its end.
 */
export function runOnEspruino(code: string, timeoutMs = 15000, flashFirst = ""): RealRun {
  if (!ESPRUINO) throw new Error("ESPRUINO is not set");
  // The interpreter keeps its flash in the working directory: one fresh directory a run.
  const dir = mkdtempSync(join(tmpdir(), "codepair-espruino-"));
  try {
    const file = join(dir, "program.js");
    if (flashFirst) {
      writeFileSync(file, flashFirst + '\nprint("FLASHED");\n', "latin1");
      const first = spawnSync(ESPRUINO, [file], { cwd: dir, timeout: timeoutMs, input: "", encoding: "latin1" });
      if (!outputLines(first.stdout || "").includes("FLASHED")) throw new Error("the program that writes Storage did not run to its end:\n" + (first.stdout || "").slice(-2000));
    }
    writeFileSync(file, code, "latin1");
    const run = spawnSync(ESPRUINO, [file], { cwd: dir, timeout: timeoutMs, input: "", encoding: "latin1" });
    const lines = outputLines(run.stdout || "").filter((l, i, all) => !(l === "" && (i === 0 || i === all.length - 1)));
    return { lines, status: run.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same program on the simulated board, with its timers run to the end. */
export function runOnSimulator(code: string, opts?: BoardOptions): { lines: string[]; board: Board } {
  const board = new Board(opts);
  board.boot(code);
  board.clock.runUntilIdle(60000);
  return { lines: board.console.lines.slice(), board };
}

/** A prelude for the interpreter that prints every I2C1.writeTo as `I2C <address> <hex>`. */
export const I2C_TRACE_PRELUDE = `I2C1.writeTo = function () {
  var a = arguments, out = "";
  function add(v) {
    if (typeof v == "number") out += (256 + (v & 255)).toString(16).substr(1);
    else if (typeof v == "string") for (var i = 0; i < v.length; i++) add(v.charCodeAt(i));
    else if (v && v.length !== undefined) for (var j = 0; j < v.length; j++) add(v[j]);
  }
  for (var k = 1; k < a.length; k++) add(a[k]);
  print("I2C " + a[0] + " " + out);
};
`;

export function hex(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (256 + bytes[i]).toString(16).slice(1);
  return s;
}

/**
 * The board's I2C traffic since its transcript was started (`board.i2c1.transcript = []`), in
 * the interpreter prelude's format: `I2C <address> <hex>`.
 */
export function i2cLines(board: Board): string[] {
  return (board.i2c1.transcript || []).map((t) => `I2C ${t.address} ${hex(t.bytes)}`);
}

/** The Linux build has no Wifi module: a stand-in that joins at once, put in front of a bundle. */
export const WIFI_STAND_IN =
  'Modules.addCached("Wifi", "' +
  "exports.connect=function(s,o,cb){setTimeout(function(){cb(null);},10);};exports.on=function(){};" +
  // set-up's members: a scan that hears two networks, an access point that says when it is up and down
  "exports.disconnect=function(cb){if(cb)setTimeout(cb,0);};" +
  "exports.scan=function(cb){setTimeout(function(){cb([{ssid:'home',rssi:-50,authMode:'wpa2'},{ssid:'cafe',rssi:-70,authMode:'open'}]);},50);};" +
  "exports.startAP=function(s,o,cb){print('AP UP '+s);setTimeout(function(){cb(null);},10);};exports.stopAP=function(cb){print('AP DOWN');if(cb)setTimeout(cb,0);};" +
  "exports.getAPIP=function(){return {ip:'192.168.4.1',netmask:'255.255.255.0',gw:'192.168.4.1',mac:'24:0a:c4:00:00:02'};};" +
  '");\n';

/**
 * A program that leaves Storage as the flash tool does, then boots from it: each of `files`
 * (name → code: .bootcde, the firmware's modules) written in chunks in its flash form (long
 * string literals as raw strings that stay in flash: tools/flashform.mjs), then load(). So the
 * firmware runs from flash (its functions' code and long strings stay there), not as text.
 * `form` "text": the code written as it is instead (to compare the two).
 */
export function flashedProgram(files: Record<string, string>, form: "flash" | "text" = "flash"): string {
  return storageProgram(files, form) + "setTimeout(function () { load(); }, 100);\n";
}

/** Lines that write each of `files` (name → contents) to Storage as the flash tool does, in chunks: in its flash form, or as text. */
export function storageProgram(files: Record<string, string>, form: "flash" | "text" = "flash"): string {
  const stored = form === "flash" ? flashFiles(files) : null;
  const lines: string[] = [];
  for (const name of Object.keys(files)) lines.push(...storageWrites(name, stored ? stored[name] : Buffer.from(files[name], "latin1")));
  return lines.join("\n") + "\n";
}

/**
 * Runs a bundle on the interpreter with `config` in its Storage and the WiFi stand-in, live
 * (asynchronously), until `onLine` returns true for an output line (or a number: stop that
 * many ms later) or `limitMs` passes. Lines come without the banner, prompts and CRs.
 * Resolves with every line seen. `bin`: which interpreter (default $ESPRUINO).
 */
export function runLive(code: string, config: object, onLine: (line: string) => boolean | number, limitMs = 30000, prelude = "", bin = ESPRUINO): Promise<string[]> {
  if (!bin) throw new Error("ESPRUINO is not set");
  const dir = mkdtempSync(join(tmpdir(), "codepair-live-"));
  const file = join(dir, "device.js");
  writeFileSync(file, WIFI_STAND_IN + `require("Storage").writeJSON("codepair.json", ${JSON.stringify(config)});\n` + prelude + code, "latin1");
  const child = spawn(bin, [file], { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
  const lines: string[] = [];
  return new Promise((resolve) => {
    let rest = "";
    const timer = setTimeout(() => child.kill(), limitMs);
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (chunk: string) => {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const raw of parts) {
        const line = cleanLine(raw);
        lines.push(line);
        const stop = onLine(line);
        if (stop === true) child.kill();
        else if (typeof stop === "number") setTimeout(() => child.kill(), stop);
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve(lines);
    });
  });
}
