// The pairing's arithmetic, for the device's life (life.ts, where the transitions are): the
// poll's pace, the waits after trouble, a token record's key, words for trouble. All waiting
// is done with setTimeout, whose clock is the device's own: SNTP or setTime moving the wall
// clock does not move a deadline (Espruino shifts its timers when the time is set).
//
// RFC 8628 §3.4-3.5 as a client must and few do: the first poll waits one interval; no poll
// comes sooner than the interval after the previous reply; slow_down adds 5 s for good; on
// a timeout or a network error the wait doubles up to a cap and polling goes on; Retry-After
// is honoured; nothing is polled past expires_in; an expired code is replaced a few times by
// itself and then waits for the user (§3.5: SHOULD). After success nothing is polled again
// (a used device_code polled again makes oidc-provider revoke the tokens it issued).
import type { Screen } from "../display/screens";
import { createLife, type LifeHost } from "../life";
import type { TokenRecord } from "../store/token";
import { LIMITS, Poll, type Outcome, type Provider } from "./profile";

/** Most a wait grows to after failures, ms. */
export const BACKOFF_CAP = 60000;
/** RFC 8628 §3.5: slow_down adds 5 s. */
export const SLOW_DOWN_STEP = 5000;
/** Codes fetched again by themselves after one expires, before waiting for a press. */
export const REFETCHES = 3;
/** How often the account is looked at again while paired, ms. */
export const ACCOUNT_EVERY = 30 * 60000;
/** A wait for a failed start or account call: 5 s, then doubling. */
const FIRST_RETRY = 5000;
/** The code is given up this long (ms) before expires_in. */
export const DEADLINE_MARGIN = 1000;
/**
 * A token is refreshed at most this often (ms), whatever its expires_in says: each refresh is
 * a flash write, and a server answering expires_in: 1 would otherwise wear the flash out.
 */
export const MIN_REFRESH_EVERY = 60000;
/** The longest timer the life sets (ms): setTimeout throws past ~1000 years on 2v29. */
export const LONGEST_WAIT = 24 * 3600000;

/** The poll pace: the interval (ms) and the current back-off (ms, 0 when none). */
export interface Pace {
  interval: number;
  backoff: number;
}

/** The pace of a failed start, account or refresh call: first retry after FIRST_RETRY, then doubling. */
export function retryPace(): Pace {
  return { interval: FIRST_RETRY / 2, backoff: 0 };
}

/**
 * How long to wait after an outcome before the next request, ms; updates the pace. Any step's
 * Trouble (0 in every step) backs off; a poll's SlowDown slows the pace down for good.
 */
export function nextWait(p: Pace, o: Outcome): number {
  // what a server asks for is bounded: a Retry-After of a year would stop the device for one
  const asked = Math.min(o.wait, LIMITS.maxWait) * 1000;
  if (o.verdict === Poll.SlowDown) {
    // RFC 8628 §3.5: +5 s "for this and all subsequent requests", or the server's own figure;
    // never past the longest interval taken from a server
    p.interval = Math.min(Math.max(p.interval + SLOW_DOWN_STEP, asked), Math.max(p.interval, LIMITS.maxInterval * 1000));
    p.backoff = 0;
    return p.interval;
  }
  if (o.verdict === Poll.Trouble) {
    // §3.5: on a connection timeout, back off exponentially
    p.backoff = Math.min(Math.max(p.backoff * 2, p.interval * 2), Math.max(BACKOFF_CAP, p.interval));
    return Math.max(p.backoff, asked);
  }
  p.backoff = 0;
  return p.interval;
}

/** What the pairing alone needs of its host: the life's host (life.ts), with a screen shown as it is. */
export type PairingHost = Pick<LifeHost, "http" | "now" | "wall" | "loadToken" | "saveToken" | "forgetToken" | "send"> & {
  provider: Provider;
  /** What the screen shows now. */
  show(screen: Screen): void;
};

/** The pairing alone: the device's life (life.ts) without the board's splash, radio, button and Storage. */
export interface Pairing {
  /** The network is up (life.ts: WiFi up). */
  begin(): void;
  /** The network is gone (life.ts: WiFi lost). */
  pause(): void;
  /** A short press. */
  press(): void;
  /** Forget the token and pair again (a completed hold). */
  repair(): void;
  /** As pause(): every timer but the code's deadline stopped, every reply in flight ignored. */
  stop(): void;
}

/**
 * The device's life driven by hand, for tests that need a reply at an exact moment: starts
 * with no network (NoWifi); a WiFi attempt does nothing (begin() is the network coming up).
 */
export function createPairing(host: PairingHost): Pairing {
  const none = (): void => {};
  const life = createLife({
    provider: host.provider,
    http: host.http,
    wifi: { ssid: "", password: "" },
    button: { pin: 0, longPress: 3000 },
    version: "",
    problem: "",
    report: [],
    show: (s: Screen): void => host.show(s),
    now: host.now,
    wall: host.wall,
    loadToken: host.loadToken,
    saveToken: host.saveToken,
    forgetToken: host.forgetToken,
    send: host.send,
    storage: null,
    // a WiFi attempt does nothing: begin() is the network coming up
    radio: { connect: none, disconnect: none, on: none },
  });
  return { begin: life.wifiUp, pause: life.wifiLost, press: life.press, repair: life.held, stop: life.wifiLost };
}

/** A record's contents but for its issue time: two records with the same key need one write. */
export function keyOf(r: TokenRecord): string {
  return JSON.stringify([r.provider, r.clientId, r.access, r.refresh, r.expiresIn, r.account]);
}

/** Words for the offline screen. */
export function reasonOf(o: Outcome): string {
  const e = o.error;
  if (e === "timeout") return "No reply from the server";
  if (e === "connect") return "Cannot reach the server";
  if (e === "dropped") return "Connection dropped";
  if (e === "bad reply") return "Broken reply from the server";
  if (e === "bad token") return "Server sent an unusable token";
  return "Server answered " + e;
}
