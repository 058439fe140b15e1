// `npm start`: boots dist/firmware.js on the simulated board in real time and draws the
// OLED in the terminal whenever the panel changes, until Ctrl-C.
//
//   tsx host-sim/cli.ts [--height 64|32] [--flash FILE] [--exit-after SECONDS]
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Board } from "./board.ts";
import { toTerminal } from "./render.ts";
import { parseEspruinoJSON, stringifyEspruinoJSON } from "./espruino-json.ts";
import { Flash } from "./storage.ts";
import { CONFIG_FILE } from "../firmware/store/config.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface CliOptions {
  height: 64 | 32;
  flashFile: string | undefined;
  exitAfter: number | undefined;
  bundle: string;
}

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { height: 64, flashFile: undefined, exitAfter: undefined, bundle: resolve(ROOT, "dist/firmware.js") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--height") {
      const h = Number(value());
      if (h !== 64 && h !== 32) throw new Error("--height is 64 or 32");
      opts.height = h;
    } else if (arg === "--flash") opts.flashFile = resolve(value());
    else if (arg === "--exit-after") {
      const s = Number(value());
      if (!(s >= 0)) throw new Error("--exit-after takes seconds");
      opts.exitAfter = s;
    } else if (arg === "--bundle") opts.bundle = resolve(value());
    else if (arg === "--help" || arg === "-h") {
      console.log("usage: npm start -- [--height 64|32] [--flash FILE] [--exit-after SECONDS] [--bundle FILE]");
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (see --help)`);
  }
  return opts;
}

/**
 * A board with a 128×32 panel is one whose config says so: write it into the device's config,
 * read and written as the device's Storage.readJSON/writeJSON do.
 */
export function configurePanel(flash: Flash, height: 64 | 32): void {
  const stored = flash.get(CONFIG_FILE);
  let config: { display?: { height?: number } } = {};
  if (stored !== undefined) {
    try {
      const parsed = parseEspruinoJSON(stored, { identifierKeys: true });
      if (!parsed || typeof parsed !== "object") return;
      config = parsed as typeof config;
    } catch {
      return; // leave a broken config for the firmware to report
    }
  }
  const current = config.display && config.display.height;
  if (current === height || (height === 64 && current === undefined)) return;
  config.display = Object.assign({}, config.display, { height });
  flash.set(CONFIG_FILE, stringifyEspruinoJSON(config));
}

function main(): void {
  let opts: CliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`codepair simulator: ${(err as Error).message}`);
    process.exit(2);
  }
  if (!existsSync(opts.bundle)) {
    console.error(`codepair simulator: ${opts.bundle} is missing; run \`npm run build\` first`);
    process.exit(1);
  }
  let flash: Flash;
  try {
    flash = new Flash({ file: opts.flashFile });
  } catch (err) {
    console.error(`codepair simulator: ${(err as Error).message}`);
    process.exit(1);
  }
  configurePanel(flash, opts.height);
  const board = new Board({ panel: { height: opts.height }, flash });
  const tty = process.stdout.isTTY;
  let last = "";
  const draw = (): void => {
    const frame = toTerminal(board.screen(), board.width, board.height);
    if (frame === last) return;
    last = frame;
    process.stdout.write((tty ? "\x1b[H\x1b[2J" : "") + frame + "\n" + (tty ? "Ctrl-C to quit\n" : ""));
  };
  board.console.onLine = (line) => process.stdout.write(`[device] ${line}\n`);
  board.onTick = draw;
  board.clock.startRealTime();
  board.boot(readFileSync(opts.bundle, "utf8"));
  const stop = (): void => {
    board.clock.stopRealTime();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  if (opts.exitAfter !== undefined) setTimeout(stop, opts.exitAfter * 1000);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
