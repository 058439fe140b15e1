// The board's side of the device's life (life.ts, where every state and transition is): the
// display and the console line of each screen, the clock, the telnet console, WiFi, Storage
// and the button, each wired to the life's events and effects.
import { createDisplay } from "./display/display";
import type { Screen } from "./display/screens";
import type { Panel } from "./display/ssd1306";
import { boot, type Life, type LifeHost } from "./life";
import type { HttpOptions } from "./net/http";
import { canVerify, defaultRoots } from "./net/tls";
import { parseUrl } from "./net/url";
import type { BoardConfig } from "./store/config";
import { withStore } from "./store/use";

export { HOLD_SHOWN, JOIN_TIMEOUT, SPLASH, WIFI_RETRY, WIFI_RETRY_CAP } from "./life";

/** The screen's clock ticks every second: countdowns and the code's bar move with it. */
const TICK = 1000;

export function startApp(panel: Panel, version: string, config: BoardConfig): void {
  // The ESP32 build starts a telnet console (port 23, no password) at every boot, as soon as
  // WiFi is up: anyone on the network could type into the interpreter. Off unless asked for.
  if (!config.telnet) require("TelnetServer").setOptions({ mode: "off" });
  const display = createDisplay(panel);
  const storage = require("Storage");
  const provider = config.provider;
  /** seconds since boot, counted by the screen's tick: the device's own clock for the screens */
  let now = 0;
  /** the last screen told to the console: its kind and texts */
  let told = "";
  /** what a request trusts over TLS: known at the splash's end (trustOf) */
  const http: HttpOptions = {};
  let life: Life | null = null;
  /** The display, and the console line of each change of screen: the life's render() is the one caller. */
  const show = (s: Screen, at: number): void => {
    display.show(s, at);
    // one console line a change of screen, naming it and its texts (never a secret: a
    // screen holds none), for the serial log and the simulator's headless mode
    const texts: string[] = [];
    const fields = Object.keys(s);
    for (let k = 0; k < fields.length; k++) {
      const v = (s as any)[fields[k]];
      if (fields[k] !== "kind" && typeof v === "string" && v) texts.push(v);
    }
    const line = JSON.stringify({ screen: s.kind, texts: texts });
    if (line !== told) {
      told = line;
      console.log(line);
    }
  };
  setInterval(() => {
    now++;
    if (life) life.render();
  }, TICK);
  boot(
    show,
    version,
    // at the splash's end
    (): LifeHost => {
      http.ca = trustOf(config);
      return {
        provider: provider,
        http: http,
        wifi: config.wifi,
        button: config.button,
        version: version,
        problem: config.problem,
        report: config.report,
        show: show,
        now: () => now,
        wall: getTime,
        loadToken: () => (provider ? withStore((s) => s.loadToken(storage, provider.name, provider.clientId)) : null),
        saveToken: (r) => withStore((s) => s.saveToken(storage, r)),
        forgetToken: () => withStore((s) => s.forgetToken(storage)),
        storage: storage,
      };
    },
    (l: Life): void => {
      life = l;
    },
  );
}

/**
 * What the device trusts over TLS: the config's `ca`, else the default roots, on an interpreter
 * that verifies; "" (nothing) on one that does not. Tells the console what that means, and makes
 * a `ca` that cannot be checked a setup problem.
 */
function trustOf(config: BoardConfig): string | (() => string) {
  const verifies = canVerify();
  const https = config.provider ? parseUrl(config.provider.device) : null;
  if (!verifies && config.ca && !config.problem) {
    // the user asked for a check this interpreter cannot make
    config.problem = "ca set, but this Espruino cannot verify";
    config.report.push(config.problem + ": flash the codepair image (README, Security notes) or remove ca");
  }
  if (!verifies && https && https.https) {
    console.log("codepair: TLS: this Espruino verifies no certificate: " + https.host + " is not authenticated (flash the codepair image)");
  }
  if (!verifies) return "";
  // the default roots as a function: the interpreter calls it for each connection
  // (decode_certificate_var), so their 7.5 KB exist only while a handshake needs them
  return config.ca || defaultRoots;
}

