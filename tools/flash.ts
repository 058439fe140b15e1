// Flashes a board running Espruino: checks the config with the device's own rules, then has the
// espruino CLI send an upload text that writes the config to Storage as codepair.json and the
// bundle as .bootcde (code that runs at boot, kept in flash rather than RAM), checks both landed
// byte for byte, and starts codepair.
//
//   npm run flash -- --port /dev/ttyUSB0 --config device.json
//   npm run flash -- --config device.json --dry-run upload.js
//
// The upload text is ours, not the CLI's `--storage`: (1) it begins with reset(), so the app
// that is running stops before its .bootcde is replaced and Storage perhaps compacted (code that
// runs from flash would be garbled); the CLI drops its own reset when it has only Storage files
// and an expression to send; (2) every byte goes as base64 through atob(), so the bundle lands
// unchanged whatever bytes it holds (the CLI reads a code file as UTF-8, which would mangle
// non-ASCII bytes); (3) its last line reports the length and CRC32 of both files and starts
// codepair only if they match what was sent, and this tool checks that report, since the CLI
// exits with 0 even when it could not open the port. The CLI is told to send the text as it is:
// no minification, no pretokenising, no reset or clock setting of its own, no module look-up
// (a local board description says which modules are built in; no module URL is set).
// The bundle and the firmware's modules are written in their flash form (build.mjs's flashForm,
// tools/flashform.mjs): every long string literal a raw string token, which the interpreter
// reads where it is in flash instead of copying it into RAM; the lengths and CRCs checked are
// those of these bytes.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { crc32 } from "node:zlib";
import { CONFIG_FILE, checkConfig, type ConfigCheck } from "../firmware/store/config.ts";
import { WIFI_SLOTS } from "../firmware/store/wifi.ts";
import { namesBeside } from "./config-schema.ts";
import { flashFiles, modulesBeside } from "../build.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BOARD_JSON = join(ROOT, "tools/espruino-esp32.json");
const ESPRUINO_CLI = join(ROOT, "node_modules/espruino/bin/espruino-cli.js");
/** Where Espruino on an ESP32 keeps code that runs at boot */
export const BOOT_FILE = ".bootcde";
/** The ESP32's console (Serial1) runs at this rate: Espruino's boards/ESP32.py */
export const DEFAULT_BAUD = 115200;
/**
 * Bytes a Storage write carries: 1024 base64 characters a line. The ESP32's console buffers
 * 4096 bytes (boards/ESP32.py io_buffer_size) and sends XOFF when full; the CLI honours XOFF
 * and waits 250 ms after each `require("Storage").write(…)` line.
 */
export const CHUNK = 768;
/** The line the upload text prints once both files are written */
export const REPORT = "codepair-flash";

/** Edits (insert, delete, change, swap of neighbours) between two names, to suggest a field for a typo. */
function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** "; did you mean wifi.password?" for an unknown dotted field one or two edits from a known one at its level (the schema's). */
function didYouMean(dotted: string): string {
  const parts = dotted.split(".");
  const last = parts[parts.length - 1];
  const near = namesBeside(dotted).filter((k) => editDistance(k.toLowerCase(), last.toLowerCase()) <= 2);
  if (!near.length) return "";
  const name = parts.slice(0, -1).concat(near[0]).join(".");
  const open = name === "wifi.password" ? ": without it the network is taken for an open one" : "";
  return `; did you mean ${name}?${open}`;
}

const USAGE = `usage: npm run flash -- --port PATH --config FILE [--baud N]
       npm run flash -- --config FILE --dry-run OUT

Writes the config (JSON) to the board's Storage as ${CONFIG_FILE} and dist/firmware.js as
${BOOT_FILE}, checks both, and starts codepair. The config is checked first with the device's
own rules; nothing is sent if anything is wrong with it.

  --port PATH      the board's serial port, e.g. /dev/ttyUSB0 (required unless --dry-run)
  --config FILE    the device config, JSON (required)
  --baud N         the serial rate (default ${DEFAULT_BAUD}, the ESP32 console's)
  --dry-run OUT    write what would be sent to OUT instead of sending it (OUT then holds
                   the WiFi password, base64-encoded: it is written owner-only)
  --bundle FILE    the bundle to flash (default dist/firmware.js)
  --help           this text
`;

export interface Options {
  port: string;
  config: string;
  baud: number;
  dryRun: string;
  bundle: string;
}

/** The options, or what is wrong with the command line. */
export function parseOptions(argv: string[]): Options | "help" | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        config: { type: "string" },
        baud: { type: "string" },
        "dry-run": { type: "string" },
        bundle: { type: "string" },
        help: { type: "boolean" },
      },
    }).values;
  } catch (e) {
    return (e as Error).message;
  }
  if (parsed.help) return "help";
  if (!parsed.config) return "--config FILE is required";
  if (!parsed.port && !parsed["dry-run"]) return "--port PATH is required (or --dry-run FILE to write what would be sent)";
  const baud = parsed.baud === undefined ? DEFAULT_BAUD : Number(parsed.baud);
  if (!Number.isInteger(baud) || baud <= 0) return "--baud must be a whole number of bits a second, e.g. 115200";
  return {
    port: parsed.port || "",
    config: parsed.config,
    baud: baud,
    dryRun: parsed["dry-run"] || "",
    bundle: parsed.bundle || join(ROOT, "dist/firmware.js"),
  };
}

export interface PreparedConfig {
  /** the bytes codepair.json will hold: the config as compact JSON, UTF-8 */
  stored: Buffer;
  /** the config as the device reads it back, checked */
  check: ConfigCheck;
  /** the config as the file says it (text as text), for the summary */
  given: any;
}

/**
 * The config file made ready to store, or what is wrong with it. Strings go to Storage as
 * their UTF-8 bytes: Espruino 2v29 reads a JSON string's bytes as they are (an SSID's bytes are
 * what WiFi needs), while a \u escape above \u00ff would lose its high byte. The check runs on
 * exactly what the device's readJSON will see: the stored bytes, one character each.
 */
export function prepareConfig(file: string): PreparedConfig | string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return "cannot read " + file + ": " + ((e as NodeJS.ErrnoException).code || "error");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (e) {
    return file + " is not UTF-8 text";
  }
  let given: unknown;
  try {
    given = JSON.parse(text);
  } catch (e) {
    // JSON.parse's message may quote the text around the fault (a password, say): say only where
    const at = /position (\d+)/.exec((e as Error).message);
    if (!at) return file + " is not valid JSON";
    const before = text.slice(0, Number(at[1]));
    const line = before.split("\n").length;
    return file + " is not valid JSON (line " + line + ", column " + (before.length - before.lastIndexOf("\n")) + ")";
  }
  const stored = Buffer.from(JSON.stringify(given), "utf8");
  const check = checkConfig(JSON.parse(stored.toString("latin1")));
  return { stored, check, given };
}

/** `require("Storage").write` lines that put `data` in file `name`, CHUNK bytes a line. */
export function storageWrites(name: string, data: Buffer): string[] {
  const lines: string[] = [];
  for (let at = 0; at < data.length; at += CHUNK) {
    const part = data.subarray(at, at + CHUNK).toString("base64");
    lines.push(`require("Storage").write(${JSON.stringify(name)},atob("${part}"),${at}${at === 0 ? "," + data.length : ""});`);
  }
  return lines;
}

/** The firmware's Storage modules (build.mjs's FIRMWARE_MODULES), name → code, flashed beside the bundle. */
export type Modules = Record<string, Buffer>;

/** The files the board should hold once all are written, in the report's order: .bootcde, the config, the modules. */
function flashedNames(modules: Modules): string[] {
  return [BOOT_FILE, CONFIG_FILE].concat(Object.keys(modules));
}

/** What the board should report once every file is written: each name, length and CRC32. */
export function expectedReport(config: Buffer, bundle: Buffer, modules: Modules): string {
  const data: Modules = Object.assign({ [BOOT_FILE]: bundle, [CONFIG_FILE]: config }, modules);
  return flashedNames(modules)
    .map((name) => `${name} ${data[name].length} ${crc32(data[name])}`)
    .join(" ");
}

/**
 * The text sent to the board's console, a statement a line: reset, the config, the firmware's
 * modules and the bundle in chunks, then a report of what Storage holds, and codepair started
 * if that is what was sent. `forgetNetwork`: the config names a network, so the one a set-up
 * saved (firmware/store/wifi.ts), which would take its place, is erased; a config without one
 * keeps it (a new firmware flashed over a device set up from a phone stays on its network).
 */
export function uploadText(config: Buffer, bundle: Buffer, modules: Modules, forgetNetwork: boolean): string {
  const want = expectedReport(config, bundle, modules);
  const report =
    `(function(s){var r=${JSON.stringify(flashedNames(modules))}.map(function(n){var f=s.read(n);return n+" "+(f?f.length+" "+E.CRC32(f):"missing");}).join(" ");` +
    `print(${JSON.stringify(REPORT + " ")}+r);` +
    `if(r==${JSON.stringify(want)})load();else print(${JSON.stringify(REPORT + ": Storage does not hold what was sent; codepair not started")});` +
    `})(require("Storage"));`;
  // reset() runs once the line is done and drops a line half received by then: the CLI pauses
  // 250 ms after it, and the next line is one any tail of which is harmless (no quote, no open
  // bracket), naming the firmware in the board's output.
  const forget = forgetNetwork ? [WIFI_SLOTS.map((name) => `require("Storage").erase(${JSON.stringify(name)});`).join("")] : [];
  const moduleWrites: string[] = [];
  for (const name of Object.keys(modules)) moduleWrites.push(...storageWrites(name, modules[name]));
  return ["reset();", "print(process.env.BOARD,process.env.VERSION);", ...storageWrites(CONFIG_FILE, config), ...forget, ...moduleWrites, ...storageWrites(BOOT_FILE, bundle), report].join("\n") + "\n";
}

/** The espruino CLI's settings: send the text as it is, look nothing up online. */
export function cliArgs(baud: number): string[] {
  const config: { [k: string]: string } = {
    RESET_BEFORE_SEND: "false", // the text resets the board itself: the dry run shows it
    SAVE_ON_SEND: "0", // run each line as it arrives (the lines do the Storage writes)
    MINIFICATION_LEVEL: "",
    MODULE_MINIFICATION_LEVEL: "",
    PRETOKENISE: "0",
    UNICODE: "false",
    SET_TIME_ON_WRITE: "false",
    STORE_LINE_NUMBERS: "false",
    MODULE_URL: "", // no online module source, should a module not be listed as built in
    SERIAL_FLOW_CONTROL: "true", // pause on the board's XOFF
    STORAGE_UPLOAD_METHOD: "0", // 250 ms after each Storage.write line
  };
  const args = ["--board", BOARD_JSON, "--no-ble", "-b", String(baud)];
  for (const k of Object.keys(config)) args.push("--config", k + "=" + config[k]);
  return args;
}

/** Text safe to show: no long base64 (the config's writes), no WiFi password. */
export function redact(text: string, secrets: string[]): string {
  let out = text.replace(/[A-Za-z0-9+\/=]{40,}/g, "…");
  for (const s of secrets) if (s) out = out.split(s).join("***");
  return out;
}

function summary(p: PreparedConfig, bundleFile: string, bundle: Buffer, modules: Modules): string[] {
  const c = p.check.config;
  const wifi = (p.given && p.given.wifi) || {};
  const d = c.display;
  const lines = [
    c.wifi.ssid
      ? `config: WiFi ${JSON.stringify(wifi.ssid)} (${c.wifi.password ? "password set" : "open network, no password"})`
      : "config: no WiFi network: the device starts WiFi set-up from a phone (a network set up before is kept)",
  ];
  const pr = c.provider;
  if (pr) {
    lines.push(`config: provider ${pr.name}, client ${JSON.stringify(pr.clientId)}`);
    lines.push(`config: device ${pr.device}  token ${pr.token}${pr.account ? "  account " + pr.account : ""}`);
  }
  lines.push(
    `config: display ${d.width}x${d.height} at 0x${d.address.toString(16)} (SDA ${d.sda}, SCL ${d.scl}), button GPIO ${c.button.pin} (hold ${c.button.longPress} ms), ` +
      `telnet ${c.telnet ? "on" : "off"}, CA ${c.ca ? c.ca.length + " bytes" : "none"}`,
  );
  const parts = [`${CONFIG_FILE} ${p.stored.length} bytes`].concat(Object.keys(modules).map((name) => `${name} ${modules[name].length} bytes`));
  lines.push(`upload: ${parts.join(", ")}, ${BOOT_FILE} ${bundle.length} bytes (${bundleFile}; code in its flash form)`);
  return lines;
}

/** Why the tool stops: told on stderr, `code` the exit status. */
class Stop extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

function fail(message: string, code: number): never {
  throw new Stop(message, code);
}

/** Runs the CLI on the upload text without a port: what it would send, written to `out`. */
function cliDryRun(uploadFile: string, out: string, baud: number): { ok: boolean; output: string } {
  const run = spawnSync(process.execPath, [ESPRUINO_CLI, ...cliArgs(baud), "-o", out, uploadFile], { encoding: "utf8", timeout: 60000 });
  return { ok: run.status === 0 && existsSync(out), output: (run.stdout || "") + (run.stderr || "") };
}

async function main(): Promise<void> {
  const started = Date.now();
  const opts = parseOptions(process.argv.slice(2));
  if (opts === "help") {
    process.stdout.write(USAGE);
    return;
  }
  if (typeof opts === "string") fail(opts + "\n\n" + USAGE, 2);

  const prepared = prepareConfig(opts.config);
  if (typeof prepared === "string") fail(prepared + "; nothing sent", 1);
  const givenWifi = prepared.given && typeof prepared.given === "object" && prepared.given.wifi ? prepared.given.wifi : {};
  const secrets = [prepared.check.config.wifi.password, typeof givenWifi.password === "string" ? givenWifi.password : ""];
  for (const u of prepared.check.unknown) process.stderr.write(`flash: warning: ${opts.config}: unknown field ${u} (the device ignores it${didYouMean(u)})\n`);
  if (prepared.check.problems.length) {
    fail(`${opts.config} refused, nothing sent:\n` + prepared.check.problems.map((p) => "  - " + p).join("\n"), 1);
  }
  if (!existsSync(opts.bundle) || !statSync(opts.bundle).isFile()) fail(`${opts.bundle} not found: build it first (npm run build)`, 1);
  const bundleText = readFileSync(opts.bundle, "latin1");
  if (!bundleText.length) fail(`${opts.bundle} is empty`, 1);
  let bundle: Buffer = Buffer.alloc(0);
  const modules: Modules = {};
  try {
    Object.assign(modules, flashFiles(modulesBeside(opts.bundle)));
    bundle = flashFiles({ [opts.bundle]: bundleText })[opts.bundle];
  } catch (err) {
    fail((err as Error).message + "; nothing sent", 1);
  }
  const forgetNetwork = !!prepared.check.config.wifi.ssid;

  for (const line of summary(prepared, opts.bundle, bundle, modules)) process.stdout.write(line + "\n");

  const work = mkdtempSync(join(tmpdir(), "codepair-flash-"));
  chmodSync(work, 0o700);
  try {
    const text = uploadText(prepared.stored, bundle, modules, forgetNetwork);
    const uploadFile = join(work, "upload.js");
    writeFileSync(uploadFile, text, { encoding: "latin1", mode: 0o600 });

    // What the CLI makes of the text, sent nowhere: it must be the text itself.
    const sent = join(work, "sent.js");
    const dry = cliDryRun(uploadFile, sent, opts.baud);
    if (!dry.ok) fail("the espruino CLI failed:\n" + redact(dry.output, secrets), 1);
    if (!readFileSync(sent).equals(Buffer.from(text, "latin1"))) fail("the espruino CLI would change the upload text; nothing sent", 1);

    if (opts.dryRun) {
      try {
        copyFileSync(sent, opts.dryRun);
        chmodSync(opts.dryRun, 0o600);
      } catch (e) {
        fail(`cannot write ${opts.dryRun}: ${(e as NodeJS.ErrnoException).code || "error"}`, 1);
      }
      process.stdout.write(
        `dry run: wrote ${opts.dryRun}, ${text.length} bytes in ${text.split("\n").length - 1} lines, what would be sent at ${opts.baud} baud ` +
          `(${prepared.check.config.wifi.password ? "it holds the WiFi password, base64-encoded" : "the config gives no wifi.password: the device takes the network for an open one"}; owner-only) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      return;
    }

    process.stdout.write(`sending to ${opts.port} at ${opts.baud} baud (about ${Math.round((text.length * 10) / opts.baud + text.split("\n").length * 0.25)} s)…\n`);
    const result = await cliSend(uploadFile, opts.port, opts.baud, secrets);
    const want = expectedReport(prepared.stored, bundle, modules);
    const took = ((Date.now() - started) / 1000).toFixed(1);
    if (result.report === undefined) {
      fail(`no report from the board on ${opts.port}: it was not flashed, or not completely` + (result.errors ? ":\n" + result.errors : ""), 1);
    }
    if (result.report !== want) fail(`the board holds something else than was sent (${result.report}; want ${want}): run again`, 1);
    process.stdout.write(`flashed in ${took} s: ${[CONFIG_FILE].concat(Object.keys(modules)).join(", ")} and ${BOOT_FILE} checked (length, CRC32); codepair is starting\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Sends the upload text with the CLI, showing the board's output (redacted); resolves with
 * the board's report line, if it came.
 */
function cliSend(uploadFile: string, port: string, baud: number, secrets: string[]): Promise<{ report?: string; errors: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [ESPRUINO_CLI, ...cliArgs(baud), "-p", port, uploadFile], { stdio: ["ignore", "pipe", "pipe"] });
    let report: string | undefined;
    let errors = "";
    let rest = "";
    let linger: ReturnType<typeof setTimeout> | undefined;
    child.stdout.setEncoding("latin1");
    child.stderr.setEncoding("latin1");
    child.stdout.on("data", (chunk: string) => {
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const raw of lines) {
        const line = raw.replace(/[\r\x00-\x08\x0b-\x1f]/g, "");
        const at = line.indexOf(REPORT + " ");
        if (at >= 0 && report === undefined && /^\.bootcde /.test(line.slice(at + REPORT.length + 1))) {
          report = line.slice(at + REPORT.length + 1).trim();
          // the CLI exits once the board is quiet; codepair's boot may keep it talking a while
          linger = setTimeout(() => child.kill(), 15000);
        }
        if (line.trim() && !/^(Espruino Command-line Tool|-{10,}$)/.test(line)) process.stdout.write("  " + redact(line, secrets) + "\n");
      }
    });
    child.stderr.on("data", (chunk: string) => {
      errors += redact(chunk, secrets);
    });
    child.on("exit", () => {
      if (linger) clearTimeout(linger);
      done({ report, errors: errors.trim() });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write("flash: " + (e instanceof Stop ? e.message : String(e && (e as Error).stack)) + "\n");
    process.exitCode = e instanceof Stop ? e.code : 1;
  });
}
