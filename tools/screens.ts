// The README's screen pictures, from the device itself: the firmware bundle on the simulated
// board, driven into each state through its inputs only (its config and flash, the simulated
// WiFi, the mock providers over loopback HTTP, the button), on the board's own clock. Each
// picture is the panel at that moment. `npm run screens` writes docs/screens/*.png (both
// panels); test/screens.test.ts fails when a picture differs from what the firmware draws.
//
// Nothing here makes a Screen: what a picture shows is what the firmware chose to draw. The
// mock providers are told what a real provider would say (their public address in the links,
// and the user code, which is random otherwise) so that every run draws the same pixels:
// the board's clock starts at 0 at power-up and moves only when a scenario moves it.
//
//   npm run screens                   # builds dist/firmware.js, writes every picture
//   npm run screens -- paired wifi    # only these (both panels)
//   npm run screens -- --bundle FILE  # another bundle
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { flashForm } from "../build.mjs";
import { Board } from "../host-sim/board.ts";
import { mockConfig, type SimProvider } from "../host-sim/cli.ts";
import { startEdge, type Edge } from "../host-sim/providers/edge.ts";
import { startMockProviders, type MockOptions, type MockProviders, type ProviderKind } from "../host-sim/providers/index.ts";
import { issueServerCert, makeTestCa } from "../host-sim/tls-certs.ts";
import { toPng } from "../host-sim/render.ts";
import { Flash } from "../host-sim/storage.ts";
import { bootDevice, settle, type Device } from "../test/support/pairing.ts";
import { SCREEN_SCALE, screenPath } from "../test/support/screens.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * What each mock names in its links, as the real provider does: Simkl's own page, and a Kinde
 * business and an Auth0 tenant called "codepair" (the device talks to the mock on loopback).
 */
export const PUBLIC_BASE: Record<ProviderKind, string> = {
  simkl: "https://simkl.com",
  kinde: "https://codepair.kinde.com",
  auth0: "https://codepair.auth0.com",
};

/** The network the pictures' device joins. */
const HOME = { ssid: "HomeNetwork", password: "correct horse" };

/** What a scenario starts from. */
interface Setup {
  /** the mock provider the device pairs with (default simkl) */
  provider?: SimProvider;
  /** fields over mockConfig's (undefined drops one) */
  config?: Record<string, unknown>;
  mock?: MockOptions;
  /** the user codes the mock issues first */
  codes?: string[];
  /** the access point is not in range */
  noWifi?: boolean;
  /** prepares flash before power-up (its config is written after) */
  flash?: (flash: Flash) => void;
  /**
   * The provider under this name, over HTTPS, as a real one is reached: the board's DNS
   * resolves it to loopback, where an edge with a certificate for it (from a test CA made now,
   * the device's `ca`) stands in front of the mock; the board is the codepair image, which
   * names the server and verifies it (as `npm start -- --tls` does).
   */
  host?: string;
}

interface Scenario {
  /** the screen the firmware names on its console at that moment (`--exit-on` takes the same names) */
  screen: string;
  setup: Setup;
  /**
   * Drives the booted device to the state; returns the panel at that moment, or undefined
   * for the panel as it is when the drive ends.
   */
  drive(d: Device, shot: Shooter): Promise<Shot | undefined>;
}

/** The panel captured while the firmware is busy (a compaction): set by setup, read by drive. */
interface Shooter {
  taken: Shot | undefined;
}

/** A picture: the panel (width×height bytes, 1 = lit) and the screen the firmware named then. */
export interface Shot {
  pixels: Uint8Array;
  screen: string;
  texts: string[];
}

/** Approved at the mock as this person: the account name the paired screen shows. */
const ADA = "Ada Lovelace";

/** The code the device shows first. */
async function codeUp(d: Device): Promise<string> {
  return (await d.until("code", 60000)).texts[0];
}

/** A driver: the code on screen, then `ms` of the board's time. */
function codeFor(ms: number): (d: Device) => Promise<undefined> {
  return async (d) => {
    await codeUp(d);
    await d.run(ms);
    return undefined;
  };
}

/** Each picture's scenario, by the picture's name (docs/screens/<name>-128x<height>.png). */
export const SCENARIOS: Record<string, Scenario> = {
  // power-up: the splash is the first thing drawn, before any timer runs
  splash: { screen: "splash", setup: {}, drive: async () => undefined },
  setup: {
    screen: "setup",
    setup: { config: { clientId: undefined } },
    drive: async (d) => void (await d.until("setup", 10000)),
  },
  // the join takes a moment (the simulated radio's 1.5 s): the screen while it is tried
  wifi: { screen: "wifi", setup: {}, drive: async (d) => void (await d.until("wifi", 10000)) },
  // the network is not in range: each failed join waits longer (5, 10, 20 s); 8 s into the third wait
  "wifi-failed": {
    screen: "wifi-failed",
    setup: { noWifi: true },
    drive: async (d) => {
      for (let i = 0; i < 3; i++) await d.until("wifi-failed", 120000);
      await d.run(8000);
      return undefined;
    },
  },
  // no network in the config: WiFi set-up, the access point's QR code (its password from
  // E.hwRand, fixed here so that the picture stays the same), then its text page after a press
  "wifi-setup": { screen: "wifi-setup", setup: { config: { wifi: undefined } }, drive: (d) => setUpFor(d, false) },
  "wifi-setup-text": { screen: "wifi-setup", setup: { config: { wifi: undefined } }, drive: (d) => setUpFor(d, true) },
  // Simkl has not answered yet (the mock holds the reply)
  requesting: {
    screen: "requesting",
    setup: { host: "api.simkl.com" },
    drive: async (d) => {
      d.mock.provider("simkl").fault({ on: "start", kind: "hold" });
      await d.until("requesting", 60000);
      await settle(d.board, d.mock);
      return undefined;
    },
  },
  // Simkl gives no link to scan: the code alone, large; five minutes into its fifteen
  "code-simkl": {
    screen: "code",
    setup: { codes: ["ABCDE"] },
    drive: codeFor(300000),
  },
  // Kinde's verification_uri_complete in a QR code; 400 s into its 600 (the QR page is up)
  "code-kinde-qr": {
    screen: "code",
    setup: { provider: "kinde", codes: ["CSLDFDUU"] },
    drive: codeFor(400000),
  },
  // …and the link as text, the other page: a short press as soon as the code is up
  "code-kinde-text": {
    screen: "code",
    setup: { provider: "kinde", codes: ["CSLDFDUU"] },
    drive: async (d) => {
      await codeUp(d);
      await press(d, 100);
      return undefined;
    },
  },
  // Auth0's code comes in two groups of four; 320 s into its 900
  "code-oidc-qr": {
    screen: "code",
    setup: { provider: "auth0", codes: ["WDJB-MJHT"] },
    drive: codeFor(320000),
  },
  // a provider whose codes are nine characters long
  "code-nine-characters": {
    screen: "code",
    setup: { codes: ["K7QX2M9RT"] },
    drive: codeFor(300000),
  },
  // a provider whose codes are in lower case, which the code font has no glyphs for
  "code-lowercase": {
    screen: "code",
    setup: { codes: ["wdjb-mjht"] },
    drive: codeFor(300000),
  },
  // the poll five minutes in is answered slow_down
  "code-slow-down": {
    screen: "code",
    setup: { codes: ["ABCDE"] },
    drive: async (d) => {
      await codeUp(d);
      await d.run(295000);
      d.mock.provider("simkl").fault({ on: "poll", kind: "slow_down" });
      await d.run(5000);
      return undefined;
    },
  },
  // the poll ten minutes in is answered 503 by a gateway
  "code-network-trouble": {
    screen: "code",
    setup: { codes: ["ABCDE"] },
    drive: async (d) => {
      await codeUp(d);
      await d.run(595000);
      d.mock.provider("simkl").fault({ on: "poll", kind: "status", status: 503 });
      await d.run(5000);
      return undefined;
    },
  },
  // no reply to the request for a code: the device gives up waiting and counts down to the next try
  offline: {
    screen: "offline",
    setup: {},
    drive: async (d) => {
      d.mock.provider("simkl").fault({ on: "start", kind: "hold" });
      await d.until("offline", 60000);
      return undefined;
    },
  },
  // approved; the account's name is on its way (the mock holds that reply)
  approved: {
    screen: "approved",
    setup: {},
    drive: async (d) => {
      const code = await codeUp(d);
      d.mock.provider("simkl").fault({ on: "userinfo", kind: "hold" });
      d.mock.provider("simkl").approve(code, { who: ADA });
      await d.until("approved", 60000);
      await settle(d.board, d.mock);
      return undefined;
    },
  },
  paired: { screen: "paired", setup: {}, drive: (d) => pairedAs(d, ADA) },
  "paired-long-name": { screen: "paired", setup: {}, drive: (d) => pairedAs(d, "Augusta Ada King, Countess of Lovelace") },
  // Simkl has no denial: Kinde's
  denied: {
    screen: "denied",
    setup: { provider: "kinde" },
    drive: async (d) => {
      const code = await codeUp(d);
      await d.run(6000);
      d.mock.provider("kinde").deny(code);
      await d.until("denied", 60000);
      return undefined;
    },
  },
  // codes of one minute, none approved: three new ones by itself, then it waits for a press
  expired: {
    screen: "expired",
    setup: { mock: { expiresIn: 60 } },
    drive: async (d) => void (await d.until("expired", 600000)),
  },
  // the button held 1.25 s of the 3 (over the code): the press is taken 50 ms after the
  // contact closes (the debounce), and the hold screen's bar moves every 200 ms from then
  hold: {
    screen: "hold",
    setup: {},
    drive: async (d) => {
      await codeUp(d);
      d.board.button.press();
      await d.run(DEBOUNCE + 1200);
      return undefined;
    },
  },
  // …and held to the end
  "hold-complete": {
    screen: "hold",
    setup: {},
    drive: async (d) => {
      await codeUp(d);
      d.board.button.press();
      await d.run(DEBOUNCE + 3000);
      return undefined;
    },
  },
  // Storage near full of trash at power-up: compacted before anything else, under this screen
  compacting: {
    screen: "compacting",
    setup: {
      flash: (flash) => {
        const junk = flash.stats().freeBytes - 50000;
        flash.create("junk", junk);
        flash.erase("junk");
      },
    },
    drive: async (d, shot) => {
      await d.until("wifi", 10000);
      return shot.taken;
    },
  },
  // an error from the provider: an Auth0 tenant with no default audience, and none configured
  error: {
    screen: "error",
    setup: { provider: "auth0", config: { audience: undefined }, mock: { requireAudience: true } },
    drive: async (d) => void (await d.until("error", 60000)),
  },
};

/** The firmware's debounce of the button (app.ts's setWatch), ms: an edge is taken this long after it. */
const DEBOUNCE = 50;

/** The button down for `ms` of board time, then up, the device running meanwhile until the release is taken. */
async function press(d: Device, ms: number): Promise<void> {
  d.board.button.press();
  await d.run(ms);
  d.board.button.release();
  await d.run(DEBOUNCE);
}

/** Approved at the mock as `who`, then the paired screen with the account's name. */
async function pairedAs(d: Device, who: string): Promise<undefined> {
  const code = await codeUp(d);
  d.mock.provider("simkl").approve(code, { who });
  await d.until("paired", 60000);
  return undefined;
}

/** WiFi set-up with the access point up and its QR code drawn; `text`: its other page. */
async function setUpFor(d: Device, text: boolean): Promise<undefined> {
  let x = 1;
  d.board.hwRand = () => (x = (Math.imul(x, 1103515245) + 12345) | 0);
  await d.until("wifi-setup", 10000);
  // the scan (2 s), the access point, then the QR code built a step at a time
  await d.run(4000);
  if (text) {
    d.board.button.click();
    await d.run(200);
  }
  return undefined;
}

/** The panel in the scenario's state, on a 128×`height` panel: width×height bytes, 1 = lit. */
export async function shoot(name: string, height: 64 | 32, bundle: string): Promise<Shot> {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`no scenario "${name}": ${Object.keys(SCENARIOS).join(", ")}`);
  const s = scenario.setup;
  const flash = new Flash();
  const board = new Board({ flash, panel: { height } });
  const shot: Shooter = { taken: undefined };
  let device: Device | undefined;
  /** the panel now, and the screen the firmware named last */
  const now = (): Shot => {
    const last = device && device.current();
    return { pixels: new Uint8Array(board.screen()), screen: last ? last.screen : "", texts: last ? last.texts : [] };
  };
  if (s.flash) {
    s.flash(flash);
    // the panel as the firmware left it when Storage starts compacting
    const compact = flash.compact.bind(flash);
    flash.compact = () => {
      shot.taken = now();
      compact();
    };
  }
  const mock: MockProviders = await startMockProviders(Object.assign({ now: () => board.clock.now, publicBase: PUBLIC_BASE }, s.mock));
  let edge: Edge | undefined;
  try {
    const kind = s.provider || "simkl";
    const mockKind: ProviderKind = kind === "rfc8628" ? "kinde" : kind;
    if (s.codes) mock.provider(mockKind).issueNext(s.codes);
    let base = mock.base(mockKind);
    const tls: Record<string, unknown> = {};
    if (s.host) {
      const ca = makeTestCa("codepair screens test CA");
      const cert = issueServerCert(ca, [s.host]);
      edge = await startEdge({ host: s.host, key: cert.key, cert: cert.cert, backendPort: Number(new URL(base).port) });
      board.net.hosts[s.host] = "127.0.0.1";
      board.net.interpreter = "codepair";
      base = "https://" + s.host + ":" + edge.port + new URL(base).pathname;
      tls.ca = ca.cert;
    }
    const config: Record<string, unknown> = Object.assign(mockConfig(kind, base), { wifi: HOME }, tls, s.config || {});
    for (const k of Object.keys(config)) if (config[k] === undefined) delete config[k];
    if (height === 32) config.display = { height: 32 };
    if (!s.noWifi) board.wifi.networks[HOME.ssid] = HOME.password;
    device = await bootDevice(board, config, mock, true, bundle);
    device.kind = mockKind;
    const taken = await scenario.drive(device, shot);
    if (board.uncaught.length) throw new Error(`${name}: the firmware threw: ${String(board.uncaught[0])}`);
    return taken || now();
  } finally {
    if (device) await device.close();
    if (edge) await edge.close();
    await mock.close();
  }
}

/** docs/screens/<name>-128x<height>.png */
export function pictureName(name: string, height: 64 | 32): string {
  return `${name}-128x${height}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let bundleFile = resolve(ROOT, "dist/firmware.js");
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--bundle") bundleFile = resolve(args[++i] || "");
    else if (SCENARIOS[args[i]]) names.push(args[i]);
    else throw new Error(`unknown picture "${args[i]}": ${Object.keys(SCENARIOS).join(", ")}`);
  }
  // as the device holds it: the flash form the flash tool writes
  const bundle = flashForm(readFileSync(bundleFile, "latin1")).toString("latin1");
  for (const name of names.length ? names : Object.keys(SCENARIOS)) {
    for (const height of [64, 32] as const) {
      const file = screenPath(pictureName(name, height));
      mkdirSync(dirname(file), { recursive: true });
      const shot = await shoot(name, height, bundle);
      if (shot.screen !== SCENARIOS[name].screen) throw new Error(`${name}: the device shows "${shot.screen}", not "${SCENARIOS[name].screen}"`);
      writeFileSync(file, toPng(shot.pixels, 128, height, { scale: SCREEN_SCALE }));
      console.log(file.slice(ROOT.length + 1));
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    console.error("screens: " + err.message);
    process.exit(1);
  });
}
