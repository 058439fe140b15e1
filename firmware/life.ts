// The device's life, written down once: the states it can be in, the events that move it,
// and for each pair the next state and what is done (the timers and requests it names). No
// other file changes the device's state or draws: app.ts wires the board's events to the
// functions below, and the screen is screenOf(state) (plus the hold overlay and the clock),
// drawn by render() and nowhere else.
//
// The events: the splash's end; WiFi up, failed (an error or JOIN_TIMEOUT), lost; the reply
// to a step (start, poll, refresh, account) with that step's verdict (pairing/profile.ts); a
// timer (the next step's, the code's deadline, the next WiFi attempt); a short press; a
// completed hold (the button is decoded at the end of this file: it puts the hold screen over
// the state's, and gives a short press or a completed hold).
//
// Written as one `switch` on the state per event (one function each: splashOver, wifiUp,
// wifiLost, due, expire, press, held; and the replies: started, polled, refreshed, named):
// the device's dialect has no cheaper readable table, and a data table would cost JsVars.
// A reply only comes to the state that sent its request, or to TlsFailed after a press sent
// it again: every change of course drops the replies in flight (stop(), drop()).
//
// HOW TO ADD A STATE
//  1. add it to `St` with a line saying what holds while in it, and a row to THE TABLE below;
//  2. give it its screen in screenOf();
//  3. in each event's function, add its `case` where it does something else than `default:`;
//  4. enter it with go(St.New) from the transitions that lead to it (and say so in the table).
//
// THE TABLE (state + event → next state: effects). "any": every state not named for that
// event. Effects: send X (a request), after T (the step timer), stop (drop replies in flight,
// the step timer and the code's deadline), drop (the same but the deadline), join (a WiFi
// attempt with a JOIN_TIMEOUT), store (the token to flash, compacting Storage first under
// the compacting screen when it would compact inside the write), forget (erase it).
//
//  (power-up)                                  → Splash (boot()): after SPLASH, splash over
//  Splash       splash over, config wrong      → Setup (nothing more happens)
//  Splash       splash over, no network (none flashed, none saved), or the button held → listen; WifiSetup: set up
//  NoWifi       a completed hold while a failed WiFi waits → WifiSetup: set up (the failed screen says so)
//  WifiSetup    a short press                  → (stays): the set-up screen's other page
//  WifiSetup    a completed hold               → (stays): nothing
//  WifiSetup    saved                          → NoWifi: join the new network
//  NoWifi       WiFi failed, the first join after set-up → WifiSetup: set up, saying why
//     set up: stop; the WiFi's retry stopped; set-up's code loaded (its own Storage module,
//             codepair-setup: none → the screen says to flash again) and its session
//             (setup/session.ts) started; its access point on screen once it is up. Saved: the
//             module dropped from require's cache, so its code leaves memory
//  Splash       splash over, Storage crowded   → Compacting: compact → NoWifi: listen (button, WiFi drops); join
//  Splash       splash over                    → NoWifi: listen (button, WiFi drops); join
//  any, no WiFi WiFi failed (error, JOIN_TIMEOUT) → (stays; NoWifi's screen counts down): after the WiFi wait
//                                                (5 s doubling to 60 s) join; the wait is 5 s again once WiFi is up
//  any          a short press while a failed WiFi waits → (stays): join now (the rows for a press below do not apply)
//  any          WiFi lost (only when it was up): the rows below, then join
//  Code         WiFi lost, code still good     → CodeNoWifi: drop (the deadline runs on)
//  Denied, Expired, Failed, TlsFailed  WiFi lost → (stay): drop
//  any          WiFi lost                      → NoWifi: stop
//  CodeNoWifi   WiFi up                        → Code: after the interval, poll
//  Denied, Expired, Failed, TlsFailed  WiFi up → (stay)
//  NoWifi       WiFi up, a token (in memory, else loaded from flash) → Paired: check
//  NoWifi       WiFi up, no token              → Requesting: send start (renewals afresh)
//  Requesting   start Code                     → Code: after the code's life − 1 s, deadline; after the interval, poll
//  Requesting   start Trouble                  → Offline: after the start wait (5 s doubling, or Retry-After), start
//  Requesting   start Refused                  → Failed "Provider said …" / words
//  Offline      timer, or a short press        → Requesting: stop; send start
//  Code         timer                          → (stays): send poll
//  Code         poll Pending, SlowDown, Trouble → (stays, a note for SlowDown/Trouble): after the pace's wait, poll;
//                                                but if the deadline passed while it was out: as "deadline" below
//  Code         poll Approved                  → Approved: stop; store (fails: Failed "Flash did not keep the token"); check
//  Code         poll Denied                    → Denied: stop
//  Code         poll Expired, Gone             → as "deadline", Gone ending in Failed "The code was dropped"
//  Code         poll Refused                   → Failed
//  Code         deadline, a poll out           → (stays): the poll's reply decides
//  Code         deadline                       → Requesting: send start (at most REFETCHES times in a row), else Expired
//  CodeNoWifi   deadline                       → NoWifi: stop
//  Code, CodeNoWifi  a short press             → (stays): the code screen's other page
//  Approved, Paired, Refreshing  account Named → Paired: store if the name changed; after ACCOUNT_EVERY or the refresh due, check
//  Approved, Paired, Refreshing  account Trouble → Paired: after the account wait, check
//  Approved, Paired, Refreshing  account Unauthorized → a token issued since the last Named: forget → Requesting; else refresh
//  Paired       timer                          → check
//     check: no token → Requesting; the token's refresh due → refresh; no account API → Paired, after …, check; else send account
//     refresh: no refresh token → forget → Requesting (NoWifi without WiFi); else stop, send refresh
//  Paired, Refreshing  refresh Renewed         → (stays): store; check
//  Paired, Refreshing  refresh Trouble         → RefreshOffline: after the account wait, refresh
//  Paired, Refreshing  refresh Refused         → forget → Requesting
//  RefreshOffline  timer, or a short press     → Refreshing: refresh
//  Denied, Expired, Failed  a short press      → Requesting (renewals afresh); without WiFi: NoWifi (it starts when WiFi is up)
//  any          a reply whose TLS handshake failed → TlsFailed "why" / "what to do": stop
//  TlsFailed    a short press                  → (stays): send the same request again; its reply as in the state that sent it;
//                                                without WiFi: NoWifi
//  any          a completed hold               → forget; Requesting, or NoWifi without WiFi (a new pairing when it is up)
//  any          anything else                  → (stays): nothing
import type { Screen } from "./display/screens";
import { request, type HttpOptions, type HttpReply, type HttpRequest } from "./net/http";
import { tlsTrouble } from "./net/tls";
import { parseUrl } from "./net/url";
import { ACCOUNT_EVERY, DEADLINE_MARGIN, keyOf, LONGEST_WAIT, MIN_REFRESH_EVERY, nextWait, reasonOf, REFETCHES, retryPace, type Pace } from "./pairing/flow";
import {
  Account,
  accountRequest,
  isBearerToken,
  Poll,
  pollRequest,
  readAccount,
  readPoll,
  readRefresh,
  readStart,
  Refresh,
  refreshRequest,
  Start,
  startRequest,
  type Grant,
  type Outcome,
  type Provider,
  type Tokens,
} from "./pairing/profile";
import { bootMinFree, needsCompaction, ROOM_FOR_SAVE } from "./store/room";
import type { TokenRecord } from "./store/token";
import type { startSetup, SetupSession } from "./setup/session";
import type { WifiChoice } from "./setup/form";

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
/** The splash (name and version) stays this long (ms) before the device goes on. */
export const SPLASH = 1500;

/** The Storage module that holds set-up's code (build.mjs's FIRMWARE_MODULES). */
const SETUP_MODULE = "codepair-setup";

/** Why a join failed, in words, from the ESP-IDF reason's name (or "timeout": JOIN_TIMEOUT). */
export function joinTrouble(err: string): string {
  if (err === "timeout") return "Time-out joining";
  if (err === "NO_AP_FOUND") return "Network not found";
  if (/AUTH|HANDSHAKE/.test(err)) return "Wrong password";
  return "Could not join";
}

/** The device's states. */
export const enum St {
  /** the name and version, for SPLASH ms */
  Splash,
  /** the config is missing or wrong: nothing more happens */
  Setup,
  /** WiFi set-up (setup/session.ts): the access point and the page up (`ap` once it is), until a network is saved */
  WifiSetup,
  /** Storage being compacted at boot (while it is, nothing else runs) */
  Compacting,
  /** no WiFi, and nothing of the pairing's on screen: the WiFi's (joining, or failed and waiting) */
  NoWifi,
  /** asking for a code: the start request out */
  Requesting,
  /** the start failed on the network: the next try at a time, or on a press */
  Offline,
  /** a code on screen, polled (a poll timer or a poll out); its deadline runs */
  Code,
  /** a code on screen while WiFi is down: nothing polled; its deadline runs */
  CodeNoWifi,
  /** the token is in flash; the first account check out */
  Approved,
  /** paired: the account looked at, and the token refreshed, from time to time */
  Paired,
  /** a refresh failed on the network: the next try at a time, or on a press */
  RefreshOffline,
  /** that refresh sent again (then the account check): the trouble's screen stays until the account answers */
  Refreshing,
  /** the person declined: waits for a press */
  Denied,
  /** the code ran out after the renewals: waits for a press */
  Expired,
  /** an error screen (`reason`, `hint`): a press starts a new pairing */
  Failed,
  /** a secure connection failed (`reason`, `hint`): a press sends the same request again */
  TlsFailed,
}

/** The requests, named for the reply's reader. */
const enum Step {
  Start,
  Poll,
  Refresh,
  Account,
}

/** What the life needs of the board. */
export interface LifeHost {
  /** null only with a setup problem */
  provider: Provider | null;
  http: HttpOptions;
  /** the config's */
  wifi: { ssid: string; password: string };
  button: { pin: number; longPress: number };
  version: string;
  /** the setup problem ("" none), and every line the console should have about the config */
  problem: string;
  report: string[];
  /** Draws `s` as it looks at `at` (seconds): the display, and its console line. */
  show(s: Screen, at: number): void;
  /** seconds since boot: the device's clock for the screens and every deadline */
  now(): number;
  /** getTime(): seconds, a real date once the clock has been set; a token's issue time */
  wall(): number;
  loadToken(): TokenRecord | null;
  /** false when flash did not keep it */
  saveToken(record: TokenRecord): boolean;
  forgetToken(): void;
  /** Sends a request; the default is net/http's. */
  send?: (r: HttpRequest, options: HttpOptions, done: (reply: HttpReply) => void) => void;
  /** require("Storage"): compacted when the firmware chooses (store/room.ts); none: never */
  storage: StorageModule | null;
  /** The WiFi; none: require("Wifi"), once the config is known to be good (a bad one joins nothing) */
  radio?: Radio;
  /** Starts a WiFi set-up; the default is setup/session.ts's */
  setup?: typeof startSetup;
}

export interface Life {
  /** The splash's end (SPLASH ms after power-up). */
  splashOver(): void;
  /** Draws the screen as it is now (the clock moved). */
  render(): void;
  wifiUp(): void;
  wifiLost(): void;
  /** A short press. */
  press(): void;
  /** A completed hold: forget the token, pair again. */
  held(): void;
  /** The button's contact, debounced: down or up, at getTime() `time`. */
  button(down: boolean, time: number): void;
}

type Timer = ReturnType<typeof setTimeout> | undefined;
/** What the life uses of require("Wifi"). */
type Radio = Pick<WifiModule, "connect" | "disconnect" | "on">;

/**
 * Power-up, in St.Splash: its screen now; at the splash's end (SPLASH ms) the life, made then
 * with `host()`, and given the splash's end. It is not made at power-up: run from text (as the
 * tests and the bench run the bundle) its functions cost about 900 JsVars, and at power-up the
 * bundle's text is in RAM twice, the peak of a boot (a config with a `ca` ran out of memory).
 */
export function boot(show: LifeHost["show"], version: string, host: () => LifeHost, made: (life: Life) => void): void {
  show({ kind: "splash", version: version }, 0);
  setTimeout(() => {
    const life = createLife(host());
    made(life);
    life.splashOver();
  }, SPLASH);
}

export function createLife(host: LifeHost): Life {
  const provider = host.provider as Provider;
  const transport = host.send || request;
  let state = St.Splash;

  // ---- the state's data ----
  /** WiFi is up */
  let online = false;
  let radio = host.radio as Radio;
  /** the next WiFi attempt's timer, while a failed one waits (its screen counts down to wifiAt) */
  let wifiRetry: Timer;
  let wifiAt = 0;
  let wifiWait = WIFI_RETRY;
  /** the current WiFi attempt: word of an older one is ignored */
  let attempt = 0;
  /** Replies to requests made before the last change of course are dropped. */
  let generation = 0;
  let inFlight = false;
  /** the next step's timer (poll, start or refresh again, check): `due` when it fires */
  let timer: Timer;
  let deadline: Timer;
  let expired = false;
  let grant: Grant | null = null;
  let codeEnds = 0;
  let page = 0;
  let note = "";
  let pace: Pace = { interval: 5000, backoff: 0 };
  let startPace = retryPace();
  let accountPace = retryPace();
  let refetches = 0;
  let record: TokenRecord | null = null;
  /** Whether flash holds `record` as it is (a failed write is tried again at the next check). */
  let saved = true;
  /** What flash holds, as keyOf() gives it ("" when not known): a record the same but for its time is not written again. */
  let kept = "";
  /** The access token came in since the account last accepted one: a 401 now is not cured by refreshing. */
  let fresh = false;
  /** When the access token was issued, s on the device's clock (at boot for a kept one). */
  let obtainedAt = 0;
  /** Offline, RefreshOffline, Refreshing: why, and when the next try is; Failed, TlsFailed, Setup: what, and what to do */
  let reason = "";
  let hint = "";
  let againAt = 0;
  /** TlsFailed: the request a press sends again, and its step */
  let resend: HttpRequest | null = null;
  let resendStep = Step.Start;
  /** over the state's screen: seconds into a hold (-1: none), Storage compacting */
  let holding = -1;
  let compacting = false;
  /** WifiSetup: the session once its access point is up; the join after a set-up (its failure goes back to set-up) */
  let ap: SetupSession | null = null;
  let afterSetup = false;
  /** set-up's module is in require's cache (removed once set-up is over) */
  let setupLoaded = false;

  // ---- the screen: a function of the state (and the overlays, and the clock) ----

  function screenOf(): Screen {
    switch (state) {
      // Splash: drawn by boot(), before the life is made
      case St.Setup:
        return { kind: "setup", problem: reason };
      case St.WifiSetup:
        return { kind: "wifi-setup", ap: ap ? { ssid: ap.ssid, password: ap.password, ip: ap.ip, qr: ap.qr } : null, reason: reason, page: page };
      case St.Compacting:
        return { kind: "compacting" };
      case St.Requesting: {
        const u = parseUrl(provider.device);
        return { kind: "requesting", host: u ? u.host : "" };
      }
      case St.Offline:
      case St.RefreshOffline:
      case St.Refreshing:
        return { kind: "offline", reason: reason, retryAt: againAt };
      case St.Code:
      case St.CodeNoWifi: {
        const g = grant as Grant;
        return {
          kind: "code",
          code: g.userCode,
          uri: g.uri,
          link: g.link,
          expiresAt: codeEnds,
          lifetime: g.expiresIn,
          page: page,
          note: state === St.CodeNoWifi ? "No WiFi: reconnecting" : note,
        };
      }
      case St.Approved:
        return { kind: "approved" };
      case St.Paired:
        return { kind: "paired", account: record ? record.account : "" };
      case St.Denied:
        return { kind: "denied" };
      case St.Expired:
        return { kind: "expired" };
      case St.Failed:
      case St.TlsFailed:
        return { kind: "error", reason: reason, hint: hint };
    }
    // NoWifi
    return wifiRetry !== undefined ? { kind: "wifi-failed", network: host.wifi.ssid, retryAt: wifiAt } : { kind: "wifi", network: host.wifi.ssid };
  }

  /** The one place that draws: the state's screen, under the compacting or the hold screen. */
  function render(): void {
    if (compacting) host.show({ kind: "compacting" }, 0);
    else if (holding >= 0) host.show({ kind: "hold", startedAt: 0, holdFor: host.button.longPress / 1000, setup: holdSets }, holding);
    else host.show(screenOf(), host.now());
  }

  function go(s: St): void {
    // set-up's code leaves memory whenever set-up is left (loaded again if it comes back)
    if (s !== St.WifiSetup && setupLoaded) {
      Modules.removeCached(SETUP_MODULE);
      setupLoaded = false;
    }
    state = s;
    render();
  }

  // ---- effects: timers, requests, flash ----

  /** Storage would compact inside a write soon: at boot, or before a token write. */
  function crowded(atBoot: boolean): boolean {
    const storage = host.storage;
    return !!storage && needsCompaction(storage, atBoot ? bootMinFree(storage) : ROOM_FOR_SAVE);
  }

  /** Drops every reply in flight and the step timer; the code's deadline runs on. */
  function drop(): void {
    generation++;
    inFlight = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  function stop(): void {
    drop();
    if (deadline !== undefined) clearTimeout(deadline);
    deadline = undefined;
  }

  /** The step timer: `due` in `ms`. */
  function after(ms: number): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        due();
      },
      // NaN and negatives are "now"; setTimeout throws on a wait too long
      ms > 0 ? Math.min(ms, LONGEST_WAIT) : 0,
    );
  }

  function send(step: Step, r: HttpRequest): void {
    const g = generation;
    inFlight = true;
    transport(r, host.http, (reply) => {
      if (g !== generation) return;
      inFlight = false;
      const tls = reply.status === 0 ? tlsTrouble(reply.error) : null;
      if (tls) {
        stop();
        reason = tls.reason;
        hint = tls.hint;
        resend = r;
        resendStep = step;
        return go(St.TlsFailed);
      }
      try {
        replied(step, reply);
      } catch (err) {
        // a reply the life could not handle must not stop it (an uncaught error in a timer
        // ends that chain of timers for good): it counts as no reply, which is retried later
        if (g === generation) replied(step, { status: 0, error: "bad reply", retryAfter: -1, body: null });
      }
    });
  }

  function replied(step: Step, reply: HttpReply): void {
    if (step === Step.Start) return started(readStart(provider, reply));
    if (step === Step.Poll) return polled(readPoll(provider, reply));
    if (step === Step.Refresh) return refreshed(readRefresh(reply));
    named(readAccount(reply));
  }

  /**
   * Writes the record to flash unless flash holds it already: every write appends to Storage
   * and brings its compaction nearer, so an account check that changes nothing, or a refresh
   * that brings back the same tokens, writes nothing (the issue time is then not updated: after
   * a reboot the token only looks older, and is refreshed sooner).
   */
  function store(r: TokenRecord): boolean {
    const key = keyOf(r);
    if (key === kept) return true;
    if (crowded(false)) {
      compacting = true;
      render();
      (host.storage as StorageModule).compact();
      compacting = false;
      render();
    }
    const ok = host.saveToken(r);
    kept = ok ? key : "";
    return ok;
  }

  /** A WiFi attempt, given up after JOIN_TIMEOUT. */
  function join(): void {
    if (wifiRetry !== undefined) clearTimeout(wifiRetry);
    wifiRetry = undefined;
    const mine = ++attempt;
    render();
    let give: Timer = setTimeout(() => {
      give = undefined;
      // the station may still be trying: stop it before the next attempt
      if (mine === attempt) radio.disconnect();
      joined(mine, "timeout");
    }, JOIN_TIMEOUT);
    radio.connect(host.wifi.ssid, { password: host.wifi.password }, (err) => {
      if (give !== undefined) clearTimeout(give);
      give = undefined;
      joined(mine, err);
    });
  }

  function joined(mine: number, err: string | null): void {
    if (mine !== attempt || online) return;
    attempt++;
    if (!err) {
      afterSetup = false;
      return wifiUp();
    }
    if (afterSetup) {
      // the network just saved did not take: set-up again, saying why
      afterSetup = false;
      if (setUp(host.wifi.ssid + ": " + joinTrouble(err))) return;
    }
    // WiFi failed: the next attempt after the wait (its screen counts down); a press: now
    wifiAt = host.now() + wifiWait / 1000;
    wifiRetry = setTimeout(join, wifiWait);
    wifiWait = Math.min(wifiWait * 2, WIFI_RETRY_CAP);
    render();
  }

  // ---- the transitions ----

  function splashOver(): void {
    reason = host.problem;
    if (reason) go(St.Setup);
    for (let i = 0; i < host.report.length; i++) console.log("codepair: config: " + host.report[i]);
    if (reason) return;
    // no network in the config, nor one saved by a set-up: set-up from a phone
    const noNetwork = !host.wifi.ssid;
    if (crowded(true)) {
      go(St.Compacting);
      (host.storage as StorageModule).compact();
    }
    state = St.NoWifi;
    radio = host.radio || require("Wifi");
    radio.on("disconnected", wifiLost);
    const pin = host.button.pin;
    // a button between the pin and ground reads high when up: the ESP32's own pull-up holds it
    // there (GPIO 0 has one on the board too)
    pinMode(pin, "input_pullup");
    setWatch(
      // the boot button (D0) is NEGATED in the ESP32 board file: its watch state is true when
      // pressed; another pin is pulled low by the button
      (e: { state: boolean; time: number }) => button(pin === 0 ? e.state : !e.state, e.time),
      pin,
      { repeat: true, edge: "both", debounce: 50 },
    );
    // the button held down at the splash's end (pressed after power-up: at reset GPIO 0 low is
    // the ROM's download mode) asks for set-up, as does a config without a network
    const v = digitalRead(pin);
    if ((noNetwork || (pin === 0 ? v : !v)) && setUp("")) return;
    join();
  }

  /**
   * → WifiSetup: the station stopped (the session does it), its retries and replies dropped.
   * False (nothing changed) when set-up's module is not in flash but there is a network to go on
   * with; without one the screen says to flash again.
   */
  function setUp(why: string): boolean {
    const start = host.setup || setupModule();
    if (!start && host.wifi.ssid) {
      console.log("codepair: WiFi set-up is missing: flash the firmware again");
      return false;
    }
    stop();
    if (wifiRetry !== undefined) clearTimeout(wifiRetry);
    wifiRetry = undefined;
    attempt++;
    ap = null;
    page = 0;
    // the station stops (the session disconnects it): its 'disconnected' is not a WiFi lost
    online = false;
    reason = start ? why : "Set-up is missing: flash the firmware again";
    go(St.WifiSetup);
    if (!start) return true;
    start(
      why,
      (s: SetupSession | null) => {
        if (state !== St.WifiSetup) return s ? s.stop() : undefined;
        ap = s;
        if (!s) reason = "The access point did not start. Restart the device";
        render();
      },
      networkSaved,
    );
    return true;
  }

  /**
   * The set-up's code, a Storage module of its own (build.mjs's FIRMWARE_MODULES), loaded now;
   * null when it is not in flash (a bundle sent alone).
   */
  function setupModule(): typeof startSetup | null {
    try {
      const start = require(SETUP_MODULE).startSetup;
      setupLoaded = true;
      return start;
    } catch (err) {
      return null;
    }
  }

  /** A network saved on the set-up page (in flash, set-up over): joined at once. */
  function networkSaved(c: WifiChoice): void {
    if (state !== St.WifiSetup) return;
    ap = null;
    reason = "";
    host.wifi.ssid = c.ssid;
    host.wifi.password = c.password;
    wifiWait = WIFI_RETRY;
    afterSetup = true;
    go(St.NoWifi);
    join();
  }

  /** A completed hold: set-up from the WiFi-failed screen; nothing in set-up; else forget the token. */
  function held(): void {
    if (state === St.WifiSetup) return;
    if (holdSets || (state === St.NoWifi && wifiRetry !== undefined)) {
      // the WiFi may have come back while the button was held: then the hold does nothing
      if (!online) setUp("");
      return;
    }
    forget();
  }

  function wifiUp(): void {
    online = true;
    wifiWait = WIFI_RETRY;
    switch (state) {
      case St.CodeNoWifi:
        // the code is still good: poll it again, one interval on
        note = "";
        go(St.Code);
        return after(pace.interval);
      case St.Denied:
      case St.Expired:
      case St.Failed:
      case St.TlsFailed:
        return;
    }
    // back from a WiFi drop the token in memory is the newest (flash may have missed a write)
    if (!record) {
      record = host.loadToken();
      // a record whose token cannot be sent safely (written by an older firmware, or crafted)
      if (record && !isBearerToken(record.access)) record = null;
      obtainedAt = host.now();
      kept = record ? keyOf(record) : "";
      if (record) {
        // a token's age is known across a reboot only when the clock holds a real date (> 2001)
        const age = host.wall() - record.obtained;
        if (record.obtained > 1e9 && age > 0) obtainedAt -= age;
      }
      saved = true;
    }
    if (!record) return anew();
    go(St.Paired);
    check();
  }

  function wifiLost(): void {
    if (!online) return;
    online = false;
    drop();
    switch (state) {
      case St.Code:
        if (expired) break;
        go(St.CodeNoWifi);
        return join();
      case St.Denied:
      case St.Expired:
      case St.Failed:
      case St.TlsFailed:
        return join();
    }
    stop();
    go(St.NoWifi);
    join();
  }

  /** The step timer. */
  function due(): void {
    switch (state) {
      case St.Code:
        if (grant && !expired) send(Step.Poll, pollRequest(provider, grant));
        return;
      case St.Offline:
        return start();
      case St.RefreshOffline:
        go(St.Refreshing);
        return refresh();
      case St.Paired:
        return check();
    }
  }

  /** The code's deadline: nothing is polled at or past expires_in. */
  function expire(): void {
    deadline = undefined;
    expired = true;
    switch (state) {
      case St.CodeNoWifi:
        // no network to ask for a new one: the WiFi's screen
        stop();
        grant = null;
        return go(St.NoWifi);
      case St.Code:
        if (!inFlight) codeOver(false);
    }
  }

  function press(): void {
    // WiFi failed and waits: try again now, whatever is on screen
    if (wifiRetry !== undefined) return join();
    switch (state) {
      case St.Code:
      case St.CodeNoWifi:
      case St.WifiSetup:
        page++;
        return render();
      case St.Offline:
        return start();
      case St.RefreshOffline:
        stop();
        go(St.Refreshing);
        return refresh();
      case St.Denied:
      case St.Expired:
      case St.Failed:
      case St.TlsFailed:
        if (!online) {
          // "try again" with no network: it starts when the network is back
          stop();
          return go(St.NoWifi);
        }
        if (state === St.TlsFailed) return send(resendStep, resend as HttpRequest);
        return anew();
    }
  }

  function started(o: Outcome<Start>): void {
    if (o.verdict === Start.Trouble) return offline(St.Offline, o, startPace);
    startPace = retryPace();
    if (o.verdict !== Start.Code || !o.grant) return failed(o);
    const g = (grant = o.grant);
    pace = { interval: g.interval * 1000, backoff: 0 };
    codeEnds = host.now() + g.expiresIn;
    page = 0;
    note = "";
    go(St.Code);
    // nothing is polled at or past expires_in: the deadline ends the code on the device's
    // clock, a second early, so that no poll timer due at the same moment goes first
    deadline = setTimeout(expire, Math.max(0, Math.min(g.expiresIn * 1000 - DEADLINE_MARGIN, LONGEST_WAIT)));
    // §3.5: the first poll waits one interval
    after(pace.interval);
  }

  function polled(o: Outcome<Poll>): void {
    const v = o.verdict;
    if (v === Poll.Approved && o.tokens) return approved(o.tokens);
    if (v === Poll.Denied) {
      stop();
      return go(St.Denied);
    }
    if (v === Poll.Expired || v === Poll.Gone) return codeOver(v === Poll.Gone);
    if (v === Poll.Refused) return failed(o);
    if (expired) return codeOver(false);
    const wait = nextWait(pace, o);
    note = v === Poll.Trouble ? "Network trouble" : v === Poll.SlowDown ? "Slowing down" : "";
    go(St.Code);
    after(wait);
  }

  function refreshed(o: Outcome<Refresh>): void {
    const r = record;
    if (!r) return;
    if (o.verdict === Refresh.Renewed && o.tokens) {
      r.access = o.tokens.access;
      // RFC 6749 §6: the server may issue a new refresh token; else the old one stays good
      if (o.tokens.refresh) r.refresh = o.tokens.refresh;
      r.expiresIn = o.tokens.expiresIn;
      obtainedAt = host.now();
      r.obtained = Math.floor(host.wall());
      fresh = true;
      // before the new token is used: a rotated refresh token exists nowhere else
      saved = store(r);
      return check();
    }
    if (o.verdict === Refresh.Trouble) return offline(St.RefreshOffline, o, accountPace);
    // invalid_grant and any other refusal: this token is done
    forget();
  }

  function named(o: Outcome<Account>): void {
    if (!record) return;
    if (o.verdict === Account.Named) {
      accountPace = retryPace();
      fresh = false;
      if (o.account !== record.account) {
        record.account = o.account;
        saved = store(record);
      }
      go(St.Paired);
      return nextCheck();
    }
    // a token just issued refused too: refreshing again would only loop; pair again
    if (o.verdict === Account.Unauthorized) return fresh ? forget() : refresh();
    // the API is unreachable: still paired; look again later
    go(St.Paired);
    after(nextWait(accountPace, o));
  }

  // ---- the transitions' common parts ----

  /** → Requesting */
  function start(): void {
    stop();
    grant = null;
    expired = false;
    go(St.Requesting);
    send(Step.Start, startRequest(provider));
  }

  /** A new code on the user's word: the automatic renewals start afresh. */
  function anew(): void {
    refetches = 0;
    start();
  }

  /** → Offline or RefreshOffline: a screen that says so, then `due` at the end of the wait. */
  function offline(s: St, o: Outcome, p: Pace): void {
    stop();
    const wait = nextWait(p, o);
    reason = reasonOf(o);
    againAt = host.now() + wait / 1000;
    go(s);
    after(wait);
  }

  /** → Failed: the words, and what a press does */
  function fail(why: string, what: string): void {
    stop();
    reason = why;
    hint = what;
    go(St.Failed);
  }

  function failed(o: Outcome): void {
    // an OAuth error code (RFC 6749 §5.2) is named as the provider said it; the rest in words
    fail(/^[a-z_]+$/.test(o.error) ? "Provider said " + o.error : reasonOf(o), "Press to try again");
  }

  /** The code can no longer be approved: a new one, a few times; then wait for the user. */
  function codeOver(gone: boolean): void {
    stop();
    if (refetches < REFETCHES) {
      refetches++;
      return start();
    }
    if (gone) return fail("The code was dropped", "Press for a new code");
    go(St.Expired);
  }

  /** → Approved: the token goes to flash before anything else is done with it. */
  function approved(t: Tokens): void {
    stop();
    refetches = 0;
    record = {
      provider: provider.name,
      clientId: provider.clientId,
      access: t.access,
      refresh: t.refresh,
      expiresIn: t.expiresIn,
      account: "",
      obtained: 0,
    };
    obtainedAt = host.now();
    record.obtained = Math.floor(host.wall());
    fresh = true;
    // (the code stays on screen under a compaction before the write)
    const ok = store(record);
    grant = null;
    if (!ok) {
      record = null;
      return fail("Flash did not keep the token", "Press to pair again");
    }
    saved = true;
    go(St.Approved);
    check();
  }

  /**
   * ms until the access token should be refreshed: at 90% of its life (DESIGN.md), but not
   * sooner than MIN_REFRESH_EVERY after it was issued.
   */
  function refreshDue(): number {
    if (!record || !record.refresh || !record.expiresIn) return ACCOUNT_EVERY;
    return (obtainedAt - host.now()) * 1000 + Math.max(record.expiresIn * 900, MIN_REFRESH_EVERY);
  }

  /** The next look at the account (and the token's age): in ACCOUNT_EVERY, or when a refresh is due. */
  function nextCheck(): void {
    after(Math.max(1000, Math.min(ACCOUNT_EVERY, refreshDue())));
  }

  /** A look at the account: the token written if flash missed it, refreshed if due. */
  function check(): void {
    if (!record) return start();
    if (!saved) saved = store(record);
    if (refreshDue() <= 0) return refresh();
    if (!provider.account) {
      // nothing to ask: still keep the token fresh
      go(St.Paired);
      return nextCheck();
    }
    send(Step.Account, accountRequest(provider, record.access));
  }

  /** A 401, or the token near its end: refresh if there is a refresh token (RFC 6749 §6), else pair again. */
  function refresh(): void {
    if (!record || !record.refresh) return forget();
    stop();
    send(Step.Refresh, refreshRequest(provider, record.refresh));
  }

  /** The token is done: erased; a new pairing now, or when WiFi is up. */
  function forget(): void {
    stop();
    record = null;
    grant = null;
    kept = "";
    host.forgetToken();
    if (online) return anew();
    go(St.NoWifi);
  }

  // ---- the button: a short press, or a hold with its progress over the screen ----

  /** the hold under way started on the WiFi-failed screen: its end starts set-up */
  let holdSets = false;
  /** getTime() of the press, or -1 while the button is up */
  let downAt = -1;
  let frames: ReturnType<typeof setInterval> | undefined;
  let whole: Timer;
  const endFrames = (): void => {
    if (frames !== undefined) clearInterval(frames);
    frames = undefined;
  };
  function button(down: boolean, time: number): void {
    const longPress = host.button.longPress;
    if (down) {
      if (downAt >= 0) return;
      downAt = time;
      holdSets = state === St.NoWifi && wifiRetry !== undefined;
      frames = setInterval(() => {
        const h = getTime() - downAt;
        if (h * 1000 >= HOLD_SHOWN) {
          holding = h;
          render();
        }
      }, HOLD_FRAME);
      whole = setTimeout(() => {
        whole = undefined;
        endFrames();
        holding = longPress / 1000;
        render();
        held();
        setTimeout(() => {
          // unless a new hold has begun meanwhile
          if (frames === undefined && whole === undefined) {
            holding = -1;
            render();
          }
        }, HOLD_DONE);
      }, longPress);
      return;
    }
    if (downAt < 0) return;
    const h = time - downAt;
    downAt = -1;
    endFrames();
    holding = -1;
    render();
    if (whole === undefined) return; // the hold was completed
    clearTimeout(whole);
    whole = undefined;
    // let go early: a short press, or a hold cancelled
    if (h * 1000 < HOLD_SHOWN) press();
  }

  return {
    splashOver: splashOver,
    render: render,
    wifiUp: wifiUp,
    wifiLost: wifiLost,
    press: press,
    held: held,
    button: button,
  };
}
