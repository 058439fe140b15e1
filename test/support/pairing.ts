// Driving the simulated device through a pairing over real loopback HTTP on the board's own
// clock: timers run in order, and between them the test waits (in real time) until every
// request the firmware made has been answered, or is being held by the mock on purpose.
import { CONFIG_FILE } from "../../firmware/store/config.ts";
import { Board } from "../../host-sim/board.ts";
import { startMockProviders, type MockOptions, type MockProviders, type ProviderKind } from "../../host-sim/providers/index.ts";
import { Flash } from "../../host-sim/storage.ts";
import { mockConfig, screenOf, SIM_NETWORK } from "../../host-sim/cli.ts";
import { flashModules, flashedBundle } from "./firmware.ts";
import { crc32 } from "node:zlib";
import { TOKEN_SLOTS } from "../../firmware/store/token.ts";

/**
 * The newest whole token record in flash, as the device reads it (two slots, each the
 * record's JSON text with its sequence number, then its CRC-32 as 8 hex digits): the text
 * without the CRC, or undefined when neither slot holds a whole one. Written here apart from
 * the firmware's reader, with Node's CRC-32.
 */
export function keptToken(flash: Flash): string | undefined {
  let best: { seq: number; text: string } | undefined;
  for (const name of TOKEN_SLOTS) {
    const data = flash.get(name);
    if (!data || data.length < 9) continue;
    const text = data.slice(0, -8);
    if (crc32(Buffer.from(text, "latin1")).toString(16).padStart(8, "0") !== data.slice(-8)) continue;
    const seq = (JSON.parse(text) as { seq: number }).seq;
    if (!best || seq > best.seq) best = { seq, text };
  }
  return best && best.text;
}

/** Whether flash holds no token slot at all. */
export function noTokenSlots(flash: Flash): boolean {
  return TOKEN_SLOTS.every((name) => flash.get(name) === undefined);
}

export interface ScreenLine {
  at: number;
  screen: string;
  texts: string[];
}

export interface Device {
  board: Board;
  mock: MockProviders;
  kind: ProviderKind;
  /** Screens the firmware told its console, with the board time (ms) of each. */
  screens: ScreenLine[];
  /** Requests as the board made them: board time (ms), method, URL, status. */
  requests(): { at: number; method: string; url: string; status: number | undefined; error?: string }[];
  /** Runs the board's clock `ms` on, HTTP settled between timers. */
  run(ms: number): Promise<void>;
  /** Runs until the firmware shows `screen` (at most `limitMs` of board time); returns it. */
  until(screen: string, limitMs?: number): Promise<ScreenLine>;
  /** The screen shown now. */
  current(): ScreenLine | undefined;
  close(): Promise<void>;
}

/** Waits (real time) until no request of the board is open, except the ones the server holds on purpose. */
export async function settle(board: Board, mock: { held(): number }): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (board.net.inFlight <= mock.held()) {
      // a reply that just ended may queue more board work: one more turn of Node's loop
      await new Promise((r) => setImmediate(r));
      if (board.net.inFlight === 0) return;
      // the server may still count a socket the device has just closed (a request it gave
      // up on) as held: give its close a moment to arrive before trusting the count
      if (board.net.inFlight <= mock.held()) await new Promise((r) => setTimeout(r, 5));
      if (board.net.inFlight <= mock.held()) return;
    }
    if (Date.now() - started > 10000) throw new Error(`HTTP did not settle: ${board.net.inFlight} in flight, ${mock.held()} held`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Runs the board's timers in order up to board time `end` (ms), HTTP settled before each and
 * after the last, until `done()` holds. True if it did; false when the time or the timers ran out.
 */
export async function drive(board: Board, server: { held(): number }, end: number, done: () => boolean): Promise<boolean> {
  for (;;) {
    await settle(board, server);
    if (done()) return true;
    const due = board.clock.nextDue();
    if (due === undefined || due > end) return false;
    board.advance(Math.max(0, due - board.clock.now));
  }
}

export interface DeviceOptions {
  kind: ProviderKind;
  mock?: MockProviders;
  mockOptions?: MockOptions;
  /** extra config fields over the mock's */
  config?: Record<string, unknown>;
  flash?: Flash;
}

/** A board configured for a mock provider (started here unless given), booted. */
export async function startDevice(o: DeviceOptions): Promise<Device> {
  const board = new Board({ flash: o.flash });
  const mock = o.mock || (await startMockProviders(Object.assign({ now: () => board.clock.now }, o.mockOptions)));
  const config = Object.assign(mockConfig(o.kind, mock.base(o.kind)), o.config || {});
  const device = await bootDevice(board, config, mock, !o.flash);
  device.kind = o.kind;
  const close = device.close;
  device.close = async () => {
    await close();
    if (!o.mock) await mock.close();
  };
  return device;
}

/**
 * Boots `board` with `config` written to its flash (unless keepFlash), WiFi up; `server.held()`
 * as for settle(). `code`: the bundle to run (default: the one built from the sources).
 */
export async function bootDevice(board: Board, config: Record<string, unknown>, server: { held(): number }, writeConfig = true, code?: string): Promise<Device> {
  const mock = server as MockProviders;
  if (writeConfig) board.flash.set(CONFIG_FILE, JSON.stringify(config));
  board.wifi.networks[SIM_NETWORK.ssid] = SIM_NETWORK.password;
  const screens: ScreenLine[] = [];
  board.console.onLine = (line) => {
    const s = screenOf(line);
    if (s) screens.push({ at: board.clock.now, screen: s.screen, texts: s.texts });
  };
  await flashModules(board.flash);
  board.boot(code === undefined ? await flashedBundle() : code);
  const device: Device = {
    board,
    mock,
    kind: "simkl",
    screens,
    requests: () => board.net.log.map((e) => ({ at: e.at, method: e.method, url: e.url, status: e.status, error: e.error })),
    async run(ms: number) {
      const end = board.clock.now + ms;
      await drive(board, mock, end, () => false);
      board.advance(end - board.clock.now);
      await settle(board, mock);
    },
    async until(screen: string, limitMs = 3600000) {
      const from = screens.length;
      const hit = () => screens.slice(from).find((s) => s.screen === screen);
      if (!(await drive(board, mock, board.clock.now + limitMs, () => !!hit()))) {
        throw new Error(`no "${screen}" screen; screens: ${screens.map((s) => s.screen).join(", ")}`);
      }
      return hit()!;
    },
    current: () => screens[screens.length - 1],
    async close() {
      board.powerOff();
    },
  };
  return device;
}
