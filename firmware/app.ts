// The device's states: configure → WiFi → pairing → paired → re-pair. The screens are the
// display's; this says which one is up, and feeds presses to whatever is running. It owns
// the board's life around the pairing: the telnet console, WiFi (join, time-out, back-off,
// drops), and the button (debounced; short press, or a hold with its progress on screen).
import { createDisplay } from "./display/display";
import type { Screen } from "./display/screens";
import type { Panel } from "./display/ssd1306";
import { createPairing, type Pairing } from "./pairing/flow";
import { canVerify, defaultRoots } from "./net/tls";
import { parseUrl } from "./net/url";
import type { BoardConfig } from "./store/config";
import { bootMinFree, needsCompaction, ROOM_FOR_SAVE } from "./store/room";
import { forgetToken, loadToken, saveToken } from "./store/token";

/** A press held at least this long (ms) shows the hold screen; a shorter one is a short press. */
export const HOLD_SHOWN = 600;
/** The hold screen's bar moves every this many ms. */
const HOLD_FRAME = 200;
/** After a completed hold the hold screen stays this long (ms), or until the button is let go. */
const HOLD_DONE = 1000;
/** A join that has not succeeded in this long (ms) is given up and tried again later. */
export const JOIN_TIMEOUT = 20000;
/** Waits between WiFi attempts grow from this (ms) to WIFI_RETRY_CAP. */
export const WIFI_RETRY = 5000;
export const WIFI_RETRY_CAP = 60000;
/** The screen's clock ticks every second: countdowns and the code's bar move with it. */
const TICK = 1000;
/** The splash (name and version) stays this long (ms) before the device goes on. */
export const SPLASH = 1500;

/** What the app does with the panel: the device's screen, and the hold screen over it. */
interface Ui {
  show(s: Screen): void;
  /** The hold screen over the device's (null: none), `held` seconds into the hold. */
  hold(s: Screen | null, held: number): void;
  /** seconds since boot: the device's clock for the screens */
  clock(): number;
}

export function startApp(panel: Panel, version: string, config: BoardConfig): void {
  // The ESP32 build starts a telnet console (port 23, no password) at every boot, as soon as
  // WiFi is up: anyone on the network could type into the interpreter. Off unless asked for.
  if (!config.telnet) require("TelnetServer").setOptions({ mode: "off" });
  const display = createDisplay(panel);
  /** seconds since boot, counted by the screen's tick: the device's own clock for the screens */
  let now = 0;
  /** the last screen told to the console: its kind and texts */
  let told = "";
  let screen: Screen = { kind: "splash", version: version };
  let over: Screen | null = null;
  let overAt = 0;
  const draw = (): void => {
    display.show(over || screen, over ? overAt : now);
  };
  const tell = (s: Screen): void => {
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
  const ui: Ui = {
    show: (s: Screen): void => {
      screen = s;
      if (over) return;
      draw();
      tell(s);
    },
    hold: (s: Screen | null, held: number): void => {
      over = s;
      overAt = held;
      draw();
      tell(over || screen);
    },
    clock: () => now,
  };
  draw();
  tell(screen);
  setInterval(() => {
    now++;
    draw();
  }, TICK);

  setTimeout(() => run(config, ui), SPLASH);
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

function run(config: BoardConfig, ui: Ui): void {
  const storage = require("Storage");
  const trust = trustOf(config);
  const provider = config.provider;
  if (config.problem || !provider) ui.show({ kind: "setup", problem: config.problem });
  for (let i = 0; i < config.report.length; i++) console.log("codepair: config: " + config.report[i]);
  if (config.problem || !provider) return;
  const network = config.wifi.ssid;

  // Storage compacted when the firmware chooses, under a screen that asks to keep the power
  // on (store/room.ts), not inside a token write
  const compacting: Screen = { kind: "compacting" };
  if (needsCompaction(storage, bootMinFree(storage))) {
    ui.show(compacting);
    storage.compact();
  }
  /** before a token write: over whatever is on the screen, for as long as it takes */
  const tidy = (): void => {
    if (!needsCompaction(storage, ROOM_FOR_SAVE)) return;
    ui.hold(compacting, 0);
    storage.compact();
    ui.hold(null, 0);
  };

  // ---- WiFi state, and the screen it would show ----
  let online = false;
  /** the pairing keeps the screen while offline (a code still good, or a screen waiting for a press) */
  let pairingHolds = false;
  let wifiScreen: Screen = { kind: "wifi", network: network };
  const wifiShow = (s: Screen): void => {
    wifiScreen = s;
    if (!pairingHolds) ui.show(s);
  };

  const pairing: Pairing = createPairing({
    provider: provider,
    http: { ca: trust },
    show: (s: Screen | null): void => {
      if (s) return ui.show(s);
      pairingHolds = false;
      ui.show(wifiScreen);
    },
    now: ui.clock,
    wall: () => getTime(),
    loadToken: () => loadToken(storage, provider.name, provider.clientId),
    saveToken: (r) => {
      tidy();
      return saveToken(storage, r);
    },
    forgetToken: () => forgetToken(storage),
  });

  // ---- WiFi: join with a time-out, retry with growing waits; a drop pauses the pairing ----
  const wifi: WifiModule = require("Wifi");
  let wifiWait = WIFI_RETRY;
  /** the current join attempt: word of an older one is ignored */
  let attempt = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const joined = (mine: number, err: string | null): void => {
    if (mine !== attempt || online) return;
    attempt++;
    if (err) {
      wifiShow({ kind: "wifi-failed", network: network, retryAt: ui.clock() + wifiWait / 1000 });
      retry = setTimeout(join, wifiWait);
      wifiWait = Math.min(wifiWait * 2, WIFI_RETRY_CAP);
      return;
    }
    online = true;
    pairingHolds = false;
    wifiWait = WIFI_RETRY;
    pairing.begin();
  };
  const join = (): void => {
    retry = undefined;
    const mine = ++attempt;
    wifiShow({ kind: "wifi", network: network });
    let give: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
      give = undefined;
      // the station may still be trying: stop it before the next attempt
      if (mine === attempt) wifi.disconnect();
      joined(mine, "timeout");
    }, JOIN_TIMEOUT);
    wifi.connect(network, { password: config.wifi.password }, (err: string | null) => {
      if (give !== undefined) clearTimeout(give);
      give = undefined;
      joined(mine, err);
    });
  };
  wifi.on("disconnected", () => {
    if (!online) return;
    online = false;
    pairingHolds = pairing.pause();
    join();
  });

  // ---- the button: a short press does what the screen offers; a hold re-pairs ----
  const pin = config.button.pin;
  const longPress = config.button.longPress;
  const holdScreen: Screen = { kind: "hold", startedAt: 0, holdFor: longPress / 1000 };
  /** getTime() of the press, or -1 while the button is up */
  let downAt = -1;
  let frames: ReturnType<typeof setInterval> | undefined;
  let whole: ReturnType<typeof setTimeout> | undefined;
  const endFrames = (): void => {
    if (frames !== undefined) clearInterval(frames);
    frames = undefined;
  };
  const shortPress = (): void => {
    // WiFi failed: try again now
    if (retry !== undefined) {
      clearTimeout(retry);
      return join();
    }
    pairing.press();
  };
  // a button between the pin and ground reads high when up: the ESP32's own pull-up holds it
  // there (GPIO 0 has one on the board too)
  pinMode(pin, "input_pullup");
  setWatch(
    (e: { state: boolean; time: number }) => {
      // the boot button (D0) is NEGATED in the ESP32 board file: its watch state is true when
      // pressed; another pin is pulled low by the button
      const down = pin === 0 ? e.state : !e.state;
      if (down) {
        if (downAt >= 0) return;
        downAt = e.time;
        frames = setInterval(() => {
          const held = getTime() - downAt;
          if (held * 1000 >= HOLD_SHOWN) ui.hold(holdScreen, held);
        }, HOLD_FRAME);
        whole = setTimeout(() => {
          whole = undefined;
          endFrames();
          ui.hold(holdScreen, longPress / 1000);
          // forget the token; a new pairing starts now, or when WiFi is back
          pairing.repair();
          setTimeout(() => {
            // unless a new hold has begun meanwhile
            if (frames === undefined && whole === undefined) ui.hold(null, 0);
          }, HOLD_DONE);
        }, longPress);
        return;
      }
      if (downAt < 0) return;
      const held = e.time - downAt;
      downAt = -1;
      endFrames();
      ui.hold(null, 0);
      if (whole === undefined) return; // the hold was completed
      clearTimeout(whole);
      whole = undefined;
      // let go early: a short press, or a hold cancelled
      if (held * 1000 < HOLD_SHOWN) shortPress();
    },
    pin,
    { repeat: true, edge: "both", debounce: 50 },
  );

  join();
}
