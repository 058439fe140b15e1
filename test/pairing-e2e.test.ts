// End to end: the flashed bundle on the simulated board pairs with each mock provider over
// real loopback HTTP, on the board's own clock. Every test asserts the requests the device
// made, in order and with their spacing: no poll early, none after success.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LONG_PRESS } from "../firmware/store/config.ts";
import { TOKEN_SLOTS } from "../firmware/store/token.ts";
import { startMockProviders, type MockProviders, type ProviderKind } from "../host-sim/providers/index.ts";
import { keptToken, noTokenSlots, startDevice, type Device } from "./support/pairing.ts";

let device: Device | undefined;
afterEach(async () => {
  if (device) await device.close();
  device = undefined;
});

/** The device's requests to one endpoint: the path after the provider's base, without the query. */
function calls(d: Device, path: RegExp): { at: number; status: number | undefined; error?: string }[] {
  const base = d.mock.base(d.kind);
  return d
    .requests()
    .filter((r) => r.url.startsWith(base) && path.test(r.url.slice(base.length).split("?")[0]))
    .map((r) => ({ at: r.at, status: r.status, error: r.error }));
}

const START: Record<ProviderKind, RegExp> = { simkl: /^\/oauth\/pin$/, kinde: /^\/oauth2\/device\/auth$/, auth0: /^\/oauth\/device\/code$/ };
const POLL: Record<ProviderKind, RegExp> = { simkl: /^\/oauth\/pin\/[^/]+$/, kinde: /^\/oauth2\/token$/, auth0: /^\/oauth\/token$/ };
const ACCOUNT: Record<ProviderKind, RegExp> = { simkl: /^\/users\/settings$/, kinde: /^\/oauth2\/v2\/user_profile$/, auth0: /^\/userinfo$/ };

/** Gaps between consecutive times. */
const gaps = (xs: { at: number }[]): number[] => xs.slice(1).map((x, i) => x.at - xs[i].at);

async function codeOnScreen(d: Device): Promise<string> {
  const s = await d.until("code");
  return s.texts[0];
}

for (const kind of ["simkl", "kinde", "auth0"] as ProviderKind[]) {
  describe(`${kind}: pairing end to end`, () => {
    it("approve: polls at the interval from one interval after the code, stores the token first, shows the account, never polls again", async () => {
      const d = (device = await startDevice({ kind }));
      const code = await codeOnScreen(d);
      const shownAt = d.board.clock.now;
      await d.run(12000);
      expect(d.mock.provider(kind).approve(code, { who: "Alice Example" })).toBe(true);
      const writes: { file: string; requests: number }[] = [];
      d.board.flash.onChange = (op, file) => writes.push({ file, requests: d.requests().length });
      const paired = await d.until("paired", 60000);
      expect(paired.texts).toEqual(["Alice Example"]);
      const polls = calls(d, POLL[kind]);
      expect(polls.length).toBe(3);
      expect(polls[0].at - shownAt).toBe(5000);
      expect(gaps(polls)).toEqual([5000, 5000]);
      // the token reached flash before the account's API was asked anything
      const firstAccount = d.requests().findIndex((r) => ACCOUNT[kind].test(r.url.slice(d.mock.base(kind).length).split("?")[0]));
      expect(writes[0]).toEqual({ file: TOKEN_SLOTS[0], requests: firstAccount });
      // an hour later: no poll, the account looked at twice more
      await d.run(3600000);
      expect(calls(d, POLL[kind]).length).toBe(3);
      expect(d.mock.requests.filter((r) => r.outcome === "poll_after_success")).toEqual([]);
      expect(calls(d, ACCOUNT[kind]).length).toBe(3);
      expect(calls(d, START[kind]).length).toBe(1);
      expect(d.board.uncaught).toEqual([]);
    });

    // (Simkl has no denial: see "the code is gone" below)
    if (kind !== "simkl") it("deny: says so, stops polling, and a press brings a new code", async () => {
      const d = (device = await startDevice({ kind }));
      const code = await codeOnScreen(d);
      await d.run(6000);
      d.mock.provider(kind).deny(code);
      await d.until("denied", 60000);
      const polls = calls(d, POLL[kind]).length;
      await d.run(600000);
      expect(calls(d, POLL[kind]).length).toBe(polls);
      d.board.button.click();
      const again = await codeOnScreen(d);
      expect(again).not.toBe(code);
      expect(calls(d, START[kind]).length).toBe(2);
    });

    it("expiry: a new code by itself three times, then waits for a press; nothing polled past expires_in", async () => {
      const d = (device = await startDevice({ kind, mockOptions: { expiresIn: 60 } }));
      await codeOnScreen(d);
      await d.until("expired", 10 * 60000);
      const starts = calls(d, START[kind]);
      expect(starts.length).toBe(4);
      // each code is given up a second before its end (DEADLINE_MARGIN), none polled at or after it
      expect(gaps(starts)).toEqual([59000, 59000, 59000]);
      // each code: polls at 5, 10, … 55 s after it came
      const polls = calls(d, POLL[kind]);
      expect(polls.length).toBe(4 * 11);
      for (const p of polls) {
        const code = starts.filter((s) => s.at <= p.at).pop()!;
        expect(p.at - code.at).toBeGreaterThanOrEqual(5000);
        expect(p.at - code.at).toBeLessThan(59000);
      }
      await d.run(600000);
      expect(calls(d, START[kind]).length).toBe(4);
      d.board.button.click();
      await codeOnScreen(d);
      expect(calls(d, START[kind]).length).toBe(5);
    });

    it("slow_down: 5 s more from then on (RFC 8628 §3.5)", async () => {
      const d = (device = await startDevice({ kind }));
      d.mock.provider(kind).fault({ on: "poll", kind: "slow_down" });
      await codeOnScreen(d);
      await d.run(40000);
      const polls = calls(d, POLL[kind]);
      expect(gaps(polls.slice(0, 4))).toEqual([10000, 10000, 10000]);
      expect(d.mock.requests.filter((r) => r.outcome === "slow_down").length).toBe(1);
    });

    it("a reply slower than the device's timeout, a 503 and a dropped connection: backs off and keeps polling", async () => {
      const d = (device = await startDevice({ kind }));
      const p = d.mock.provider(kind);
      p.fault({ on: "poll", kind: "hold" });
      p.fault({ on: "poll", kind: "status", status: 503 });
      p.fault({ on: "poll", kind: "drop" });
      const code = await codeOnScreen(d);
      await d.run(5000 + 15000 + 10000 + 20000 + 40000 + 1);
      const polls = calls(d, POLL[kind]);
      // 5 s: held → timeout at 20 s; +10 s: 503; +20 s: dropped; +40 s: pending; +5 s
      expect(polls.map((x) => x.at - polls[0].at)).toEqual([0, 25000, 45000, 85000]);
      expect(polls[1].status).toBe(503);
      expect(d.current()!.screen).toBe("code");
      p.approve(code);
      await d.until("paired", 60000);
    });

    it("a reboot after pairing comes back paired, without a new code", async () => {
      const d = (device = await startDevice({ kind }));
      const code = await codeOnScreen(d);
      d.mock.provider(kind).approve(code, { who: "Bea" });
      await d.until("paired", 60000);
      const starts = calls(d, START[kind]).length;
      d.board.reboot();
      const again = await d.until("paired", 60000);
      expect(again.texts).toEqual(["Bea"]);
      expect(calls(d, START[kind]).length).toBe(starts);
    });
  });
}

describe("Simkl: the code is gone", () => {
  it("a poll answered with a new code's reply (device_code): stops polling the old code, starts over with a fresh one", async () => {
    // Simkl has no denial: a code refused on its page is dropped, and polling a code Simkl no
    // longer knows falls through to creating a new one (api.simkl.org, check-pin)
    const d = (device = await startDevice({ kind: "simkl" }));
    const code = await codeOnScreen(d);
    await d.run(6000);
    d.mock.provider("simkl").deny(code);
    const next = await codeOnScreen(d);
    expect(next).not.toBe(code);
    // the mock answers a dropped (denied) code with a new code's reply, as Simkl does an unknown one
    const gone = d.mock.requests.filter((r) => r.endpoint === "poll" && r.outcome === "denied");
    expect(gone.length).toBe(1);
    await d.run(30000);
    // the old code was polled once more (the reply that said it was gone) and never again
    const oldPolls = d.mock.requests.filter((r) => r.endpoint === "poll" && r.path.toUpperCase().endsWith(code));
    expect(oldPolls.length).toBe(2);
    expect(d.screens.map((s) => s.screen)).not.toContain("denied");
    expect(calls(d, START.simkl).length).toBe(2);
  });
});

describe("401 from the account's API", () => {
  it("Simkl (no refresh token): forgets the token and pairs again", async () => {
    const d = (device = await startDevice({ kind: "simkl" }));
    d.mock.provider("simkl").approve(await codeOnScreen(d));
    await d.until("paired", 60000);
    d.mock.provider("simkl").revokeAll();
    await d.until("code", 31 * 60000);
    expect(noTokenSlots(d.board.flash)).toBe(true);
    expect(calls(d, ACCOUNT.simkl).map((c) => c.status)).toEqual([200, 401]);
  });

  it("Auth0 with offline_access: refreshes (RFC 6749 §6), keeps a rotated refresh token, and re-pairs on invalid_grant", async () => {
    const d = (device = await startDevice({ kind: "auth0", mockOptions: { rotateRefresh: true } }));
    const p = d.mock.provider("auth0");
    p.approve(await codeOnScreen(d));
    await d.until("paired", 60000);
    const first = p.tokens().find((t) => t.type === "access" && !t.revoked)!;
    p.revoke(first.value);
    await d.run(31 * 60000);
    const refreshes = d.mock.requests.filter((r) => r.endpoint === "refresh");
    expect(refreshes.map((r) => r.outcome)).toEqual(["refreshed"]);
    expect(d.current()!.screen).toBe("paired");
    // the rotated refresh token is the one kept
    const live = p.tokens().filter((t) => t.type === "refresh" && !t.revoked && !t.rotated);
    expect(live.length).toBe(1);
    expect(keptToken(d.board.flash)).toContain(live[0].value);
    // every token revoked: the refresh is refused, the device pairs again
    p.revokeAll();
    await d.until("code", 31 * 60000);
    expect(d.mock.requests.filter((r) => r.endpoint === "refresh").map((r) => r.outcome)).toEqual(["refreshed", "invalid_grant"]);
    expect(noTokenSlots(d.board.flash)).toBe(true);
  });
});

describe("damaged replies while polling (Auth0's shape)", () => {
  it("429 with Retry-After: waits what the server asks, then back to the interval", async () => {
    const d = (device = await startDevice({ kind: "auth0" }));
    d.mock.provider("auth0").fault({ on: "poll", kind: "retry_after", status: 429, retryAfter: 30 });
    await codeOnScreen(d);
    await d.run(50000);
    const polls = calls(d, POLL.auth0);
    expect(polls[0].status).toBe(429);
    expect(gaps(polls).slice(0, 3)).toEqual([30000, 5000, 5000]);
  });

  it("a truncated, a malformed and a 1 MB body: each is no answer (back off), and the code still pairs", async () => {
    const d = (device = await startDevice({ kind: "auth0" }));
    const p = d.mock.provider("auth0");
    for (const kind of ["truncate", "malformed", "huge"] as const) p.fault({ on: "poll", kind });
    const code = await codeOnScreen(d);
    await d.run(5000 + 10000 + 20000 + 40000 + 1);
    const polls = calls(d, POLL.auth0);
    // 5 s, then 10, 20 and 40 s of back-off, then the interval again
    expect(polls.map((x) => x.at - polls[0].at)).toEqual([0, 10000, 30000, 70000]);
    expect(d.mock.requests.filter((r) => r.endpoint === "poll").map((r) => r.fault || r.outcome)).toEqual(["truncate", "malformed", "huge", "pending"]);
    // the code stayed up, with a note while replies were bad
    expect(d.screens.filter((s) => s.screen === "code").map((s) => s.texts[s.texts.length - 1])).toContain("Network trouble");
    expect(d.current()!.screen).toBe("code");
    p.approve(code);
    await d.until("paired", 60000);
    // the malformed reply's token was never used: the one the approval gave is the one kept
    const issued = p.tokens().find((t) => t.type === "access" && !t.revoked)!;
    expect(keptToken(d.board.flash)).toContain(issued.value);
    expect(d.board.uncaught).toEqual([]);
  });

  it("the device authorization request failing: a screen that says so, retries at 5, 10, 20 s, then the code", async () => {
    const d = (device = await startDevice({ kind: "kinde" }));
    const p = d.mock.provider("kinde");
    p.fault({ on: "start", kind: "status", status: 502, times: 2 });
    p.fault({ on: "start", kind: "drop" });
    await d.until("offline");
    expect(d.current()!.texts).toEqual(["Server answered HTTP 502"]);
    await codeOnScreen(d);
    const starts = calls(d, START.kinde);
    expect(gaps(starts)).toEqual([5000, 10000, 20000]);
  });
});

describe("config and provider errors", () => {
  it("a provider that refuses the client: the error on screen, no retry until a press", async () => {
    const d = (device = await startDevice({ kind: "simkl", config: { clientId: "" } }));
    await d.until("setup", 10000);
    expect(d.current()!.texts).toEqual(["clientId missing"]);
    expect(d.requests()).toEqual([]);
  });
});

describe("refresh (RFC 6749 §6) end to end", () => {
  it("Auth0: at 90% of the token's life, without waiting for a 401", async () => {
    const d = (device = await startDevice({ kind: "auth0", mockOptions: { tokenLifetime: 600 } }));
    const p = d.mock.provider("auth0");
    p.approve(await codeOnScreen(d));
    const paired = await d.until("paired", 60000);
    await d.run(600000);
    const refresh = d.mock.requests.filter((r) => r.endpoint === "refresh");
    expect(refresh.map((r) => r.outcome)).toEqual(["refreshed"]);
    // requested when the device had held the token 540 s (the token came just before "approved")
    const approvedAt = d.screens.find((s) => s.screen === "approved")!.at;
    expect(refresh[0].at - approvedAt).toBe(540000);
    expect(paired.texts.length).toBe(1);
    expect(calls(d, ACCOUNT.auth0).every((c) => c.status === 200)).toBe(true);
  });

  it("Kinde: a refresh that fails on the network is tried again later and loses nothing", async () => {
    const d = (device = await startDevice({ kind: "kinde" }));
    const p = d.mock.provider("kinde");
    p.approve(await codeOnScreen(d));
    await d.until("paired", 60000);
    const before = keptToken(d.board.flash);
    p.revoke(p.tokens().find((t) => t.type === "access" && !t.revoked)!.value);
    p.fault({ on: "refresh", kind: "drop" });
    p.fault({ on: "refresh", kind: "status", status: 503 });
    await d.until("offline", 31 * 60000);
    // nothing was lost while the refresh could not get through
    expect(keptToken(d.board.flash)).toBe(before);
    await d.until("paired", 60000);
    const refresh = d.mock.requests.filter((r) => r.endpoint === "refresh");
    expect(refresh.map((r) => r.fault || r.outcome)).toEqual(["drop", "status", "refreshed"]);
    expect(gaps(refresh)).toEqual([5000, 10000]);
    expect(keptToken(d.board.flash)).not.toBe(before);
  });
});

describe("the button", () => {
  it("held 3 s while paired: forgets the token and pairs again; a shorter hold does nothing", async () => {
    const d = (device = await startDevice({ kind: "kinde" }));
    d.mock.provider("kinde").approve(await codeOnScreen(d));
    await d.until("paired", 60000);
    d.board.button.hold(2000);
    await d.run(10000);
    expect(d.current()!.screen).toBe("paired");
    expect(keptToken(d.board.flash)).toBeDefined();
    d.board.button.press();
    // LONG_PRESS after the debounced edge (50 ms)
    await d.run(LONG_PRESS);
    expect(keptToken(d.board.flash)).toBeDefined();
    await d.run(50);
    expect(noTokenSlots(d.board.flash)).toBe(true);
    d.board.button.release();
    await d.run(1000);
    expect(d.current()!.screen).toBe("code");
    expect(calls(d, START.kinde).length).toBe(2);
  });
});
