// The flow's state machine with a scripted server and fake timers: the cases that need a
// reply at an exact moment (a press while a refresh waits, a 401 straight after a refresh, a
// flash write that fails), which the end-to-end tests cannot stage.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createJsonReader } from "../firmware/json/reader.ts";
import type { HttpOptions, HttpReply, HttpRequest } from "../firmware/net/http.ts";
import { ACCOUNT_EVERY, createPairing, type Pairing } from "../firmware/pairing/flow.ts";
import type { Provider } from "../firmware/pairing/profile.ts";
import type { Screen } from "../firmware/display/screens.ts";
import { readProvider } from "../firmware/store/config.ts";
import type { TokenRecord } from "../firmware/store/token.ts";

const AUTH0 = readProvider({ provider: "auth0", clientId: "c", base: "https://id.example" }) as Provider;
const NO_USERINFO = readProvider({ provider: "rfc8628", clientId: "c", endpoints: { device: "https://id.example/d", token: "https://id.example/t" } }) as Provider;

interface Sent {
  r: HttpRequest;
  at: number;
  answer(status: number, body: string): void;
}

function harness(provider: Provider, kept: TokenRecord | null) {
  const sent: Sent[] = [];
  const screens: Screen[] = [];
  let flash: TokenRecord | null = kept ? { ...kept } : null;
  let flashWorks = true;
  let writes = 0;
  const send = (r: HttpRequest, _o: HttpOptions, done: (reply: HttpReply) => void) => {
    sent.push({
      r,
      at: Date.now(),
      answer(status, body) {
        const reader = createJsonReader(r.wanted);
        reader.write(body);
        done({ status, error: "", retryAfter: -1, body: reader.end() });
      },
    });
  };
  const pairing: Pairing = createPairing({
    provider,
    http: {},
    show: (s) => screens.push(JSON.parse(JSON.stringify(s))),
    now: () => Date.now() / 1000,
    wall: () => Date.now() / 1000,
    loadToken: () => (flash ? { ...flash } : null),
    saveToken: (r) => {
      writes++;
      if (!flashWorks) return false;
      flash = { ...r };
      return true;
    },
    forgetToken: () => {
      flash = null;
    },
    send,
  });
  return {
    sent,
    screens,
    pairing,
    flash: () => flash,
    /** saveToken calls so far */
    writes: () => writes,
    breakFlash: (broken: boolean) => {
      flashWorks = !broken;
    },
    /** The requests not answered yet. */
    open: () => sent.filter((s) => !(s as { done?: boolean }).done),
    last: () => sent[sent.length - 1],
  };
}

const KEPT: TokenRecord = { provider: "auth0", clientId: "c", access: "a1", refresh: "r1", obtained: 0, expiresIn: 3600, account: "Ann" };
const path = (s: Sent) => s.r.method + " " + s.r.url.replace("https://id.example", "") + (s.r.form && s.r.form.grant_type === "refresh_token" ? " refresh " + s.r.form.refresh_token : "");

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the token's life", () => {
  it("a press while a failed refresh waits runs one refresh, not two, and the timer does not run another", () => {
    const h = harness(AUTH0, { ...KEPT, provider: AUTH0.name });
    h.pairing.begin();
    h.last().answer(401, '{"error":"invalid_token"}');
    expect(path(h.last())).toBe("POST /oauth/token refresh r1");
    h.last().answer(503, "");
    expect(h.screens[h.screens.length - 1].kind).toBe("offline");
    h.pairing.press();
    expect(h.sent.map(path)).toEqual(["GET /userinfo", "POST /oauth/token refresh r1", "POST /oauth/token refresh r1"]);
    vi.advanceTimersByTime(120000);
    // the retry timer went with the press: still one refresh open, nothing more sent
    expect(h.sent.length).toBe(3);
    h.last().answer(200, '{"access_token":"a2","refresh_token":"r2","expires_in":3600}');
    expect(h.flash()).toMatchObject({ access: "a2", refresh: "r2" });
    h.last().answer(200, '{"name":"Ann"}');
    expect(h.screens[h.screens.length - 1]).toEqual({ kind: "paired", account: "Ann" });
    // a press while paired does nothing
    h.pairing.press();
    expect(h.sent.length).toBe(4);
  });

  it("a 401 for a token just refreshed: pairs again instead of refreshing in a loop", () => {
    const h = harness(AUTH0, { ...KEPT, provider: AUTH0.name });
    h.pairing.begin();
    h.last().answer(401, "");
    h.last().answer(200, '{"access_token":"a2","refresh_token":"r2","expires_in":3600}');
    h.last().answer(401, "");
    expect(h.sent.map(path)).toEqual(["GET /userinfo", "POST /oauth/token refresh r1", "GET /userinfo", "POST /oauth/device/code"]);
    expect(h.flash()).toBeNull();
  });

  it("a refresh answer without a refresh token keeps the old one (RFC 6749 §6)", () => {
    const h = harness(AUTH0, { ...KEPT, provider: AUTH0.name });
    h.pairing.begin();
    h.last().answer(401, "");
    h.last().answer(200, '{"access_token":"a2","expires_in":3600}');
    expect(h.flash()).toMatchObject({ access: "a2", refresh: "r1" });
  });

  it("refreshes at 90% of the token's life even with no userinfo endpoint to ask", () => {
    const h = harness(NO_USERINFO, { ...KEPT, provider: NO_USERINFO.name, expiresIn: 1000 });
    h.pairing.begin();
    expect(h.sent).toEqual([]);
    vi.advanceTimersByTime(899000);
    expect(h.sent).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(h.sent.map(path)).toEqual(["POST /t refresh r1"]);
    h.last().answer(200, '{"access_token":"a2","refresh_token":"r2","expires_in":1000}');
    expect(h.flash()).toMatchObject({ access: "a2", refresh: "r2" });
    vi.advanceTimersByTime(900000);
    expect(h.sent.map(path)).toEqual(["POST /t refresh r1", "POST /t refresh r2"]);
  });

  it("writes the token only when it changed: not for an account check that finds the same name, nor a refresh that brings the same tokens", () => {
    // a token of unknown life: the account is looked at every ACCOUNT_EVERY
    const h = harness(AUTH0, { ...KEPT, provider: AUTH0.name, expiresIn: 0 });
    h.pairing.begin();
    h.last().answer(200, '{"name":"Ann"}');
    vi.advanceTimersByTime(ACCOUNT_EVERY);
    h.last().answer(200, '{"name":"Ann"}');
    expect(h.writes()).toBe(0);
    vi.advanceTimersByTime(ACCOUNT_EVERY);
    h.last().answer(200, '{"name":"Ann Bell"}');
    expect(h.sent.map(path)).toEqual(["GET /userinfo", "GET /userinfo", "GET /userinfo"]);
    expect(h.writes()).toBe(1);
    expect(h.flash()).toMatchObject({ account: "Ann Bell" });

    const r = harness(NO_USERINFO, { ...KEPT, provider: NO_USERINFO.name, expiresIn: 1000 });
    r.pairing.begin();
    vi.advanceTimersByTime(900000);
    r.last().answer(200, '{"access_token":"a1","refresh_token":"r1","expires_in":1000}');
    expect(r.writes()).toBe(0);
    vi.advanceTimersByTime(900000);
    expect(r.sent.map(path)).toEqual(["POST /t refresh r1", "POST /t refresh r1"]);
    r.last().answer(200, '{"access_token":"a2","refresh_token":"r1","expires_in":1000}');
    expect(r.writes()).toBe(1);
    expect(r.flash()).toMatchObject({ access: "a2", refresh: "r1" });
  });

  it("a rotated refresh token that flash did not keep stays in memory, is written again, and survives a WiFi drop", () => {
    const h = harness(AUTH0, { ...KEPT, provider: AUTH0.name });
    h.pairing.begin();
    h.last().answer(401, "");
    h.breakFlash(true);
    h.last().answer(200, '{"access_token":"a2","refresh_token":"r2","expires_in":3600}');
    expect(h.flash()).toMatchObject({ refresh: "r1" });
    h.last().answer(200, '{"name":"Ann"}');
    // WiFi drops and comes back: the newest token is the one in memory
    h.pairing.stop();
    h.breakFlash(false);
    h.pairing.begin();
    expect(h.flash()).toMatchObject({ access: "a2", refresh: "r2" });
    expect(h.last().r.headers).toEqual({ Authorization: "Bearer a2" });
  });
});

describe("pairing", () => {
  it("a denial, then a press: a new code with the automatic renewals afresh", () => {
    const h = harness(AUTH0, null);
    h.pairing.begin();
    h.last().answer(200, '{"device_code":"d1","user_code":"U1","verification_uri":"https://v","expires_in":60,"interval":5}');
    vi.advanceTimersByTime(5000);
    h.last().answer(403, '{"error":"access_denied"}');
    expect(h.screens[h.screens.length - 1]).toEqual({ kind: "denied" });
    vi.advanceTimersByTime(600000);
    expect(h.sent.length).toBe(2);
    h.pairing.press();
    expect(path(h.last())).toBe("POST /oauth/device/code");
  });

  it("a poll in flight when the code runs out: its answer still counts if it brings the token", () => {
    const h = harness(AUTH0, null);
    h.pairing.begin();
    h.last().answer(200, '{"device_code":"d1","user_code":"U1","verification_uri":"https://v","expires_in":20,"interval":5}');
    vi.advanceTimersByTime(5000);
    expect(h.sent.length).toBe(2);
    // the poll is slow; the code's end (19 s) passes while it is out
    vi.advanceTimersByTime(15000);
    expect(h.sent.length).toBe(2);
    h.last().answer(200, '{"access_token":"a","expires_in":60}');
    expect(h.flash()).toMatchObject({ access: "a" });
    expect(h.screens[h.screens.length - 1]).toEqual({ kind: "approved" });
  });

  it("a pending answer to a poll in flight when the code runs out: a new code, no more polls of the old", () => {
    const h = harness(AUTH0, null);
    h.pairing.begin();
    h.last().answer(200, '{"device_code":"d1","user_code":"U1","verification_uri":"https://v","expires_in":20,"interval":5}');
    vi.advanceTimersByTime(20000);
    h.last().answer(400, '{"error":"authorization_pending"}');
    expect(h.sent.map(path)).toEqual(["POST /oauth/device/code", "POST /oauth/token", "POST /oauth/device/code"]);
  });

  it("provider errors: an OAuth code is named, the rest in words; a press starts again", () => {
    const h = harness(AUTH0, null);
    h.pairing.begin();
    h.last().answer(401, '{"error":"invalid_client"}');
    expect(h.screens[h.screens.length - 1]).toEqual({ kind: "error", reason: "Provider said invalid_client", hint: "Press to try again" });
    h.pairing.press();
    h.last().answer(404, "<html>");
    expect(h.screens[h.screens.length - 1]).toEqual({ kind: "error", reason: "Server answered HTTP 404", hint: "Press to try again" });
  });
});
