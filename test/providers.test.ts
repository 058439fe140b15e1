// host-sim/providers: the mock Simkl, Kinde and Auth0 device flow providers, driven over loopback
// with Node's fetch and, where the bytes on the wire are the point (faults), a raw socket.
import { connect, type Socket } from "node:net";
import { PNG } from "pngjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HUGE_BYTES, startMockProviders, type MockProviders, type MockOptions } from "../host-sim/providers/index.ts";

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const BASE20 = /^[BCDFGHJKLMNPQRSTVWXZ]+$/;

let t = 0;
let mock: MockProviders;

async function restart(opts: MockOptions = {}): Promise<void> {
  await mock?.close();
  t = 1_000_000;
  mock = await startMockProviders({ now: () => t, ...opts });
}

beforeEach(() => restart());
afterEach(() => mock.close());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function answer(r: Response): Promise<Answer> {
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: r.status, headers: r.headers, text, body };
}

const get = async (url: string, headers?: Record<string, string>) => answer(await fetch(url, { headers }));
const post = async (url: string, form: Record<string, string>, headers?: Record<string, string>) =>
  answer(await fetch(url, { method: "POST", body: new URLSearchParams(form), headers }));

/** A person on the approval page: GET it (prefilled or not), then POST the form back as a browser would. */
async function onPage(pageUrl: string, action: "approve" | "deny", typed?: string, who?: string) {
  const html = await (await fetch(pageUrl)).text();
  const formAction = /<form method="post" action="([^"]+)"/.exec(html)![1];
  const prefilled = /name="user_code" value="([^"]*)"/.exec(html)![1];
  const fields: Record<string, string> = { user_code: typed ?? prefilled, action };
  if (who !== undefined) fields.who = who;
  const r = await post(new URL(formAction, pageUrl).href, fields);
  return { html, prefilled, status: r.status, text: r.text };
}

/** Wait (not a timing assertion) until a condition holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
}

function rawRequest(method: string, path: string, body?: string): string {
  return (
    method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + new URL(mock.url).port + "\r\nConnection: close\r\n" +
    (body === undefined ? "" : "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + Buffer.byteLength(body) + "\r\n") +
    "\r\n" + (body ?? "")
  );
}

/** Open a socket, send one request, collect every byte until the server closes. */
function rawOpen(method: string, path: string, body?: string): { socket: Socket; bytes: () => Buffer; closed: Promise<Buffer> } {
  const socket = connect(Number(new URL(mock.url).port), "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.on("error", () => {}); // a dropped connection may reset; "close" follows
  const closed = new Promise<Buffer>((resolve) => socket.on("close", () => resolve(Buffer.concat(chunks))));
  socket.write(rawRequest(method, path, body));
  return { socket, bytes: () => Buffer.concat(chunks), closed };
}

function parseRaw(bytes: Buffer): { status: number; headers: Record<string, string>; body: Buffer } {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0) };
  const lines = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
  return { status: Number(lines[0].split(" ")[1]), headers, body: bytes.subarray(end + 4) };
}

const outcomes = (endpoint?: string) => mock.requests.filter((r) => !endpoint || r.endpoint === endpoint).map((r) => r.outcome);

// ---------------------------------------------------------------------------------------------
describe("Simkl PIN flow", () => {
  const client = "?client_id=cid&app-name=codepair&app-version=0.1.0";

  async function startPin() {
    const r = await get(mock.base("simkl") + "/oauth/pin" + client + "&redirect=x");
    return { r, code: r.body.user_code as string, poll: mock.base("simkl") + "/oauth/pin/" + r.body.user_code + client };
  }

  it("starts with the documented shape", async () => {
    const { r } = await startPin();
    const page = mock.base("simkl") + "/pin";
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      result: "OK",
      device_code: "DEVICE_CODE",
      user_code: expect.stringMatching(/^[A-HJ-NP-Z2-9]{5}$/),
      verification_uri: page,
      verification_url: page,
      expires_in: 900,
      interval: 5,
    });
  });

  it("pairs: pending, approved on the page, token, settings; a revoked token answers 401", async () => {
    const { code, poll } = await startPin();
    expect((await get(poll)).body).toEqual({ result: "KO", message: "Authorization pending" });

    // simkl.com/pin/CODE opens prefilled; the person's typing (case, a space) does not matter
    const typed = code.toLowerCase().slice(0, 2) + " " + code.toLowerCase().slice(2);
    const page = await onPage(mock.base("simkl") + "/pin/" + code, "approve", typed, "Bob Tester");
    expect(page.prefilled).toBe(code);
    expect(page.html).not.toMatch(/<script/i);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Device approved");

    t += 5000;
    const done = await get(poll);
    expect(done.body).toEqual({ result: "OK", access_token: expect.any(String) });
    const token: string = done.body.access_token;
    expect(token.length).toBeGreaterThanOrEqual(32);

    const settings = await get(mock.base("simkl") + "/users/settings", { authorization: "Bearer " + token, "simkl-api-key": "cid" });
    expect(settings.status).toBe(200);
    expect(settings.body.user).toMatchObject({ name: "Bob Tester", joined_at: expect.any(String), avatar: expect.any(String) });
    expect(settings.body.account).toEqual({ id: expect.any(Number), timezone: "UTC", type: "free" });
    // the docs' method is POST; both are answered
    expect((await post(mock.base("simkl") + "/users/settings" + client, {}, { authorization: "Bearer " + token })).status).toBe(200);

    mock.provider("simkl").revoke(token);
    const gone = await get(mock.base("simkl") + "/users/settings" + client, { authorization: "Bearer " + token });
    expect(gone.status).toBe(401);
    expect(gone.body).toMatchObject({ error: "user_token_failed", code: 401 });
  });

  it("falls through to a new code after success, and records that poll as a client bug", async () => {
    const { code, poll } = await startPin();
    expect(mock.provider("simkl").approve(code)).toBe(true);
    expect((await get(poll)).body.result).toBe("OK");
    t += 5000;
    const again = await get(poll);
    expect(again.body).toMatchObject({ result: "OK", device_code: "DEVICE_CODE", expires_in: 900 });
    expect(again.body.user_code).not.toBe(code);
    expect(again.body.access_token).toBeUndefined();
    expect(outcomes("poll")).toEqual(["success", "poll_after_success"]);
  });

  it("falls through for an unknown, an expired and a denied code", async () => {
    const unknown = await get(mock.base("simkl") + "/oauth/pin/ZZZZZ" + client);
    expect(unknown.body).toMatchObject({ result: "OK", device_code: "DEVICE_CODE", user_code: expect.any(String) });

    const late = await startPin();
    t += 900_000;
    expect((await get(late.poll)).body.device_code).toBe("DEVICE_CODE");

    const denied = await startPin();
    const page = await onPage(mock.base("simkl") + "/pin?user_code=" + denied.code, "deny");
    expect(page.text).toContain("Denied");
    t += 5000;
    expect((await get(denied.poll)).body.device_code).toBe("DEVICE_CODE");
    expect(outcomes("poll")).toEqual(["unknown_code", "expired", "denied"]);
  });

  it("answers a too-early poll with Slow down and then expects interval + 5", async () => {
    const { poll } = await startPin();
    await get(poll);
    t += 1000;
    expect((await get(poll)).body).toEqual({ result: "KO", message: "Slow down" });
    t += 9000;
    expect((await get(poll)).body.message).toBe("Slow down"); // 9 s < 10 s
    t += 15_000;
    expect((await get(poll)).body.message).toBe("Authorization pending");
    expect(mock.provider("simkl").codes()[0].interval).toBe(15);
  });

  it("refuses a request without client_id (412), and takes it from the simkl-api-key header", async () => {
    const none = await get(mock.base("simkl") + "/oauth/pin");
    expect(none.status).toBe(412);
    expect(none.body).toMatchObject({ error: "client_id_failed", code: 412 });
    expect((await get(mock.base("simkl") + "/oauth/pin", { "simkl-api-key": "cid" })).status).toBe(200);
  });

  it("says so on the page when the code is unknown or expired", async () => {
    const { code } = await startPin();
    t += 900_000;
    const page = await onPage(mock.base("simkl") + "/pin", "approve", code);
    expect(page.status).toBe(400);
    expect(page.text).toContain("Unknown or expired code");
    expect(mock.provider("simkl").approve(code)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe("Kinde (RFC 8628)", () => {
  const start = (scope = "openid profile email offline") => post(mock.base("kinde") + "/oauth2/device/auth", { client_id: "kc", scope });
  const poll = (deviceCode: string) => post(mock.base("kinde") + "/oauth2/token", { grant_type: DEVICE_GRANT, client_id: "kc", device_code: deviceCode });
  const refresh = (token: string) => post(mock.base("kinde") + "/oauth2/token", { grant_type: "refresh_token", client_id: "kc", refresh_token: token });
  const profile = (token: string) => get(mock.base("kinde") + "/oauth2/v2/user_profile", { authorization: "Bearer " + token });

  async function paired(who = "Carol Kinde") {
    const s = await start();
    await onPage(s.body.verification_uri_complete, "approve", undefined, who);
    t += 5000;
    return { s, tokens: (await poll(s.body.device_code)).body };
  }

  it("starts with the documented shape and a valid PNG qr_code", async () => {
    const s = await start();
    const page = mock.base("kinde") + "/device";
    expect(s.status).toBe(200);
    expect(s.body).toEqual({
      device_code: expect.stringMatching(/^kinde_dc_/),
      user_code: expect.stringMatching(BASE20),
      verification_uri: page,
      verification_uri_complete: page + "?user_code=" + s.body.user_code,
      expires_in: 600,
      interval: 5,
      qr_code: expect.stringMatching(/^data:image\/png;base64,/),
    });
    expect(s.body.user_code).toHaveLength(8);
    const png = PNG.sync.read(Buffer.from(s.body.qr_code.slice("data:image/png;base64,".length), "base64"));
    expect([png.width, png.height]).toEqual([8, 8]);
  });

  it("pairs: pending (400), approved on the page, tokens, profile; revoked → 401; polls after success recorded", async () => {
    const s = await start();
    const pending = await poll(s.body.device_code);
    expect(pending.status).toBe(400);
    expect(pending.body).toEqual({ error: "authorization_pending", error_description: "The user has not yet completed the authorization" });

    const page = await onPage(s.body.verification_uri_complete, "approve", undefined, "Carol Kinde");
    expect(page.prefilled).toBe(s.body.user_code);
    expect(page.text).toContain("Device approved");

    t += 5000;
    const ok = await poll(s.body.device_code);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    expect(ok.body).toEqual({
      access_token: expect.any(String),
      expires_in: 86400,
      scope: "",
      token_type: "bearer",
      refresh_token: expect.any(String),
      id_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    });

    const me = await profile(ok.body.access_token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: "Carol Kinde", given_name: "Carol", family_name: "Kinde", email: "carol.kinde@example.com" });
    expect(me.body.id).toBe(me.body.sub);
    const claims = JSON.parse(Buffer.from(ok.body.id_token.split(".")[1], "base64url").toString());
    expect(claims).toMatchObject({ sub: me.body.sub, aud: "kc", name: "Carol Kinde" });

    t += 5000;
    const again = await poll(s.body.device_code);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
    expect(outcomes("poll")).toEqual(["pending", "success", "poll_after_success"]);

    // RFC 7009: 200, and the access token stops working
    const revoked = await post(mock.base("kinde") + "/oauth2/revoke", { token: ok.body.access_token, client_id: "kc" });
    expect([revoked.status, revoked.text]).toEqual([200, ""]);
    const gone = await profile(ok.body.access_token);
    expect(gone.status).toBe(401);
    expect(gone.body).toEqual({ error: "invalid_token", error_description: "The access token is invalid or expired" });
    expect(gone.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  });

  it("always rotates refresh tokens; the old one answers invalid_grant", async () => {
    const { tokens } = await paired();
    const r1 = await refresh(tokens.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: "Bearer", expires_in: 86400 });
    expect(r1.body.refresh_token).not.toBe(tokens.refresh_token);
    const old = await refresh(tokens.refresh_token);
    expect(old.status).toBe(400);
    expect(old.body.error).toBe("invalid_grant");
    expect((await refresh(r1.body.refresh_token)).status).toBe(200);
    expect((await profile(r1.body.access_token)).status).toBe(200);
  });

  it("revoking a refresh token over HTTP also ends the grant's access tokens (RFC 7009 §2.1)", async () => {
    const { tokens } = await paired();
    expect((await post(mock.base("kinde") + "/oauth2/revoke", { token: tokens.refresh_token })).status).toBe(200);
    expect((await profile(tokens.access_token)).status).toBe(401);
    expect((await refresh(tokens.refresh_token)).body.error).toBe("invalid_grant");
  });

  it("gives no refresh token without the offline scope, and access tokens expire", async () => {
    const s = await start("openid");
    mock.provider("kinde").approve(s.body.user_code);
    const ok = await poll(s.body.device_code);
    expect(ok.body.refresh_token).toBeUndefined();
    t += 86_399_000;
    expect((await profile(ok.body.access_token)).status).toBe(200);
    t += 1000;
    expect((await profile(ok.body.access_token)).status).toBe(401);
  });

  it("answers access_denied after a deny and expired_token after expires_in", async () => {
    const s = await start();
    const page = await onPage(s.body.verification_uri_complete, "deny");
    expect(page.text).toContain("Denied");
    expect((await poll(s.body.device_code)).body.error).toBe("access_denied");

    const late = await start();
    t += 600_000;
    const e = await poll(late.body.device_code);
    expect([e.status, e.body.error]).toEqual([400, "expired_token"]);
    t += 5000;
    expect((await poll(late.body.device_code)).body.error).toBe("expired_token");
  });
});

// ---------------------------------------------------------------------------------------------
describe("Auth0-style", () => {
  const start = (form: Record<string, string> = {}) =>
    post(mock.base("auth0") + "/oauth/device/code", { client_id: "ac", scope: "openid profile offline_access", audience: "https://api.example", ...form });
  const poll = (deviceCode: string) => post(mock.base("auth0") + "/oauth/token", { grant_type: DEVICE_GRANT, client_id: "ac", device_code: deviceCode });
  const refresh = (token: string) => post(mock.base("auth0") + "/oauth/token", { grant_type: "refresh_token", client_id: "ac", refresh_token: token });
  const userinfo = (token: string) => get(mock.base("auth0") + "/userinfo", { authorization: "Bearer " + token });

  async function paired() {
    const s = await start();
    mock.provider("auth0").approve(s.body.user_code, { who: "Dave Yoto" });
    return (await poll(s.body.device_code)).body;
  }

  it("starts with the documented shape, a WDJB-MJHT style code", async () => {
    const s = await start();
    const page = mock.base("auth0") + "/activate";
    expect(s.body).toEqual({
      device_code: expect.any(String),
      user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      verification_uri: page,
      verification_uri_complete: page + "?user_code=" + s.body.user_code,
      expires_in: 900,
      interval: 5,
    });
  });

  it("pairs: 403 pending, 429 slow_down then interval + 5, approval, tokens, userinfo; 401 is not JSON", async () => {
    const s = await start();
    const p = await poll(s.body.device_code);
    expect([p.status, p.body]).toEqual([403, { error: "authorization_pending", error_description: "User has yet to authorize device code." }]);
    t += 1000;
    const slow = await poll(s.body.device_code);
    expect([slow.status, slow.body]).toEqual([429, { error: "slow_down", error_description: "You are polling faster than the specified interval of 5 seconds." }]);
    t += 5000;
    expect((await poll(s.body.device_code)).status).toBe(429); // 10 s were expected; now 15
    t += 15_000;
    expect((await poll(s.body.device_code)).body.error).toBe("authorization_pending");

    // approved on the older /device path, the code typed without its dash
    const page = await onPage(mock.base("auth0") + "/device", "approve", s.body.user_code.replace("-", "").toLowerCase(), "Dave Yoto");
    expect(page.text).toContain("Device approved");
    t += 15_000;
    const ok = await poll(s.body.device_code);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      scope: "openid profile offline_access",
      expires_in: 86400,
      token_type: "Bearer",
    });
    const me = await userinfo(ok.body.access_token);
    expect(me.body).toMatchObject({ sub: expect.stringMatching(/^auth0\|/), name: "Dave Yoto", nickname: "dave", email: "dave.yoto@example.com" });

    mock.provider("auth0").revoke(ok.body.access_token);
    const gone = await userinfo(ok.body.access_token);
    expect([gone.status, gone.text, gone.body]).toEqual([401, "Unauthorized", undefined]);
    expect(gone.headers.get("www-authenticate")).toContain("invalid_token");
  });

  it("refreshes without rotation by default; a revoked refresh token answers 403 invalid_grant", async () => {
    const tokens = await paired();
    const r1 = await refresh(tokens.refresh_token);
    const r2 = await refresh(tokens.refresh_token);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect(r1.body.refresh_token).toBeUndefined();
    expect(r1.body.access_token).not.toBe(r2.body.access_token);
    expect((await userinfo(r2.body.access_token)).status).toBe(200);

    const revoked = await post(mock.base("auth0") + "/oauth/revoke", { client_id: "ac", token: tokens.refresh_token });
    expect([revoked.status, revoked.text]).toEqual([200, ""]);
    const bad = await refresh(tokens.refresh_token);
    expect([bad.status, bad.body]).toEqual([403, { error: "invalid_grant", error_description: "Unknown or invalid refresh token." }]);
    // an unknown token: 200 with invalid_request, as Auth0's error table shows
    const unknown = await post(mock.base("auth0") + "/oauth/revoke", { client_id: "ac", token: "nope" });
    expect([unknown.status, unknown.body.error]).toEqual([200, "invalid_request"]);
  });

  it("rotates when told to; reusing a rotated-out refresh token revokes the family", async () => {
    await restart({ rotateRefresh: true });
    const tokens = await paired();
    const r1 = await refresh(tokens.refresh_token);
    expect(r1.body.refresh_token).toEqual(expect.any(String));
    expect(r1.body.refresh_token).not.toBe(tokens.refresh_token);
    const reuse = await refresh(tokens.refresh_token);
    expect([reuse.status, reuse.body.error]).toEqual([403, "invalid_grant"]);
    expect((await refresh(r1.body.refresh_token)).body.error).toBe("invalid_grant");
    expect(mock.provider("auth0").tokens().filter((x) => x.type === "refresh").every((x) => x.revoked || x.rotated)).toBe(true);
  });

  it("answers expired_token once, then invalid_grant; access_denied after a deny", async () => {
    const s = await start();
    t += 900_000;
    expect([(await poll(s.body.device_code)).status, (await poll(s.body.device_code)).body.error]).toEqual([403, "invalid_grant"]);
    expect(outcomes("poll")).toEqual(["expired", "expired"]);
    expect(mock.requests.filter((r) => r.endpoint === "poll").map((r) => r.status)).toEqual([403, 403]);

    const d = await start();
    expect(mock.provider("auth0").deny(d.body.user_code)).toBe(true);
    const denied = await poll(d.body.device_code);
    expect([denied.status, denied.body.error]).toEqual([403, "access_denied"]);
  });

  it("answers the first expired poll with expired_token", async () => {
    const s = await start();
    t += 900_000;
    expect((await poll(s.body.device_code)).body.error).toBe("expired_token");
  });

  it("records polls after success; refuses a missing client_id, a foreign device code, an unknown grant type", async () => {
    const s = await start();
    mock.provider("auth0").approve(s.body.user_code);
    expect((await poll(s.body.device_code)).status).toBe(200);
    t += 5000;
    const again = await poll(s.body.device_code);
    expect([again.status, again.body.error]).toEqual([403, "invalid_grant"]);
    expect(mock.requests.filter((r) => r.outcome === "poll_after_success")).toHaveLength(1);

    const noClient = await post(mock.base("auth0") + "/oauth/token", { grant_type: DEVICE_GRANT, device_code: s.body.device_code });
    expect([noClient.status, noClient.body.error]).toEqual([400, "invalid_request"]);
    const other = await start();
    const foreign = await post(mock.base("auth0") + "/oauth/token", { grant_type: DEVICE_GRANT, client_id: "someone-else", device_code: other.body.device_code });
    expect(foreign.body.error).toBe("invalid_grant");
    const password = await post(mock.base("auth0") + "/oauth/token", { grant_type: "password", client_id: "ac" });
    expect([password.status, password.body.error]).toEqual([400, "unsupported_grant_type"]);
  });

  it("refuses a device code request without audience when the tenant requires one", async () => {
    expect((await post(mock.base("auth0") + "/oauth/device/code", { client_id: "ac", scope: "openid" })).status).toBe(200);
    await restart({ requireAudience: true });
    const r = await post(mock.base("auth0") + "/oauth/device/code", { client_id: "ac", scope: "openid" });
    expect([r.status, r.body.error]).toEqual([400, "invalid_request"]);
    expect((await start()).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
describe("faults", () => {
  const kindeStart = "client_id=kc&scope=openid";
  async function kindeCode(): Promise<string> {
    return (await post(mock.base("kinde") + "/oauth2/device/auth", { client_id: "kc", scope: "openid" })).body.device_code;
  }
  const pollBody = (dc: string) => new URLSearchParams({ grant_type: DEVICE_GRANT, client_id: "kc", device_code: dc }).toString();

  it("hold: no reply while the client waits, counted in held(), released when it closes", async () => {
    mock.provider("kinde").fault({ on: "start", kind: "hold" });
    const c = rawOpen("POST", "/kinde/oauth2/device/auth", kindeStart);
    await until(() => mock.held() === 1);
    expect(c.bytes().length).toBe(0);
    c.socket.destroy();
    await until(() => mock.held() === 0);
    expect(mock.requests[0]).toMatchObject({ endpoint: "start", status: 0, outcome: "fault:hold", fault: "hold" });
    expect(mock.provider("kinde").codes()).toEqual([]);
  });

  it("hold: close() ends held replies", async () => {
    mock.provider("simkl").fault({ on: "any", kind: "hold" });
    const c = rawOpen("GET", "/simkl/oauth/pin?client_id=cid");
    await until(() => mock.held() === 1);
    await mock.close();
    expect((await c.closed).length).toBe(0);
    await restart();
  });

  it("truncate: a Content-Length larger than the bytes, then the connection closes", async () => {
    const dc = await kindeCode();
    mock.provider("kinde").fault({ on: "poll", kind: "truncate" });
    const { status, headers, body } = parseRaw(await rawOpen("POST", "/kinde/oauth2/token", pollBody(dc)).closed);
    expect(status).toBe(200);
    expect(Number(headers["content-length"])).toBeGreaterThan(body.length);
    expect(body.length).toBeGreaterThan(0);
  });

  it("malformed: 200 with a token reply that is not JSON (trailing comma); its token works nowhere", async () => {
    const dc = await kindeCode();
    mock.provider("kinde").fault({ on: "poll", kind: "malformed" });
    const r = await answer(await fetch(mock.base("kinde") + "/oauth2/token", { method: "POST", body: new URLSearchParams(pollBody(dc)) }));
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/json/);
    expect(r.body).toBeUndefined();
    expect(r.text).toMatch(/^\{"access_token":"[\w-]{43}".*,\}$/);
    const token = /"access_token":"([\w-]+)"/.exec(r.text)![1];
    expect((await get(mock.base("kinde") + "/oauth2/v2/user_profile", { authorization: "Bearer " + token })).status).toBe(401);
  });

  it("huge: a valid 1 MiB JSON body that still means what the provider said", async () => {
    const dc = await kindeCode();
    mock.provider("kinde").fault({ on: "poll", kind: "huge" });
    const r = await answer(await fetch(mock.base("kinde") + "/oauth2/token", { method: "POST", body: new URLSearchParams(pollBody(dc)) }));
    expect(r.status).toBe(400);
    expect(Buffer.byteLength(r.text)).toBe(HUGE_BYTES);
    expect(r.body.error).toBe("authorization_pending");
    expect(r.body.padding.length).toBeGreaterThan(1_000_000);
    expect(mock.requests.at(-1)).toMatchObject({ outcome: "pending", fault: "huge" });
  });

  it("drop: the socket closes with no reply", async () => {
    mock.provider("simkl").fault({ on: "start", kind: "drop" });
    expect((await rawOpen("GET", "/simkl/oauth/pin?client_id=cid").closed).length).toBe(0);
    expect(mock.requests[0]).toMatchObject({ status: 0, outcome: "fault:drop" });
  });

  it("status: a gateway's 5xx HTML page, consumed in order and by count; the provider never saw those polls", async () => {
    const dc = await kindeCode();
    const kinde = mock.provider("kinde");
    kinde.fault({ on: "poll", kind: "status", status: 500, times: 2 });
    kinde.fault({ on: "poll", kind: "status", status: 502 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { status, headers } = parseRaw(await rawOpen("POST", "/kinde/oauth2/token", pollBody(dc)).closed);
      statuses.push(status);
      if (i === 2) expect(headers["content-type"]).toMatch(/text\/html/);
    }
    expect(statuses).toEqual([500, 500, 502, 400]);
    expect(kinde.codes()[0].polls).toBe(1);
  });

  it("retry_after: 429 or 503 with a Retry-After header", async () => {
    const auth0 = mock.provider("auth0");
    auth0.fault({ on: "start", kind: "retry_after" });
    auth0.fault({ on: "start", kind: "retry_after", status: 503, retryAfter: 7 });
    const body = "client_id=ac&scope=openid";
    const a = parseRaw(await rawOpen("POST", "/auth0/oauth/device/code", body).closed);
    const b = parseRaw(await rawOpen("POST", "/auth0/oauth/device/code", body).closed);
    expect([a.status, a.headers["retry-after"]]).toEqual([429, "30"]);
    expect([b.status, b.headers["retry-after"]]).toEqual([503, "7"]);
    expect(JSON.parse(a.body.toString()).error).toBe("too_many_requests");
  });

  it("slow_down: answered in the provider's shape, and the provider then expects interval + 5", async () => {
    const dc = await kindeCode();
    mock.provider("kinde").fault({ on: "poll", kind: "slow_down" });
    const tokenUrl = mock.base("kinde") + "/oauth2/token";
    const form = Object.fromEntries(new URLSearchParams(pollBody(dc)));
    const slow = await post(tokenUrl, form);
    expect([slow.status, slow.body.error]).toEqual([400, "slow_down"]);
    t += 5000;
    expect((await post(tokenUrl, form)).body.error).toBe("slow_down"); // 5 s < 10 s
    t += 15_000;
    expect((await post(tokenUrl, form)).body.error).toBe("authorization_pending");

    mock.provider("simkl").fault({ on: "poll", kind: "slow_down" });
    const pin = await get(mock.base("simkl") + "/oauth/pin?client_id=cid");
    expect((await get(mock.base("simkl") + "/oauth/pin/" + pin.body.user_code + "?client_id=cid")).body).toEqual({ result: "KO", message: "Slow down" });
  });

  it("targets: a poll fault waits for a poll; 'any' hits the API but never the approval page", async () => {
    const kinde = mock.provider("kinde");
    kinde.fault({ on: "poll", kind: "status", status: 503 });
    const dc = await kindeCode(); // a start: untouched
    kinde.fault({ on: "any", kind: "status", status: 500 });
    expect((await get(mock.base("kinde") + "/device")).status).toBe(200);
    expect((await post(mock.base("kinde") + "/oauth2/token", Object.fromEntries(new URLSearchParams(pollBody(dc))))).status).toBe(503);
    expect((await get(mock.base("kinde") + "/oauth2/v2/user_profile")).status).toBe(500);
    expect((await get(mock.base("kinde") + "/oauth2/v2/user_profile")).status).toBe(401);
    kinde.fault({ on: "start", kind: "drop" });
    kinde.clearFaults();
    expect((await kindeCode()).length).toBeGreaterThan(0);
  });

  it("are set and cleared over HTTP; a bad fault is refused with a reason", async () => {
    const f = await answer(await fetch(mock.base("auth0") + "/_mock/fault", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ on: "userinfo", kind: "status", status: 502 }) }));
    expect(f.body).toEqual({ ok: true });
    expect((await get(mock.base("auth0") + "/userinfo")).status).toBe(502);

    // an HTML form's string numbers are fine
    await post(mock.base("auth0") + "/_mock/fault", { on: "userinfo", kind: "status", status: "503" });
    await post(mock.base("auth0") + "/_mock/clear", {});
    expect((await get(mock.base("auth0") + "/userinfo")).status).toBe(401);

    const bad = await post(mock.base("auth0") + "/_mock/fault", { on: "userinfo", kind: "status", status: "404" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/500, 502, 503/);
    expect(() => mock.provider("auth0").fault({ on: "poll", kind: "explode" as "drop" })).toThrow(/fault.kind/);
    expect(mock.requests.filter((r) => r.endpoint === "control").map((r) => r.status)).toEqual([200, 200, 200, 400]);
  });
});

describe("the request log", () => {
  it("records method, path, query and form, never a header value", async () => {
    await get(mock.base("simkl") + "/oauth/pin?client_id=cid", { "simkl-api-key": "KEY-IN-A-HEADER", authorization: "Bearer SECRET-IN-A-HEADER" });
    expect(mock.requests[0]).toMatchObject({ provider: "simkl", method: "GET", path: "/oauth/pin", query: { client_id: "cid" }, status: 200, at: 1_000_000, endpoint: "start", outcome: "started" });
    expect(JSON.stringify(mock.requests)).not.toMatch(/IN-A-HEADER/);
  });

  it("answers a request it cannot decode with 400 and keeps serving", async () => {
    expect((await get(mock.base("simkl") + "/oauth/pin/%E0%A4%A?client_id=cid")).status).toBe(400);
    expect((await get(mock.base("simkl") + "/oauth/pin?client_id=cid")).status).toBe(200);
  });

  it("serves an index of the three providers at the root", async () => {
    const r = await get(mock.url + "/");
    for (const k of ["simkl/pin", "kinde/device", "auth0/activate"]) expect(r.text).toContain('href="/' + k + '"');
  });
});

describe("codes and links known in advance (the README's pictures: tools/screens.ts)", () => {
  it("issueNext: the next user codes in order, each pollable as issued, then random ones in the provider's shape", async () => {
    mock.provider("auth0").issueNext(["WDJB-MJHT", "wdjb-aaaa"]);
    const start = () => post(mock.base("auth0") + "/oauth/device/code", { client_id: "ac", scope: "openid" });
    const codes = [(await start()).body.user_code, (await start()).body.user_code, (await start()).body.user_code];
    expect(codes.slice(0, 2)).toEqual(["WDJB-MJHT", "wdjb-aaaa"]);
    expect(codes[2]).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(mock.provider("auth0").approve("WDJB-MJHT")).toBe(true);
    // Simkl polls by the code itself
    mock.provider("simkl").issueNext(["K7QX2M9RT"]);
    const pin = await get(mock.base("simkl") + "/oauth/pin?client_id=cid");
    expect(pin.body.user_code).toBe("K7QX2M9RT");
    expect((await get(mock.base("simkl") + "/oauth/pin/K7QX2M9RT?client_id=cid")).body).toEqual({ result: "KO", message: "Authorization pending" });
  });

  it("issueNext: a code still live is not issued twice", async () => {
    mock.provider("kinde").issueNext(["CSLDFDUU", "CSLDFDUU"]);
    const start = () => post(mock.base("kinde") + "/oauth2/device/auth", { client_id: "kc" });
    const first = (await start()).body.user_code;
    const second = (await start()).body.user_code;
    expect(first).toBe("CSLDFDUU");
    expect(second).not.toBe("CSLDFDUU");
  });

  it("publicBase: the links name the public address; the mock is still reached at its own", async () => {
    await restart({ publicBase: { kinde: "https://codepair.kinde.com", simkl: "https://simkl.com" } });
    const k = await post(mock.base("kinde") + "/oauth2/device/auth", { client_id: "kc" });
    expect(k.body.verification_uri).toBe("https://codepair.kinde.com/device");
    expect(k.body.verification_uri_complete).toBe("https://codepair.kinde.com/device?user_code=" + k.body.user_code);
    expect((await get(mock.base("simkl") + "/oauth/pin?client_id=cid")).body.verification_url).toBe("https://simkl.com/pin");
    // a provider not named keeps its own address
    const a = await post(mock.base("auth0") + "/oauth/device/code", { client_id: "ac" });
    expect(a.body.verification_uri).toBe(mock.base("auth0") + "/activate");
  });
});
