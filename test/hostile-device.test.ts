// Issue 19: the simulated device facing a hostile server (test/support/hostile-server.ts), one
// scenario per class of the issue, each for 10 minutes of board time (the board's clock is
// fast-forwarded, HTTP settled between its timers). Each must end with no uncaught error, no
// more than one request per interval, flash written at most once per real change of the
// token, and a screen a person understands.
import { afterEach, describe, expect, it } from "vitest";
import { LIMITS } from "../firmware/pairing/profile.ts";
import { MIN_REFRESH_EVERY } from "../firmware/pairing/flow.ts";
import { TOKEN_SLOTS } from "../firmware/store/token.ts";
import { Board } from "../host-sim/board.ts";
import { SIM_NETWORK } from "../host-sim/cli.ts";
import { Flash } from "../host-sim/storage.ts";
import { hugeHead, startHostileServer, type HostileServer, type Scenario, type Seen } from "./support/hostile-server.ts";
import { bootDevice, keptToken, type Device } from "./support/pairing.ts";

const TEN_MINUTES = 600000;
const open: { d: Device; server: HostileServer }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.d.close();
    await o.server.close();
  }
});

/** A device paired against `scenario`'s server (endpoints /device, /token, /userinfo), booted. */
async function face(scenario: Scenario, flash?: Flash): Promise<{ d: Device; server: HostileServer; board: Board }> {
  const board = new Board({ flash });
  const server = await startHostileServer(scenario, () => board.clock.now);
  const config = {
    wifi: { ...SIM_NETWORK },
    provider: "rfc8628",
    clientId: "c",
    endpoints: { device: server.url + "/device", token: server.url + "/token", userinfo: server.url + "/userinfo" },
  };
  const d = await bootDevice(board, config, server);
  open.push({ d, server });
  return { d, server, board };
}

/** Token slot writes so far. */
const tokenWrites = (board: Board) => board.flash.log.filter((e) => e.op === "write" && TOKEN_SLOTS.includes(e.name)).length;

/** What must hold after any scenario: nothing uncaught, requests to one endpoint at least `gap` ms apart. */
function healthy(board: Board, server: HostileServer, gap = LIMITS.minInterval * 1000): void {
  expect(board.uncaught).toEqual([]);
  const by: Record<string, Seen[]> = {};
  for (const s of server.seen) (by[s.endpoint] ||= []).push(s);
  for (const list of Object.values(by)) for (let k = 1; k < list.length; k++) expect(list[k].at - list[k - 1].at, list[k].endpoint).toBeGreaterThanOrEqual(gap);
  // no request ever carried a line of the server's making
  for (const s of server.seen) expect(s.raw).not.toMatch(/X-Injected/i);
}

describe("a hostile server, 10 minutes of board time each", () => {
  it("1. a head of 150 header lines of 1000 bytes on every start: refused at once, said on screen, sockets closed", async () => {
    const { d, server, board } = await face({ answer: (e) => (e === "start" ? { raw: hugeHead() } : undefined) });
    await d.run(TEN_MINUTES);
    healthy(board, server);
    expect(d.current()!.screen).toBe("offline");
    expect(d.current()!.texts[0]).toBe("Broken reply from the server");
    // each start was refused on its head, not waited out (15 s), and its socket closed
    const starts = d.requests().filter((r) => r.url.endsWith("/device"));
    expect(starts.length).toBeGreaterThanOrEqual(10);
    for (const r of board.net.log) expect(r.doneAt! - r.at).toBeLessThan(1000);
    expect(server.open()).toBe(0);
  });

  it("2. a server that never answers: every request given up on is closed; at most one socket open", async () => {
    let most = 0;
    const { d, server, board } = await face({
      answer: (_e, _n, _seen, s) => {
        most = Math.max(most, s.open());
        return { hold: true };
      },
    });
    await d.run(TEN_MINUTES);
    healthy(board, server);
    // the screen: waiting to try again, or trying (a request may be out at the tenth minute)
    const offline = d.screens.filter((s) => s.screen === "offline");
    expect(offline.length).toBeGreaterThanOrEqual(8);
    expect(offline.every((s) => s.texts[0] === "No reply from the server")).toBe(true);
    expect(["offline", "requesting"]).toContain(d.current()!.screen);
    expect(server.count).toBeGreaterThanOrEqual(8);
    expect(most).toBe(1);
    // the last one may still be waiting its 15 s out; none before it is open
    expect(server.open()).toBeLessThanOrEqual(1);
    expect(board.net.log.filter((r) => r.doneAt === undefined).length).toBeLessThanOrEqual(1);
  });

  it("3. a token with CR/LF in it: refused before it is kept or sent; the screen says why", async () => {
    const { d, server, board } = await face({ token: () => ({ access_token: "tok\r\nX-Injected: 1\r\nHost: evil.example" }) });
    await d.until("code", 60000);
    server.approve();
    await d.run(TEN_MINUTES);
    healthy(board, server);
    expect(d.current()).toMatchObject({ screen: "error", texts: ["Server sent an unusable token", "Press to try again"] });
    expect(keptToken(board.flash)).toBeUndefined();
    expect(server.seen.filter((s) => s.endpoint === "userinfo")).toEqual([]);
  });

  it("3. a crafted record in flash with CR/LF in its token: not sent; the device pairs anew", async () => {
    const flash = new Flash();
    const text = JSON.stringify({ seq: 1, provider: "rfc8628", clientId: "c", access: "t\r\nX-Injected: 1", refresh: "", obtained: 0, expiresIn: 0, account: "" });
    const { crc32 } = await import("node:zlib");
    flash.set(TOKEN_SLOTS[0], text + crc32(Buffer.from(text, "latin1")).toString(16).padStart(8, "0"));
    const { d, server, board } = await face({}, flash);
    await d.run(TEN_MINUTES);
    healthy(board, server);
    expect(server.seen.filter((s) => s.endpoint === "userinfo")).toEqual([]);
    expect(d.current()).toMatchObject({ screen: "code" });
  });

  it("4. interval 0.001: at most one poll a second", async () => {
    const { d, server, board } = await face({ grant: { interval: 0.001 } });
    await d.run(TEN_MINUTES);
    healthy(board, server);
    const polls = server.seen.filter((s) => s.endpoint === "poll").length;
    expect(polls).toBeGreaterThan(500);
    expect(polls).toBeLessThanOrEqual(TEN_MINUTES / 1000);
    expect(d.current()).toMatchObject({ screen: "code" });
  });

  it("5. expires_in 1 on every token: refreshed (and written) at most once a minute", async () => {
    const { d, server, board } = await face({ token: () => ({ expires_in: 1 }) });
    await d.until("code", 60000);
    server.approve();
    await d.until("paired", 60000);
    const writes = tokenWrites(board);
    await d.run(TEN_MINUTES);
    healthy(board, server, MIN_REFRESH_EVERY);
    const refreshes = server.seen.filter((s) => s.endpoint === "refresh").length;
    expect(refreshes).toBeGreaterThanOrEqual(9);
    expect(refreshes).toBeLessThanOrEqual(TEN_MINUTES / MIN_REFRESH_EVERY);
    // one write a new token (each refresh brings one), no more
    expect(tokenWrites(board) - writes).toBeLessThanOrEqual(refreshes);
    expect(d.current()).toMatchObject({ screen: "paired", texts: ["Ann"] });
  });

  it("6. Retry-After of 70 digits on every start: a bounded wait on screen, then a retry", async () => {
    const huge = "9".repeat(70);
    const { d, server, board } = await face({ answer: (e) => (e === "start" ? { status: 503, json: { error: "temporarily_unavailable" }, headers: [["Retry-After", huge]] } : undefined) });
    await d.run(TEN_MINUTES + 30000);
    healthy(board, server);
    const starts = server.seen.filter((s) => s.endpoint === "start");
    expect(starts.map((s) => s.at - starts[0].at)).toEqual([0, LIMITS.maxWait * 1000]);
    expect(d.current()!.screen).toBe("offline");
    expect(d.current()!.texts[0]).toBe("Server answered temporarily_unavailable");
  });

  it("6. slow_down with a huge interval and 429s with a huge Retry-After while polling: the code stays, polls go on", async () => {
    const { d, server, board } = await face({
      grant: { expires_in: 3600 },
      answer: (e, n) =>
        e !== "poll" ? undefined : n % 2 ? { status: 400, json: { error: "slow_down", interval: 1e300 } } : { status: 429, json: {}, headers: [["Retry-After", "1" + "0".repeat(40)]] },
    });
    await d.run(TEN_MINUTES * 2);
    healthy(board, server);
    const polls = server.seen.filter((s) => s.endpoint === "poll");
    expect(polls.length).toBeGreaterThanOrEqual(3);
    for (let k = 1; k < polls.length; k++) expect(polls[k].at - polls[k - 1].at).toBeLessThanOrEqual(LIMITS.maxWait * 1000);
    expect(d.current()!.screen).toBe("code");
  });

  it("6. userinfo 503 with Retry-After of 70 digits while paired: still paired, asked again within the bound", async () => {
    const { d, server, board } = await face({ answer: (e, n) => (e === "userinfo" && n > 1 ? { status: 503, json: {}, headers: [["Retry-After", "9".repeat(70)]] } : undefined) });
    await d.until("code", 60000);
    server.approve();
    await d.until("paired", 60000);
    await d.run(TEN_MINUTES * 6);
    healthy(board, server);
    const asks = server.seen.filter((s) => s.endpoint === "userinfo");
    expect(asks.length).toBeGreaterThanOrEqual(3);
    expect(d.current()).toMatchObject({ screen: "paired", texts: ["Ann"] });
  });

  it("7. a UTF-8 account name: kept in flash as it came, the same after a reboot, written once", async () => {
    const { d, server, board } = await face({ name: "Jos\u00e9" });
    await d.until("code", 60000);
    server.approve();
    const paired = await d.until("paired", 60000);
    await d.run(TEN_MINUTES);
    healthy(board, server);
    // the token, then the account's name: two writes, none after
    expect(tokenWrites(board)).toBe(2);
    const kept = keptToken(board.flash)!;
    expect(kept).toContain('"account":"Jos\\u00C3\\u00A9"');
    // power off and on: the same name from flash, no new pairing
    const texts = paired.texts;
    board.powerOff();
    const again = new Board({ flash: board.flash });
    const d2 = await bootDevice(again, {}, server, false);
    const back = await d2.until("paired", 60000);
    await d2.close();
    expect(back.texts).toEqual(texts);
    expect(again.uncaught).toEqual([]);
  });

  it("8. a javascript: link and a user code with CR/LF/BEL: no QR of the link; a code that cannot be drawn is an error", async () => {
    const js = "javascript:alert(document.cookie)";
    const { d, server, board } = await face({ grant: { verification_uri_complete: js } });
    const code = await d.until("code", 60000);
    expect(code.texts).not.toContain(js);
    expect(code.texts.slice(0, 2)).toEqual(["HOST-ILE1", server.url + "/activate"]);
    healthy(board, server);
    const bad = await face({ grant: { user_code: "AB\r\nCD\u0007" } });
    await bad.d.run(TEN_MINUTES);
    healthy(bad.board, bad.server);
    expect(bad.d.current()).toMatchObject({ screen: "error", texts: ["Broken reply from the server", "Press to try again"] });
    expect(bad.server.seen.map((s) => s.endpoint)).toEqual(["start"]);
  });
});
