// Provider profiles: each builds its requests and classifies replies. Two protocols:
// Simkl's PIN flow (https://simkl.docs.apiary.io, "PIN" authorization) and the OAuth 2.0
// device authorization grant (RFC 8628), with presets for Kinde and Auth0 (Yoto) that only
// fill in endpoints and scope. Replies are classified by their body, never by the HTTP status
// alone: servers answer 200, 400, 403 or 429 for the same "pending" (DESIGN.md).
import { stringOf as str } from "../json/reader";
import type { HttpReply, HttpRequest } from "../net/http";
import { percent, usableUrl } from "../net/url";
import { VERSION } from "../version";

export interface Provider {
  /** the protocol */
  kind: "simkl" | "rfc8628";
  /** the preset or protocol named in the config: "simkl", "kinde", "auth0", "rfc8628" */
  name: string;
  clientId: string;
  /** Simkl: {base}/oauth/pin; RFC 8628: the device authorization endpoint */
  device: string;
  /** Simkl: {base}/oauth/pin/ (the user code follows); RFC 8628: the token endpoint */
  token: string;
  /** Simkl: {base}/users/settings; RFC 8628: the userinfo endpoint */
  account: string;
  scope: string;
  audience: string;
}

/** A code to show: RFC 8628 §3.2. Times in seconds. */
export interface Grant {
  deviceCode: string;
  userCode: string;
  uri: string;
  /** verification_uri_complete, or "" */
  link: string;
  expiresIn: number;
  interval: number;
}

export interface Tokens {
  access: string;
  /** "" when none was issued */
  refresh: string;
  /** seconds; 0 when the server did not say */
  expiresIn: number;
}

// What a reply said, each step in its own words. Every step's verdicts begin with the same
// two, so that the readers shared below (unknown, refused) give them whatever the step:
// Trouble (0), no usable answer (network, 5xx, 429, a broken body): try again later, backing
// off; Refused (1), an answer that ends the step (a config or protocol error the user must see).

/** A device authorization reply (RFC 8628 §3.2; Simkl's PIN request). */
export const enum Start {
  Trouble,
  Refused,
  /** a code to show: `grant` */
  Code,
}

/** A poll's reply (RFC 8628 §3.5; Simkl's PIN status). */
export const enum Poll {
  Trouble,
  Refused,
  /** keep polling at the interval */
  Pending,
  /** RFC 8628 §3.5: poll 5 s slower from now on */
  SlowDown,
  /** the person approved the code: `tokens` */
  Approved,
  /** the person declined */
  Denied,
  /** the code's time is up */
  Expired,
  /** Simkl: the code is unknown to the server (it answered with a new one): start over */
  Gone,
}

/** A refresh's reply (RFC 6749 §6). */
export const enum Refresh {
  Trouble,
  /** the refresh token is no good (invalid_grant, or any other refusal): pair again */
  Refused,
  /** new tokens: `tokens` */
  Renewed,
}

/** The account API's reply. */
export const enum Account {
  /** the API is down or slow: the token is not in doubt */
  Trouble,
  /** the token is good: the account's name is `account` */
  Named = 2,
  /** 401: the access token is no longer good */
  Unauthorized,
}

export interface Outcome<V = number> {
  /** Start, Poll, Refresh or Account: the step's own verdict */
  verdict: V;
  /** why (Retry, Failed): an OAuth error code, "HTTP 503", "timeout", "bad reply" */
  error: string;
  /** seconds the server asked to wait (Retry-After, or slow_down's new interval), else -1 */
  wait: number;
  grant: Grant | null;
  tokens: Tokens | null;
  /** the account's display name (account replies) */
  account: string;
}

// The members each reply is read for, made when a request is (as tables at the top level they
// held ~65 JsVars for as long as the device ran; measured on the ESP32-like interpreter).
function startMembers(): string[] {
  return ["result", "device_code", "user_code", "verification_uri", "verification_url", "verification_uri_complete", "expires_in", "interval", "error", "message"];
}
function tokenMembers(): string[] {
  return ["result", "message", "device_code", "access_token", "refresh_token", "expires_in", "interval", "error"];
}
/** Simkl nests the name in "user"; OpenID Connect userinfo has it at the top (OIDC Core §5.1). */
function accountMembers(): string[] {
  return ["user.name", "name", "preferred_username", "nickname", "email", "sub", "error"];
}

function outcome<V>(verdict: V, error: string): Outcome<V> {
  return { verdict: verdict, error: error, wait: -1, grant: null, tokens: null, account: "" };
}

/**
 * Bounds on what a server may ask, in seconds, whatever it says. (A const enum: the build puts
 * the numbers where they are used, where an object would hold ~15 JsVars.)
 */
export const enum LIMITS {
  /** RFC 8628 §3.2 `interval` is in seconds: whole ones, at least this, at most `maxInterval` */
  minInterval = 1,
  maxInterval = 300,
  /** a code's `expires_in` */
  minCodeLife = 1,
  maxCodeLife = 3600,
  /** a token's `expires_in` (1e8 s is three years; more prints badly and means nothing) */
  maxTokenLife = 1e8,
  /** a wait a server asks for: Retry-After, slow_down's interval */
  maxWait = 600,
}

/** Whole seconds (a fraction rounds up) in lo..hi; `dflt` when `v` is not a positive number. */
function seconds(v: unknown, dflt: number, lo: number, hi: number): number {
  if (typeof v !== "number" || !(v > 0)) return dflt;
  return v >= hi ? hi : Math.max(lo, Math.ceil(v));
}

/**
 * Whether `t` can be sent as a bearer token: RFC 6750 §2.1 b64token,
 * 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". Anything else (CR, LF, a
 * space) would end the Authorization header and add lines of the server's choosing.
 */
export function isBearerToken(t: string): boolean {
  return /^[A-Za-z0-9\-._~+\/]+=*$/.test(t);
}

/** A user code shown and typed: printable ASCII (the fonts have nothing else), at most 32. */
function isUserCode(c: string): boolean {
  return c.length <= 32 && /^[ -~]+$/.test(c) && c.trim() === c;
}

/** Most bytes of an account's name kept (it is drawn on one line and kept in flash). */
export const ACCOUNT_MAX = 64;

/**
 * A reply that says nothing the profile knows. Trouble to wait out: no reply, 5xx, 429, 408,
 * JSON cut or broken on the way, a 2xx that is not JSON (a captive portal's page). Final: a
 * 3xx or 4xx whose body is not JSON at all (a wrong endpoint's 404 page, an empty 401), or
 * JSON that says nothing known.
 */
function unknown(reply: HttpReply): Outcome<any> {
  const s = reply.status;
  const b = reply.body;
  const broken = !!b && !b.ok;
  const notJson = !b || (!b.ok && b.at === 0);
  const o =
    s === 0 || s >= 500 || s === 429 || s === 408 || (broken && (!notJson || s < 300))
      ? outcome(Start.Trouble, s === 0 ? reply.error : broken && !notJson ? "bad reply" : "HTTP " + s)
      : outcome(Start.Refused, "HTTP " + s);
  o.wait = reply.retryAfter;
  return o;
}

function members(reply: HttpReply): { [name: string]: unknown } | null {
  return reply.body && reply.body.ok ? reply.body.members : null;
}

function query(provider: Provider): string {
  // Simkl asks apps to name themselves (DESIGN.md); client_id identifies the app
  return "?client_id=" + percent(provider.clientId) + "&app-name=codepair&app-version=" + percent(VERSION);
}

export function startRequest(provider: Provider): HttpRequest {
  if (provider.kind === "simkl") return { method: "GET", url: provider.device + query(provider), wanted: startMembers() };
  const form: { [name: string]: string } = { client_id: provider.clientId };
  if (provider.scope) form.scope = provider.scope;
  if (provider.audience) form.audience = provider.audience;
  return { method: "POST", url: provider.device, form: form, wanted: startMembers() };
}

/** A device authorization reply: Code with the grant, or why not. */
export function readStart(provider: Provider, reply: HttpReply): Outcome<Start> {
  const m = members(reply);
  if (!m) return unknown(reply);
  const error = str(m.error);
  // Google and some others spell it verification_url
  const uri = str(m.verification_uri) || str(m.verification_url);
  const link = str(m.verification_uri_complete);
  const grant: Grant = {
    deviceCode: str(m.device_code),
    userCode: str(m.user_code),
    uri: uri,
    // only a link a phone can safely open goes into the QR code (no javascript:, data:, http:)
    link: usableUrl(link) ? link : "",
    expiresIn: seconds(m.expires_in, 900, LIMITS.minCodeLife, LIMITS.maxCodeLife),
    // RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
    interval: seconds(m.interval, 5, LIMITS.minInterval, LIMITS.maxInterval),
  };
  if (reply.status === 200 && !error && grant.deviceCode && grant.userCode && uri && (provider.kind !== "simkl" || m.result === "OK")) {
    // what the user reads and types must be drawable, and the page to type it on https
    if (!isUserCode(grant.userCode) || !usableUrl(uri)) return outcome(Start.Refused, "bad reply");
    const o = outcome(Start.Code, "");
    o.grant = grant;
    return o;
  }
  if (!error && reply.status >= 200 && reply.status < 300) return outcome(Start.Refused, "bad reply");
  return refused(reply, error);
}

export function pollRequest(provider: Provider, grant: Grant): HttpRequest {
  if (provider.kind === "simkl") {
    return { method: "GET", url: provider.token + percent(grant.userCode) + query(provider), wanted: tokenMembers() };
  }
  return {
    method: "POST",
    url: provider.token,
    form: { grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: grant.deviceCode, client_id: provider.clientId },
    wanted: tokenMembers(),
  };
}

/**
 * The tokens of a token reply, with `yes` (Poll.Approved, Refresh.Renewed); Refused when they
 * cannot be used safely.
 */
function tokensOf<V>(m: { [name: string]: unknown }, yes: V): Outcome<V> {
  const access = str(m.access_token);
  const refresh = str(m.refresh_token);
  // RFC 6749 Appendix A.17: refresh-token = 1*VSCHAR (it goes in a form, but is kept in flash)
  if (!isBearerToken(access) || !/^[ -~]*$/.test(refresh)) return outcome<any>(Start.Refused, "bad token");
  const o = outcome(yes, "");
  o.tokens = { access: access, refresh: refresh, expiresIn: seconds(m.expires_in, 0, 1, LIMITS.maxTokenLife) };
  return o;
}

/** A poll reply (RFC 8628 §3.5, or Simkl's PIN status). */
export function readPoll(provider: Provider, reply: HttpReply): Outcome<Poll> {
  const m = members(reply);
  if (!m) return unknown(reply);
  const error = str(m.error);
  if (provider.kind === "simkl") {
    // an unknown or expired code falls through to creating a new one: the code is gone
    if (m.device_code !== undefined) return outcome(Poll.Gone, "");
    if (m.result === "OK" && str(m.access_token)) return tokensOf(m, Poll.Approved);
    if (m.result === "KO") return outcome(/slow/i.test(str(m.message)) ? Poll.SlowDown : Poll.Pending, "");
  } else {
    if (error === "authorization_pending") return outcome(Poll.Pending, "");
    if (error === "slow_down") {
      const o = outcome(Poll.SlowDown, "");
      o.wait = seconds(m.interval, -1, LIMITS.minInterval, LIMITS.maxInterval);
      return o;
    }
    if (error === "access_denied") return outcome(Poll.Denied, "");
    if (error === "expired_token") return outcome(Poll.Expired, "");
    if (!error && str(m.access_token)) return tokensOf(m, Poll.Approved);
  }
  return refused(reply, error);
}

/**
 * An error the profile does not know: from an overloaded server or a gateway (5xx, 429, or
 * RFC 6749's server_error / temporarily_unavailable) it is trouble to wait out, else final.
 */
function refused(reply: HttpReply, error: string): Outcome<any> {
  if (!error) return unknown(reply);
  const s = reply.status;
  // RFC 6749 §5.2 codes are words in [a-z_]; anything else in `error` is the server's own
  // text, which may echo what was sent (a token, a device code): only the status is kept
  if (!/^[a-z_]+$/.test(error) || error.length > 40) error = "HTTP " + s;
  if (s >= 500 || s === 429 || error === "server_error" || error === "temporarily_unavailable") {
    const o = outcome(Start.Trouble, error);
    o.wait = reply.retryAfter;
    return o;
  }
  return outcome(Start.Refused, error);
}

/** RFC 6749 §6. Simkl issues no refresh tokens. */
export function refreshRequest(provider: Provider, refresh: string): HttpRequest {
  return {
    method: "POST",
    url: provider.token,
    form: { grant_type: "refresh_token", refresh_token: refresh, client_id: provider.clientId },
    wanted: tokenMembers(),
  };
}

/** Renewed with new tokens; Refused (the refresh token is no good: pair again); or Trouble. */
export function readRefresh(reply: HttpReply): Outcome<Refresh> {
  const m = members(reply);
  if (!m) return unknown(reply);
  const error = str(m.error);
  if (!error && reply.status === 200 && str(m.access_token)) return tokensOf(m, Refresh.Renewed);
  return refused(reply, error);
}

export function accountRequest(provider: Provider, access: string): HttpRequest {
  const headers: { [name: string]: string } = { Authorization: "Bearer " + access };
  if (provider.kind !== "simkl") return { method: "GET", url: provider.account, headers: headers, wanted: accountMembers() };
  // Simkl documents POST for /users/settings (api.simkl.org, get-user-settings), with the app's key
  headers["simkl-api-key"] = provider.clientId;
  return { method: "POST", url: provider.account + query(provider), headers: headers, form: {}, wanted: accountMembers() };
}

/** Named with the account's name; Unauthorized on 401 (the token is no longer good); else Trouble. */
export function readAccount(reply: HttpReply): Outcome<Account> {
  if (reply.status === 401) return outcome(Account.Unauthorized, "HTTP 401");
  const m = members(reply);
  if (reply.status === 200 && m) {
    const o = outcome(Account.Named, "");
    const names = accountMembers();
    for (let k = 0; k < names.length - 1 && !o.account; k++) o.account = typeof m[names[k]] === "number" ? String(m[names[k]]) : str(m[names[k]]);
    o.account = o.account.substr(0, ACCOUNT_MAX);
    return o;
  }
  // the account's API is down or slow: the token is not in doubt, ask again later
  const o = unknown(reply);
  o.verdict = Account.Trouble;
  return o;
}
