// `npm start`: the simulated board, in real time, paired with a provider.
//
// By default the mock providers start on loopback and the device is configured for the mock
// Simkl: the terminal draws the OLED and prints the approval page's address, where a person
// types the code shown and approves. `--config FILE` runs the device against the endpoints a
// device config names instead (a real Kinde or Auth0 tenant, say).
//
// `--headless` prints one JSON object a line instead of drawing: every screen change (its
// name and texts), every HTTP request (method, URL, status: never a header or body, where
// secrets travel), every Storage write (the file's name only); it exits on `--exit-on STATE`
// (status 0) or `--timeout S` (status 1 when an --exit-on state was awaited).
//
//   tsx host-sim/cli.ts [--headless] [--config FILE] [--provider simkl|kinde|auth0]
//       [--exit-on STATE] [--timeout S] [--height 64|32] [--flash FILE] [--exit-after S]
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Board } from "./board.ts";
import { toTerminal } from "./render.ts";
import { parseEspruinoJSON, stringifyEspruinoJSON } from "./espruino-json.ts";
import { startMockProviders, type MockProviders, type ProviderKind } from "./providers/index.ts";
import { Flash } from "./storage.ts";
import { CONFIG_FILE } from "../firmware/store/config.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The simulated WiFi network the built-in default config joins. */
export const SIM_NETWORK = { ssid: "codepair-sim", password: "simulated" };
const PROVIDERS: ProviderKind[] = ["simkl", "kinde", "auth0"];

export interface CliOptions {
  height: 64 | 32;
  flashFile: string | undefined;
  exitAfter: number | undefined;
  bundle: string;
  headless: boolean;
  configFile: string | undefined;
  provider: ProviderKind;
  exitOn: string | undefined;
  timeout: number | undefined;
}

const USAGE =
  "usage: npm start -- [--headless] [--config FILE] [--provider simkl|kinde|auth0] [--exit-on STATE] [--timeout S]\n" +
  "                    [--height 64|32] [--flash FILE] [--exit-after S] [--bundle FILE]";

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = {
    height: 64,
    flashFile: undefined,
    exitAfter: undefined,
    bundle: resolve(ROOT, "dist/firmware.js"),
    headless: false,
    configFile: undefined,
    provider: "simkl",
    exitOn: undefined,
    timeout: undefined,
  };
  const seconds = (arg: string, v: string): number => {
    const s = Number(v);
    if (!(s >= 0)) throw new Error(`${arg} takes seconds`);
    return s;
  };
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
    else if (arg === "--exit-after") opts.exitAfter = seconds(arg, value());
    else if (arg === "--timeout") opts.timeout = seconds(arg, value());
    else if (arg === "--bundle") opts.bundle = resolve(value());
    else if (arg === "--headless") opts.headless = true;
    else if (arg === "--config") opts.configFile = resolve(value());
    else if (arg === "--exit-on") opts.exitOn = value();
    else if (arg === "--provider") {
      const p = value() as ProviderKind;
      if (!PROVIDERS.includes(p)) throw new Error(`--provider is one of ${PROVIDERS.join(", ")}`);
      opts.provider = p;
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (see --help)`);
  }
  if (opts.configFile && argv.includes("--provider")) throw new Error("--provider picks a mock provider; --config names real endpoints: not both");
  return opts;
}

/** A screen line the firmware prints on every change of screen (app.ts), or undefined for any other line. */
export function screenOf(line: string): { screen: string; texts: string[] } | undefined {
  if (!line.startsWith('{"screen"')) return undefined;
  try {
    const o = JSON.parse(line) as { screen?: unknown; texts?: unknown };
    return typeof o.screen === "string" && Array.isArray(o.texts) ? { screen: o.screen, texts: o.texts.map(String) } : undefined;
  } catch {
    return undefined;
  }
}

type StoredConfig = Record<string, unknown> & { display?: Record<string, unknown>; wifi?: { ssid?: unknown; password?: unknown } };

/** The device config in flash, read as the device's Storage.readJSON does; undefined if none or unreadable. */
function storedConfig(flash: Flash): StoredConfig | undefined {
  const stored = flash.get(CONFIG_FILE);
  if (stored === undefined) return undefined;
  try {
    const parsed = parseEspruinoJSON(stored, { identifierKeys: true });
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as StoredConfig) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A board with a 128×32 panel is one whose config says so: write it into the device's config,
 * read and written as the device's Storage.readJSON/writeJSON do.
 */
export function configurePanel(flash: Flash, height: 64 | 32): void {
  if (flash.get(CONFIG_FILE) !== undefined && !storedConfig(flash)) return; // a broken config is the firmware's to report
  const config = storedConfig(flash) || {};
  const current = config.display && config.display.height;
  if (current === height || (height === 64 && current === undefined)) return;
  config.display = Object.assign({}, config.display, { height });
  flash.set(CONFIG_FILE, stringifyEspruinoJSON(config));
}

/** The device config for one of the mock providers at `base`, joining the simulated network. */
export function mockConfig(kind: ProviderKind, base: string): StoredConfig {
  const config: StoredConfig = { wifi: { ...SIM_NETWORK }, provider: kind, clientId: "codepair-sim", base };
  if (kind === "auth0") config.audience = "https://api.example.com";
  return config;
}

/** Writes `config` as the device's config, keeping the panel settings already in flash. */
export function writeConfig(flash: Flash, config: StoredConfig): void {
  const before = storedConfig(flash);
  const merged: StoredConfig = Object.assign({}, config);
  if (before && before.display && !config.display) merged.display = before.display;
  flash.set(CONFIG_FILE, stringifyEspruinoJSON(merged));
}

function fail(message: string, status: number): never {
  console.error(`codepair simulator: ${message}`);
  process.exit(status);
}

async function main(): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    return fail((err as Error).message, 2);
  }
  if (!existsSync(opts.bundle)) fail(`${opts.bundle} is missing; run \`npm run build\` first`, 1);
  let flash: Flash;
  try {
    flash = new Flash({ file: opts.flashFile });
  } catch (err) {
    return fail((err as Error).message, 1);
  }
  let mock: MockProviders | undefined;
  let config: StoredConfig;
  if (opts.configFile) {
    let text: string;
    try {
      text = readFileSync(opts.configFile, "utf8");
    } catch (err) {
      return fail(`cannot read ${opts.configFile}: ${(err as Error).message}`, 1);
    }
    try {
      config = JSON.parse(text) as StoredConfig;
    } catch (err) {
      return fail(`${opts.configFile} is not JSON: ${(err as Error).message}`, 1);
    }
    if (!config || typeof config !== "object" || Array.isArray(config)) fail(`${opts.configFile} does not hold a JSON object`, 1);
  } else {
    mock = await startMockProviders();
    config = mockConfig(opts.provider, mock.base(opts.provider));
  }
  writeConfig(flash, config);
  configurePanel(flash, opts.height);
  const board = new Board({ panel: { height: opts.height }, flash });
  // The simulated WiFi has the network the config names: the host's own network is the LAN.
  const wifi = config.wifi;
  if (wifi && typeof wifi.ssid === "string") board.wifi.networks[wifi.ssid] = typeof wifi.password === "string" ? wifi.password : "";

  const started = Date.now();
  const stop = async (status: number): Promise<void> => {
    board.clock.stopRealTime();
    board.powerOff();
    if (mock) await mock.close();
    process.exit(status);
  };
  const at = (): number => Math.round(board.clock.now) / 1000;
  // the mock's approval page, where a person types the code the OLED shows
  const approval = mock ? mock.base(opts.provider) + (opts.provider === "simkl" ? "/pin" : "/device") : "";
  if (opts.headless) {
    const emit = (o: Record<string, unknown>): void => {
      process.stdout.write(JSON.stringify({ t: at(), ...o }) + "\n");
    };
    board.console.onLine = (line) => {
      const s = screenOf(line);
      if (s) {
        emit(s);
        if (opts.exitOn === s.screen) void stop(0);
      } else emit({ console: line });
    };
    board.net.onResponse = (e) => emit(e.error ? { http: e.method, url: e.url, error: e.error } : { http: e.method, url: e.url, status: e.status });
    flash.onChange = (op, name) => emit({ storage: op, file: name });
    if (approval) emit({ approve: approval });
  } else {
    const tty = process.stdout.isTTY;
    let last = "";
    const hint = approval ? `Approve at ${approval}\n` : "";
    const draw = (): void => {
      const frame = toTerminal(board.screen(), board.width, board.height);
      if (frame === last) return;
      last = frame;
      process.stdout.write((tty ? "\x1b[H\x1b[2J" : "") + frame + "\n" + hint + (tty ? "Ctrl-C to quit\n" : ""));
    };
    board.console.onLine = (line) => {
      if (!screenOf(line)) process.stdout.write(`[device] ${line}\n`);
    };
    board.onTick = draw;
  }
  board.clock.startRealTime();
  board.boot(readFileSync(opts.bundle, "utf8"));
  process.on("SIGINT", () => void stop(0));
  const limit = opts.timeout !== undefined ? opts.timeout : opts.exitAfter;
  if (limit !== undefined) setTimeout(() => void stop(opts.exitOn && opts.timeout !== undefined ? 1 : 0), limit * 1000 - (Date.now() - started));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
