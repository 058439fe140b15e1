// The device flow and the life of its token, driven by timers. All waiting is done with
// setTimeout, whose clock is the device's own: SNTP or setTime moving the wall clock does not
// move a deadline (Espruino shifts its timers when the time is set).
//
// RFC 8628 §3.4-3.5 as a client must and few do: the first poll waits one interval; no poll
// comes sooner than the interval after the previous reply; slow_down adds 5 s for good; on
// a timeout or a network error the wait doubles up to a cap and polling goes on; Retry-After
// is honoured; nothing is polled past expires_in; an expired code is replaced a few times by
// itself and then waits for the user (§3.5: SHOULD). After success nothing is polled again
// (a used device_code polled again makes oidc-provider revoke the tokens it issued).
import { request, type HttpOptions, type HttpReply, type HttpRequest } from "../net/http";
import {
  accountRequest,
  pollRequest,
  readAccount,
  readPoll,
  readRefresh,
  readStart,
  refreshRequest,
  startRequest,
  isBearerToken,
  LIMITS,
  Verdict,
  type Grant,
  type Outcome,
  type Provider,
  type Tokens,
} from "./profile";
import type { Screen } from "../display/screens";
import { tlsTrouble } from "../net/tls";
import { parseUrl } from "../net/url";

type CodeScreen = Extract<Screen, { kind: "code" }>;
import type { TokenRecord } from "../store/token";

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
/** The longest timer the flow sets (ms): setTimeout throws past ~1000 years on 2v29. */
const LONGEST_WAIT = 24 * 3600000;

/** The poll pace: the interval (ms) and the current back-off (ms, 0 when none). */
export interface Pace {
  interval: number;
  backoff: number;
}

/** The pace of a failed start, account or refresh call: first retry after FIRST_RETRY, then doubling. */
function retryPace(): Pace {
  return { interval: FIRST_RETRY / 2, backoff: 0 };
}

/** How long to wait after an outcome before the next request, ms; updates the pace. */
export function nextWait(p: Pace, o: Outcome): number {
  // what a server asks for is bounded: a Retry-After of a year would stop the device for one
  const asked = Math.min(o.wait, LIMITS.maxWait) * 1000;
  if (o.verdict === Verdict.SlowDown) {
    // RFC 8628 §3.5: +5 s "for this and all subsequent requests", or the server's own figure;
    // never past the longest interval taken from a server
    p.interval = Math.min(Math.max(p.interval + SLOW_DOWN_STEP, asked), Math.max(p.interval, LIMITS.maxInterval * 1000));
    p.backoff = 0;
    return p.interval;
  }
  if (o.verdict === Verdict.Retry) {
    // §3.5: on a connection timeout, back off exponentially
    p.backoff = Math.min(Math.max(p.backoff * 2, p.interval * 2), Math.max(BACKOFF_CAP, p.interval));
    return Math.max(p.backoff, asked);
  }
  p.backoff = 0;
  return p.interval;
}

export interface PairingHost {
  provider: Provider;
  http: HttpOptions;
  /** What the screen shows now; null: the pairing has nothing to show (paused), the caller has the screen. */
  show(screen: Screen | null): void;
  /** seconds on the device's clock (since boot), for the screens' bars and countdowns */
  now(): number;
  /** getTime(): seconds, a real date once the clock has been set; a token's issue time */
  wall(): number;
  loadToken(): TokenRecord | null;
  /** false when flash did not keep it */
  saveToken(record: TokenRecord): boolean;
  forgetToken(): void;
  /** Sends a request; the default is net/http's. Tests and the simulator use the real one. */
  send?: (r: HttpRequest, options: HttpOptions, done: (reply: HttpReply) => void) => void;
}

export interface Pairing {
  /**
   * Starts (the network is up): paired if a token is kept, else a new pairing. After pause()
   * it goes on: a code still valid is polled again, a screen waiting for a press waits on.
   */
  begin(): void;
  /**
   * The network is gone: no request until begin(). True when the screen stays the pairing's
   * (a code still valid, or a screen waiting for a press); then, should the code run out
   * meanwhile, `host.show` gets null: the screen is the caller's again.
   */
  pause(): boolean;
  /** A short press: whatever the screen offers. */
  press(): void;
  /** Forget the token and pair again (a long press). */
  repair(): void;
  /** Stop every timer and ignore every reply in flight. */
  stop(): void;
}

export function createPairing(host: PairingHost): Pairing {
  const send = host.send || request;
  const provider = host.provider;
  /** Replies to requests made before the last change of course are dropped. */
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  let inFlight = false;
  let expired = false;
  let grant: Grant | null = null;
  let codeScreen: CodeScreen | null = null;
  let pace: Pace = { interval: 5000, backoff: 0 };
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
  /** What a press does in the current state. */
  let onPress: (() => void) | null = null;
  /** The screen that waits for a press, while it does. */
  let waiting: Screen | null = null;
  /** No network: nothing is sent (until the first begin(), and from pause() to begin()). */
  let paused = true;

  /**
   * Writes the record to flash unless flash holds it already: every write appends to Storage
   * and brings its compaction nearer, so an account check that changes nothing, or a refresh
   * that brings back the same tokens, writes nothing (the issue time is then not updated: after
   * a reboot the token only looks older, and is refreshed sooner).
   */
  function store(r: TokenRecord): boolean {
    const key = keyOf(r);
    if (key === kept) return true;
    const ok = host.saveToken(r);
    kept = ok ? key : "";
    return ok;
  }

  /** Drops every reply in flight and the next request's timer; the code's deadline runs on. */
  function drop(): void {
    generation++;
    inFlight = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  function cancel(): void {
    drop();
    if (deadline !== undefined) clearTimeout(deadline);
    deadline = undefined;
    onPress = null;
    waiting = null;
  }

  function after(ms: number, fn: () => void): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        fn();
      },
      // NaN and negatives are "now"; setTimeout throws on a wait too long
      ms > 0 ? Math.min(ms, LONGEST_WAIT) : 0,
    );
  }

  function call(r: HttpRequest, then: (reply: HttpReply) => void): void {
    const g = generation;
    inFlight = true;
    send(r, host.http, (reply) => {
      if (g !== generation) return;
      inFlight = false;
      // a failed TLS handshake is no trouble to wait out: a screen that says what to do; a
      // press sends the same request again
      const tls = reply.status === 0 ? tlsTrouble(reply.error) : null;
      if (tls) return waitForPress({ kind: "error", reason: tls.reason, hint: tls.hint }, () => call(r, then));
      try {
        then(reply);
      } catch (err) {
        // a reply the flow could not handle must not stop it (an uncaught error in a timer
        // ends that chain of timers for good): it counts as no reply, which is retried later
        if (g === generation) then({ status: 0, error: "bad reply", retryAfter: -1, body: null });
      }
    });
  }

  /** A wait for the user: a screen, and what a press does. */
  function waitForPress(screen: Screen, fn: () => void): void {
    cancel();
    host.show(screen);
    onPress = fn;
    waiting = screen;
  }

  /** Trouble: a screen that says so, then `again` once, at the end of the wait or on a press. */
  function offline(reason: string, wait: number, again: () => void): void {
    cancel();
    host.show({ kind: "offline", reason: reason, retryAt: host.now() + wait / 1000 });
    const run = (): void => {
      cancel();
      again();
    };
    onPress = run;
    after(wait, run);
  }

  /** A new code on the user's word: the automatic renewals start afresh. */
  function anew(): void {
    refetches = 0;
    start();
  }

  // ---- pairing ----

  function start(): void {
    cancel();
    grant = null;
    expired = false;
    const u = parseUrl(provider.device);
    host.show({ kind: "requesting", host: u ? u.host : "" });
    call(startRequest(provider), started);
  }

  let startPace = retryPace();

  function started(reply: HttpReply): void {
    const o = readStart(provider, reply);
    if (o.verdict === Verdict.Retry) return offline(reasonOf(o), nextWait(startPace, o), start);
    startPace = retryPace();
    if (o.verdict !== Verdict.Approved || !o.grant) return failed(o);
    grant = o.grant;
    pace = { interval: grant.interval * 1000, backoff: 0 };
    codeScreen = {
      kind: "code",
      code: grant.userCode,
      uri: grant.uri,
      link: grant.link,
      expiresAt: host.now() + grant.expiresIn,
      lifetime: grant.expiresIn,
      page: 0,
      note: "",
    };
    host.show(codeScreen);
    onPress = () => {
      if (codeScreen) {
        codeScreen.page++;
        host.show(codeScreen);
      }
    };
    // nothing is polled at or past expires_in: the deadline ends the code on the device's
    // clock, a second early, so that no poll timer due at the same moment goes first
    deadline = setTimeout(() => {
      deadline = undefined;
      expired = true;
      if (paused) {
        // no network to ask for a new one: the screen goes back to the caller's
        cancel();
        grant = null;
        codeScreen = null;
        host.show(null);
      } else if (!inFlight) codeOver(false);
    }, Math.max(0, Math.min(grant.expiresIn * 1000 - DEADLINE_MARGIN, LONGEST_WAIT)));
    // §3.5: the first poll waits one interval
    after(pace.interval, poll);
  }

  function poll(): void {
    if (!grant || expired) return;
    call(pollRequest(provider, grant), polled);
  }

  function note(text: string): void {
    if (codeScreen && codeScreen.note !== text) {
      codeScreen.note = text;
      host.show(codeScreen);
    }
  }

  function polled(reply: HttpReply): void {
    const o = readPoll(provider, reply);
    const v = o.verdict;
    if (v === Verdict.Approved && o.tokens) return approved(o.tokens);
    if (v === Verdict.Denied) return waitForPress({ kind: "denied" }, anew);
    if (v === Verdict.Expired || v === Verdict.Gone) return codeOver(v === Verdict.Gone);
    if (v === Verdict.Failed) return failed(o);
    if (expired) return codeOver(false);
    const wait = nextWait(pace, o);
    note(v === Verdict.Retry ? "Network trouble" : v === Verdict.SlowDown ? "Slowing down" : "");
    after(wait, poll);
  }

  /** The code can no longer be approved: a new one, a few times; then wait for the user. */
  function codeOver(gone: boolean): void {
    cancel();
    if (refetches < REFETCHES) {
      refetches++;
      return start();
    }
    waitForPress(gone ? { kind: "error", reason: "The code was dropped", hint: "Press for a new code" } : { kind: "expired" }, anew);
  }

  function failed(o: Outcome): void {
    // an OAuth error code (RFC 6749 §5.2) is named as the provider said it; the rest in words
    const reason = /^[a-z_]+$/.test(o.error) ? "Provider said " + o.error : reasonOf(o);
    waitForPress({ kind: "error", reason: reason, hint: "Press to try again" }, anew);
  }

  function approved(t: Tokens): void {
    cancel();
    refetches = 0;
    grant = null;
    codeScreen = null;
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
    // the token goes to flash before anything else is done with it
    if (!store(record)) {
      record = null;
      return waitForPress({ kind: "error", reason: "Flash did not keep the token", hint: "Press to pair again" }, anew);
    }
    saved = true;
    host.show({ kind: "approved" });
    accountCheck();
  }

  // ---- paired ----

  let accountPace = retryPace();

  /**
   * ms until the access token should be refreshed: at 90% of its life (DESIGN.md), but not
   * sooner than MIN_REFRESH_EVERY after it was issued.
   */
  function refreshDue(): number {
    if (!record || !record.refresh || !record.expiresIn) return ACCOUNT_EVERY;
    return (obtainedAt - host.now()) * 1000 + Math.max(record.expiresIn * 900, MIN_REFRESH_EVERY);
  }

  function showPaired(): void {
    host.show({ kind: "paired", account: record ? record.account : "" });
  }

  /** The next look at the account (and the token's age): in ACCOUNT_EVERY, or when a refresh is due. */
  function nextCheck(): void {
    after(Math.max(1000, Math.min(ACCOUNT_EVERY, refreshDue())), accountCheck);
  }

  function accountCheck(): void {
    if (!record) return start();
    if (!saved) saved = store(record);
    if (refreshDue() <= 0) return unauthorized();
    if (!provider.account) {
      // nothing to ask: still keep the token fresh
      showPaired();
      return nextCheck();
    }
    call(accountRequest(provider, record.access), (reply) => {
      const o = readAccount(reply);
      if (!record) return;
      if (o.verdict === Verdict.Approved) {
        accountPace = retryPace();
        fresh = false;
        if (o.account !== record.account) {
          record.account = o.account;
          saved = store(record);
        }
        showPaired();
        return nextCheck();
      }
      // a token just issued refused too: refreshing again would only loop; pair again
      if (o.verdict === Verdict.Denied) return fresh ? forgetAndPair() : unauthorized();
      // the API is unreachable: still paired; look again later
      showPaired();
      after(nextWait(accountPace, o), accountCheck);
    });
  }

  /** A 401, or the token near its end: refresh if there is a refresh token (RFC 6749 §6), else pair again. */
  function unauthorized(): void {
    if (!record || !record.refresh) return forgetAndPair();
    cancel();
    const r = record;
    call(refreshRequest(provider, r.refresh), (reply) => {
      const o = readRefresh(reply);
      if (o.verdict === Verdict.Approved && o.tokens) {
        r.access = o.tokens.access;
        // RFC 6749 §6: the server may issue a new refresh token; else the old one stays good
        if (o.tokens.refresh) r.refresh = o.tokens.refresh;
        r.expiresIn = o.tokens.expiresIn;
        obtainedAt = host.now();
        r.obtained = Math.floor(host.wall());
        fresh = true;
        // before the new token is used: a rotated refresh token exists nowhere else
        saved = store(r);
        return accountCheck();
      }
      if (o.verdict === Verdict.Retry) return offline(reasonOf(o), nextWait(accountPace, o), unauthorized);
      // invalid_grant and any other refusal: this token is done
      forgetAndPair();
    });
  }

  function forgetAndPair(): void {
    cancel();
    record = null;
    grant = null;
    kept = "";
    host.forgetToken();
    // without a network the new pairing starts at begin()
    if (!paused) anew();
  }

  return {
    begin(): void {
      if (paused) {
        paused = false;
        if (grant && !expired && codeScreen) {
          // the code is still good: poll it again, one interval on
          note("");
          return after(pace.interval, poll);
        }
        if (waiting) return;
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
      showPaired();
      accountCheck();
    },
    pause(): boolean {
      paused = true;
      drop();
      if (grant && !expired && codeScreen) {
        note("No WiFi: reconnecting");
        return true;
      }
      if (waiting) return true;
      cancel();
      return false;
    },
    press(): void {
      if (paused && waiting) {
        // "try again" with no network: it starts when the network is back
        cancel();
        host.show(null);
      } else if (onPress) onPress();
    },
    repair: forgetAndPair,
    stop: cancel,
  };
}

/** A record's contents but for its issue time: two records with the same key need one write. */
function keyOf(r: TokenRecord): string {
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
