// `npm start`: the simulated board, in real time, paired with a provider.
//
// By default the mock providers start on loopback and the device is configured for the mock
// Simkl. A local web page (its address printed first thing under the panel) shows the OLED
// live, the board's button (click: short press; hold: long press), Reboot, Power and WiFi
// switches, and the mock's approval page where a person types the code shown and approves or
// denies. The terminal draws the OLED too and, when it is a TTY, takes keys: space or enter =
// short press, l = long press, r = reboot, p = power off/on, q or Ctrl-C = quit.
// `--tls` puts the mock providers behind an HTTPS edge like the providers' (host-sim/providers/
// edge.ts; its certificate from a test CA made at run time, never written to disk) and gives the
// device that CA as its `ca`. `--interpreter stock|codepair` picks which Espruino the board
// models (host-sim/http.ts): 2v29 as released (the default without --tls; the edge refuses it)
// or the codepair image (the default with --tls).
// `--config FILE` runs the device against the endpoints a device config names instead (a real
// Kinde or Auth0 tenant, say): there is no approval page then. `--provider rfc8628` configures
// the device as a generic RFC 8628 client with explicit endpoints, served by the mock Kinde
// (whose errors are RFC 6749 §5.2's). `--flash FILE` keeps the simulated Storage across runs.
// `--no-network` leaves the WiFi out of the config: the device starts WiFi set-up, and the
// page's phone joins its access point and saves the simulated network.
//
// `--headless` prints one JSON object a line instead of drawing (and serves no page): every
// screen change (its name and texts), every HTTP request (method, URL, status: never a header
// or body, where secrets travel), every Storage write (the file's name only); it exits on
// `--exit-on STATE` (status 0) or `--timeout S` (status 1 when an --exit-on state was awaited).
//
//   tsx host-sim/cli.ts [--headless] [--config FILE] [--provider simkl|kinde|auth0|rfc8628]
//       [--port N] [--exit-on STATE] [--timeout S] [--height 64|32] [--flash FILE] [--exit-after S]
//       [--bundle FILE] [--tls] [--interpreter stock|codepair] [--approve-after S [--approve-as NAME]] [--no-network]
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { flashTexts, modulesBeside } from "../build.mjs";
import { Board } from "./board.ts";
import { toTerminal } from "./render.ts";
import { parseEspruinoJSON, stringifyEspruinoJSON } from "./espruino-json.ts";
import type { Interpreter } from "./http.ts";
import { startEdge, type Edge } from "./providers/edge.ts";
import { startMockProviders, type MockProviders, type ProviderKind } from "./providers/index.ts";
import { issueServerCert, makeTestCa } from "./tls-certs.ts";
import type { MockRequest } from "./providers/types.ts";
import { Flash } from "./storage.ts";
import { startWebPanel, type BoardControls, type WebPanel } from "./web.ts";
import { CONFIG_FILE, checkConfig } from "../firmware/store/config.ts";
import type { Screen } from "../firmware/display/screens.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The simulated WiFi network the built-in default config joins. */
export const SIM_NETWORK = { ssid: "codepair-sim", password: "simulated" };

/** What `--provider` names: a mock provider, or a generic RFC 8628 server. */
export type SimProvider = ProviderKind | "rfc8628";
const PROVIDERS: SimProvider[] = ["simkl", "kinde", "auth0", "rfc8628"];
/**
 * The mock that serves each: the generic RFC 8628 client talks to the mock Kinde, whose token
 * errors are RFC 6749 §5.2's (400 and the error code), through explicit endpoints.
 */
export const MOCK_OF: Record<SimProvider, ProviderKind> = { simkl: "simkl", kinde: "kinde", auth0: "auth0", rfc8628: "kinde" };
/** Each mock's approval page under its base: verification_uri (RFC 8628 §3.2), Simkl's /pin. */
const APPROVAL_PAGE: Record<ProviderKind, string> = { simkl: "/pin", kinde: "/device", auth0: "/activate" };
const PROVIDER_NAME: Record<SimProvider, string> = { simkl: "Simkl", kinde: "Kinde", auth0: "Auth0", rfc8628: "RFC 8628 server (the mock Kinde's endpoints)" };
/** Every screen the firmware names on its console (app.ts): what --exit-on takes. The type makes the list whole. */
const SCREEN_NAMES: Record<Screen["kind"], true> = {
  splash: true, setup: true, wifi: true, "wifi-failed": true, requesting: true, code: true, offline: true,
  approved: true, paired: true, denied: true, expired: true, hold: true, error: true, compacting: true, "wifi-setup": true,
};
/** Whom --approve-after approves as, unless --approve-as names someone. */
const APPROVER = "Alice Example";
/** A short press from the terminal: long enough for the firmware's 50 ms debounce. */
const SHORT_PRESS = 150;

export interface CliOptions {
  height: 64 | 32;
  flashFile: string | undefined;
  exitAfter: number | undefined;
  bundle: string;
  headless: boolean;
  configFile: string | undefined;
  provider: SimProvider;
  /** The web page's port; 0 = any free one. */
  port: number;
  exitOn: string | undefined;
  timeout: number | undefined;
  /** the mock providers over HTTPS, behind an edge */
  tls: boolean;
  interpreter: Interpreter | undefined;
  /** Approve each code this many seconds after it is shown, at the mock, as `approveAs`. */
  approveAfter: number | undefined;
  approveAs: string;
  /** the config names no WiFi network: the device starts WiFi set-up */
  noNetwork: boolean;
}

const USAGE =
  "usage: npm start -- [--provider simkl|kinde|auth0|rfc8628 | --config FILE] [--port N] [--flash FILE]\n" +
  "                    [--height 64|32] [--headless] [--exit-on STATE] [--timeout S] [--exit-after S] [--bundle FILE]\n" +
  "  --provider P     pair with a mock provider on loopback (default simkl)\n" +
  "  --config FILE    a device config (JSON) naming real endpoints instead\n" +
  "  --port N         the web page's port on 127.0.0.1 (default: any free one)\n" +
  "  --flash FILE     keep the simulated Storage in FILE across runs\n" +
  "  --no-network     no WiFi network in the config: the device starts WiFi set-up (the page's phone joins it)\n" +
  "  --tls            the mock providers over HTTPS (a test CA made now, given to the device as ca)\n" +
  "  --interpreter I  stock (2v29 as released) or codepair (the codepair image; default with --tls)\n" +
  "  --headless       JSON lines (screens, HTTP, Storage writes), no page\n" +
  "  --exit-on STATE  exit (status 0) when that screen comes up: " + Object.keys(SCREEN_NAMES).join(", ") + "\n" +
  "  --timeout S      give up after S seconds (status 1 if an --exit-on screen was awaited)\n" +
  "  --exit-after S   exit (status 0) after S seconds\n" +
  "  --approve-after S  approve each code at the mock S seconds after it is shown (as --approve-as NAME,\n" +
  "                   default " + APPROVER + "), for scripts\n" +
  "  --height 64|32   the panel's height (default 64)\n" +
  "  --bundle FILE    the firmware bundle to run (default dist/firmware.js)\n" +
  "keys (in a terminal): space/enter short press, l long press, r reboot, p power off/on, q quit";

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = {
    height: 64,
    flashFile: undefined,
    exitAfter: undefined,
    bundle: resolve(ROOT, "dist/firmware.js"),
    headless: false,
    configFile: undefined,
    provider: "simkl",
    port: 0,
    exitOn: undefined,
    timeout: undefined,
    tls: false,
    interpreter: undefined,
    approveAfter: undefined,
    approveAs: APPROVER,
    noNetwork: false,
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
    else if (arg === "--tls") opts.tls = true;
    else if (arg === "--no-network") opts.noNetwork = true;
    else if (arg === "--interpreter") {
      const k = value();
      if (k !== "stock" && k !== "codepair") throw new Error("--interpreter is stock or codepair");
      opts.interpreter = k;
    }
    else if (arg === "--config") opts.configFile = resolve(value());
    else if (arg === "--exit-on") {
      const name = value();
      if (!Object.prototype.hasOwnProperty.call(SCREEN_NAMES, name)) throw new Error(`--exit-on takes a screen's name: ${Object.keys(SCREEN_NAMES).join(", ")} (not "${name}")`);
      opts.exitOn = name;
    } else if (arg === "--approve-after") opts.approveAfter = seconds(arg, value());
    else if (arg === "--approve-as") {
      const who = value().trim();
      if (!who) throw new Error("--approve-as takes a name");
      opts.approveAs = who;
    }
    else if (arg === "--provider") {
      const p = value() as SimProvider;
      if (!PROVIDERS.includes(p)) throw new Error(`--provider is one of ${PROVIDERS.join(", ")}`);
      opts.provider = p;
    } else if (arg === "--port") {
      const n = Number(value());
      if (!(n >= 0 && n <= 65535 && n === Math.floor(n))) throw new Error("--port is a port number, 0..65535");
      opts.port = n;
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (see --help)`);
  }
  if (opts.configFile && argv.includes("--provider")) throw new Error("--provider picks a mock provider; --config names real endpoints: not both");
  if (opts.configFile && opts.approveAfter !== undefined) throw new Error("--approve-after approves at a mock provider; with --config the provider is real: approve there");
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

/**
 * The device config for a mock provider whose base is `base` (the base of MOCK_OF[kind]),
 * joining the simulated network. A generic RFC 8628 client names its endpoints one by one.
 */
export function mockConfig(kind: SimProvider, base: string): StoredConfig {
  const config: StoredConfig = { wifi: { ...SIM_NETWORK }, provider: kind, clientId: "codepair-sim" };
  if (kind === "rfc8628") config.endpoints = { device: base + "/oauth2/device/auth", token: base + "/oauth2/token", userinfo: base + "/oauth2/v2/user_profile" };
  else config.base = base;
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
  // what the flash tool writes: the bundle and the firmware's Storage modules in their flash form
  let modules: Record<string, string> = {};
  let bundle = "";
  try {
    modules = flashTexts(modulesBeside(opts.bundle));
    bundle = flashTexts({ [opts.bundle]: readFileSync(opts.bundle, "latin1") })[opts.bundle];
  } catch (err) {
    fail((err as Error).message, 1);
  }
  let flash: Flash;
  try {
    flash = new Flash({ file: opts.flashFile });
  } catch (err) {
    return fail((err as Error).message, 1);
  }
  let mock: MockProviders | undefined;
  let edge: Edge | undefined;
  /** Each request the mock answered (headless mode logs them). */
  let onMockAnswer = (r: MockRequest): void => void r;
  let config: StoredConfig;
  const interpreter: Interpreter = opts.interpreter || (opts.tls ? "codepair" : "stock");
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
    mock = await startMockProviders({ onAnswer: (r) => onMockAnswer(r) });
    config = mockConfig(opts.provider, mock.base(MOCK_OF[opts.provider]));
    if (opts.tls) {
      // the edge serves "localhost" (the board's DNS knows it) with a certificate from a CA
      // made now; the device trusts that CA (an interpreter that cannot verify gets no ca)
      const ca = makeTestCa("codepair simulator test CA");
      const cert = issueServerCert(ca, ["localhost"]);
      const base = new URL(mock.base(MOCK_OF[opts.provider]));
      edge = await startEdge({ host: "localhost", key: cert.key, cert: cert.cert, backendPort: Number(base.port) });
      config = mockConfig(opts.provider, edge.url + base.pathname);
      if (interpreter === "codepair") config.ca = ca.cert;
    }
  }
  if (opts.noNetwork) delete config.wifi;
  writeConfig(flash, config);
  configurePanel(flash, opts.height);
  const board = new Board({ panel: { height: opts.height }, flash, interpreter });
  // The simulated WiFi has the network the config names (the host's own network is the LAN), or
  // with none, the simulated one, for WiFi set-up to save.
  const wifi = config.wifi || SIM_NETWORK;
  if (wifi && typeof wifi.ssid === "string") board.wifi.networks[wifi.ssid] = typeof wifi.password === "string" ? wifi.password : "";
  // the hold that re-pairs, as the device reads it from its config
  const longPress = checkConfig(config).config.button.longPress;

  const controls: BoardControls = {
    press: () => board.button.press(),
    release: () => board.button.release(),
    // the ESP32's EN pin: nothing to reset without power
    reboot: () => {
      if (board.powered) board.reboot();
    },
    // off: the plug pulled (flash keeps what was written); on: power back, the firmware from the start
    power: (on) => {
      if (!on) board.powerOff();
      else if (!board.powered) board.powerCycle();
    },
    accessPoint: (up) => (up ? board.wifi.restore() : board.wifi.drop()),
  };

  const started = Date.now();
  let web: WebPanel | undefined;
  let stopping = false;
  const stop = async (status: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
    board.clock.stopRealTime();
    board.powerOff();
    if (web) await web.close();
    if (edge) await edge.close();
    if (mock) await mock.close();
    process.exit(status);
  };
  const at = (): number => Math.round(board.clock.now) / 1000;
  // the mock's approval page, where a person types the code the OLED shows
  const approval = mock ? mock.base(MOCK_OF[opts.provider]) + APPROVAL_PAGE[MOCK_OF[opts.provider]] : "";
  /** What --approve-after did (headless mode logs it). */
  let onApproved = (code: string, ok: boolean): void => void [code, ok];
  const approved = new Set<string>();
  /** --approve-after: each new code is approved at the mock, as a person would on its page. */
  const approveLater = (s: { screen: string; texts: string[] }): void => {
    const code = s.texts[0];
    if (!mock || opts.approveAfter === undefined || s.screen !== "code" || !code || approved.has(code)) return;
    approved.add(code);
    const provider = mock.provider(MOCK_OF[opts.provider]);
    setTimeout(() => onApproved(code, provider.approve(code, { who: opts.approveAs })), opts.approveAfter * 1000);
  };
  if (opts.headless) {
    const emit = (o: Record<string, unknown>): void => {
      process.stdout.write(JSON.stringify({ t: at(), ...o }) + "\n");
    };
    board.console.onLine = (line) => {
      const s = screenOf(line);
      if (s) {
        emit(s);
        approveLater(s);
        if (opts.exitOn === s.screen) void stop(0);
      } else emit({ console: line });
    };
    // the mock's own log: what it made of each request, on its own clock (ms since the epoch)
    onMockAnswer = (r) => emit({ mock: r.provider, method: r.method, path: r.path, status: r.status, outcome: r.outcome, at: r.at });
    onApproved = (code, ok) => emit({ approved: code, as: opts.approveAs, ok });
    board.net.onResponse = (e) => emit(e.error ? { http: e.method, url: e.url, error: e.error } : { http: e.method, url: e.url, status: e.status });
    flash.onChange = (op, name) => emit({ storage: op, file: name });
    if (approval) emit({ approve: approval });
  } else {
    const source = opts.configFile ? "the endpoints in " + basename(opts.configFile) : "the mock " + PROVIDER_NAME[opts.provider] + " on this machine";
    try {
      web = await startWebPanel({ board, controls, port: opts.port, approval, source, longPress });
    } catch (err) {
      if (mock) await mock.close();
      return fail(`cannot serve the page on 127.0.0.1:${opts.port}: ${(err as Error).message}`, 1);
    }
    const page = web;
    const tty = !!process.stdout.isTTY;
    const keys = tty && !!process.stdin.isTTY;
    const hint =
      `Simulator page: ${page.url}\n` +
      (approval ? `Approve at ${approval}\n` : `Pairs with ${source}\n`) +
      (keys ? "Keys: space/enter short press · l long press · r reboot · p power off/on · q quit\n" : "");
    let last = "";
    const dark = new Uint8Array(board.width * board.height);
    const refresh = (): void => {
      page.publish();
      // the panel is drawn in a terminal only: into a log it would be the whole panel again
      // at every change; the page shows it, and the hint is written once
      if (!tty) {
        if (!last) process.stdout.write((last = hint));
        return;
      }
      const frame = toTerminal(board.powered ? board.screen() : dark, board.width, board.height);
      if (frame === last) return;
      last = frame;
      process.stdout.write("\x1b[H\x1b[2J" + frame + "\n" + hint);
    };
    board.console.onLine = (line) => {
      const s = screenOf(line);
      if (s) {
        page.screen = s.screen;
        page.texts = s.texts;
        approveLater(s);
      } else process.stdout.write(`[device] ${line}\n`);
    };
    onApproved = (code, ok) => process.stdout.write(ok ? `Approved ${code} as ${opts.approveAs}\n` : `Could not approve ${code}: no longer pending\n`);
    board.onTick = refresh;
    if (keys) {
      /** Press, and release after `ms` of real time (the board's clock follows it). */
      const tap = (ms: number): void => {
        if (board.button.pressed) return;
        controls.press();
        setTimeout(() => {
          controls.release();
          refresh();
        }, ms);
      };
      process.stdin.setRawMode(true);
      process.stdin.setEncoding("utf8");
      process.stdin.on("data", (key: string) => {
        if (key === "q" || key === "\u0003") return void stop(0);
        if (key === " " || key === "\r" || key === "\n") tap(SHORT_PRESS);
        else if (key === "l") tap(longPress + 300);
        else if (key === "r") controls.reboot();
        else if (key === "p") controls.power(!board.powered);
        refresh();
      });
    }
  }
  board.clock.startRealTime();
  // flashed as the flash tool does: the firmware's Storage modules (built beside the bundle), then the bundle
  for (const name of Object.keys(modules)) flash.set(name, modules[name]);
  board.boot(bundle);
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  const limit = opts.timeout !== undefined ? opts.timeout : opts.exitAfter;
  if (limit !== undefined) setTimeout(() => void stop(opts.exitOn && opts.timeout !== undefined ? 1 : 0), limit * 1000 - (Date.now() - started));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
