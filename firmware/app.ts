// The device's states: configure → WiFi → pairing → paired → re-pair. The screens are the
// display's; this says which one is up, and feeds presses to whatever is running.
import { createDisplay } from "./display/display";
import type { Screen } from "./display/screens";
import type { Panel } from "./display/ssd1306";
import { createPairing, type Pairing } from "./pairing/flow";
import type { BoardConfig } from "./store/config";
import { forgetToken, loadToken, saveToken } from "./store/token";

/** A press held this long (ms) forgets the token and pairs again. */
export const LONG_PRESS = 3000;
/** Waits between WiFi attempts grow from this (ms) to WIFI_RETRY_CAP. */
const WIFI_RETRY = 5000;
const WIFI_RETRY_CAP = 60000;
/** The screen's clock ticks every second: countdowns and the code's bar move with it. */
const TICK = 1000;
/** The splash (name and version) stays this long (ms) before the device goes on. */
export const SPLASH = 1500;

export function startApp(panel: Panel, version: string, config: BoardConfig): void {
  const display = createDisplay(panel);
  /** seconds since boot, counted by the screen's tick: the device's own clock for the screens */
  let now = 0;
  /** the last screen told to the console: its kind and texts */
  let told = "";
  let screen: Screen = { kind: "splash", version: version };
  const show = (s: Screen): void => {
    screen = s;
    display.show(s, now);
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
  show(screen);
  setInterval(() => {
    now++;
    display.show(screen, now);
  }, TICK);

  setTimeout(() => run(config, show, () => now), SPLASH);
}

function run(config: BoardConfig, show: (s: Screen) => void, clock: () => number): void {
  const storage = require("Storage");
  const provider = config.provider;
  if (config.problem || !provider) {
    show({ kind: "setup", problem: config.problem });
    console.log("codepair: config: " + config.problem);
    return;
  }

  const pairing: Pairing = createPairing({
    provider: provider,
    http: { ca: config.ca },
    show: show,
    now: clock,
    loadToken: () => loadToken(storage, provider.name, provider.clientId),
    saveToken: (r) => saveToken(storage, r),
    forgetToken: () => forgetToken(storage),
  });

  let online = false;

  // ---- the button: short press → what the screen offers; held LONG_PRESS → re-pair ----
  let held: ReturnType<typeof setTimeout> | undefined;
  setWatch(
    (e: { state: boolean }) => {
      // the boot button (D0) is NEGATED in the ESP32 board file: its watch state is true when pressed;
      // another pin is pulled low by the button
      const down = config.button === 0 ? e.state : !e.state;
      if (down) {
        if (held !== undefined) clearTimeout(held);
        held = setTimeout(() => {
          held = undefined;
          if (online) pairing.repair();
        }, LONG_PRESS);
      } else if (held !== undefined) {
        clearTimeout(held);
        held = undefined;
        if (online) pairing.press();
      }
    },
    config.button,
    { repeat: true, edge: "both", debounce: 50 },
  );

  // ---- WiFi ----
  const wifi: WifiModule = require("Wifi");
  let wifiWait = WIFI_RETRY;
  const join = (): void => {
    show({ kind: "wifi", network: config.wifi.ssid });
    wifi.connect(config.wifi.ssid, { password: config.wifi.password }, (err: string | null) => {
      if (online) return;
      if (err) {
        show({ kind: "wifi-failed", network: config.wifi.ssid, retryAt: clock() + wifiWait / 1000 });
        setTimeout(join, wifiWait);
        wifiWait = Math.min(wifiWait * 2, WIFI_RETRY_CAP);
        return;
      }
      online = true;
      wifiWait = WIFI_RETRY;
      pairing.begin();
    });
  };
  wifi.on("disconnected", () => {
    if (!online) return;
    online = false;
    pairing.stop();
    join();
  });
  join();
}
