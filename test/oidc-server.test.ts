// The oidc-provider harness, proven by a plain fetch device client (RFC 8628): device
// authorization, polling, approval through the provider's own HTML pages, tokens, userinfo,
// refresh (RFC 6749 §6), denial, expiry, and what a redeemed device code answers.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEVICE_CODE_GRANT, startOidcServer, type OidcServer } from "./support/oidc-server.ts";

interface Reply { status: number; body: Record<string, unknown> }

async function postForm(url: string, fields: Record<string, string>): Promise<Reply> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

// RFC 8628 §3.1
async function authorize(s: OidcServer, scope = "openid profile offline_access", extra: Record<string, string> = {}): Promise<Reply> {
  return postForm(s.deviceAuthorizationEndpoint, { client_id: s.clientId, scope, ...extra });
}

async function startPairing(s: OidcServer, scope?: string): Promise<{ deviceCode: string; userCode: string }> {
  const r = await authorize(s, scope);
  expect(r.status).toBe(200);
  return { deviceCode: String(r.body.device_code), userCode: String(r.body.user_code) };
}

// RFC 8628 §3.4
function poll(s: OidcServer, deviceCode: string): Promise<Reply> {
  return postForm(s.tokenEndpoint, { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: s.clientId });
}

// RFC 6749 §6
function refresh(s: OidcServer, refreshToken: string): Promise<Reply> {
  return postForm(s.tokenEndpoint, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: s.clientId });
}

async function userinfo(s: OidcServer, accessToken: string): Promise<Reply> {
  const res = await fetch(s.userinfoEndpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function pairedTokens(s: OidcServer, account = "Alice Example"): Promise<{ deviceCode: string; access: string; refresh: string }> {
  const { deviceCode, userCode } = await startPairing(s);
  await s.approve(userCode, { account });
  const r = await poll(s, deviceCode);
  expect(r.status).toBe(200);
  return { deviceCode, access: String(r.body.access_token), refresh: String(r.body.refresh_token) };
}

describe("oidc-provider with the device flow, approved through its own pages", () => {
  let s: OidcServer;
  beforeAll(async () => { s = await startOidcServer(); });
  afterAll(async () => { await s?.close(); });

  test("listens on loopback over plain http and publishes the device flow endpoints", async () => {
    expect(s.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${s.issuer}/.well-known/openid-configuration`);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(s.issuer);
    expect(meta.device_authorization_endpoint).toBe(s.deviceAuthorizationEndpoint);
    expect(meta.token_endpoint).toBe(s.tokenEndpoint);
    expect(meta.userinfo_endpoint).toBe(s.userinfoEndpoint);
    expect(meta.revocation_endpoint).toBe(s.revocationEndpoint);
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining([DEVICE_CODE_GRANT, "refresh_token"]));
  });

  test("device authorization answers RFC 8628 §3.2 fields and no interval", async () => {
    const r = await authorize(s);
    expect(r.status).toBe(200);
    // user code: charset base-20, mask ****-**** (oidc-provider defaults)
    expect(r.body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(r.body.device_code).toMatch(/^[\w-]{43}$/);
    expect(r.body.verification_uri).toBe(`${s.issuer}/device`);
    expect(r.body.verification_uri_complete).toBe(`${s.issuer}/device?user_code=${r.body.user_code as string}`);
    expect(r.body.expires_in).toBe(600);
    expect(r.body).not.toHaveProperty("interval"); // so the client uses 5 s (RFC 8628 §3.2)
  });

  test("polls answer authorization_pending until approval, back to back without slow_down", async () => {
    const { deviceCode } = await startPairing(s);
    for (let i = 0; i < 5; i++) {
      const r = await poll(s, deviceCode);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("authorization_pending");
    }
  });

  test("approval through the pages gives access and refresh tokens, userinfo gives the name", async () => {
    const { deviceCode, userCode } = await startPairing(s);
    const before = s.requests.length;
    await s.approve(userCode, { account: "Alice Example" });
    const pages = s.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/\/[\w-]{20,}$/, "/:uid")} ${r.status}`);
    expect(pages).toEqual([
      "GET /device 200", // enter the code
      "POST /device 200", // confirm the device
      "POST /device 303",
      "GET /interaction/:uid 200", // log in
      "POST /interaction/:uid 303",
      "GET /device/:uid 303",
      "GET /interaction/:uid 200", // consent
      "POST /interaction/:uid 303",
      "GET /device/:uid 200", // success page
    ]);

    const r = await poll(s, deviceCode);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "openid profile offline_access" });
    expect(r.body.access_token).toMatch(/^[\w-]{43}$/); // opaque
    expect(r.body.refresh_token).toMatch(/^[\w-]{43}$/);
    expect(String(r.body.id_token).split(".")).toHaveLength(3);

    const me = await userinfo(s, String(r.body.access_token));
    expect(me).toEqual({ status: 200, body: { sub: "Alice Example", name: "Alice Example" } });
  });

  test("refresh with a public client rotates the refresh token; the old one, reused, revokes the grant", async () => {
    const first = await pairedTokens(s, "Bob Builder");
    const r = await refresh(s, first.refresh);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    const access = String(r.body.access_token);
    const rotated = String(r.body.refresh_token);
    expect(access).not.toBe(first.access);
    expect(rotated).toMatch(/^[\w-]{43}$/);
    expect(rotated).not.toBe(first.refresh);
    expect((await userinfo(s, access)).body.name).toBe("Bob Builder");

    const reused = await refresh(s, first.refresh);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe("invalid_grant");
    expect((await refresh(s, rotated)).body.error).toBe("invalid_grant");
    const me = await userinfo(s, access);
    expect(me.status).toBe(401);
    expect(me.body.error).toBe("invalid_token");
  });

  test("polling a redeemed device code answers invalid_grant and revokes the tokens it gave", async () => {
    const tokens = await pairedTokens(s);
    const again = await poll(s, tokens.deviceCode);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe("invalid_grant");
    expect((await userinfo(s, tokens.access)).status).toBe(401);
    expect((await refresh(s, tokens.refresh)).body.error).toBe("invalid_grant");
  });

  test("cancelling at consent gives the device access_denied, then invalid_grant", async () => {
    const { deviceCode, userCode } = await startPairing(s);
    await s.approve(userCode, { deny: true });
    const denied = await poll(s, deviceCode);
    expect(denied.status).toBe(400);
    expect(denied.body.error).toBe("access_denied");
    expect((await poll(s, deviceCode)).body.error).toBe("invalid_grant");
  });

  test("verification_uri_complete (the QR code's address) approves as well", async () => {
    const { deviceCode, userCode } = await startPairing(s);
    await s.approve(userCode, { account: "Carol QR", viaCompleteUri: true });
    const r = await poll(s, deviceCode);
    expect(r.status).toBe(200);
    expect((await userinfo(s, String(r.body.access_token))).body.name).toBe("Carol QR");
  });

  test("approve throws with the page's words for a wrong or already used code", async () => {
    await expect(s.approve("BBBB-BBBB")).rejects.toThrow(/The code you entered is incorrect/);
    const { userCode } = await startPairing(s);
    await s.approve(userCode);
    await expect(s.approve(userCode)).rejects.toThrow(/device confirmation page.*The code you entered is incorrect/);
  });

  test("without offline_access no refresh token is issued; without profile no name", async () => {
    const { deviceCode, userCode } = await startPairing(s, "openid");
    await s.approve(userCode);
    const r = await poll(s, deviceCode);
    expect(r.status).toBe(200);
    expect(r.body).not.toHaveProperty("refresh_token");
    expect((await userinfo(s, String(r.body.access_token))).body).toEqual({ sub: "Alice Example" });
  });

  test("an Auth0-style audience is ignored; a resource indicator is refused", async () => {
    const withAudience = await authorize(s, "openid profile offline_access", { audience: "https://api.example.com" });
    expect(withAudience.status).toBe(200);
    const withResource = await authorize(s, "openid profile offline_access", { resource: "https://api.example.com" });
    expect(withResource.status).toBe(400);
    expect(withResource.body.error).toBe("invalid_target");
  });

  test("revocation of the refresh token (RFC 7009) ends refreshing", async () => {
    const tokens = await pairedTokens(s);
    const r = await postForm(String(s.revocationEndpoint), { token: tokens.refresh, token_type_hint: "refresh_token", client_id: s.clientId });
    expect(r.status).toBe(200);
    expect((await refresh(s, tokens.refresh)).body.error).toBe("invalid_grant");
  });

  test("every request served is logged with its method, path and status", async () => {
    const before = s.requests.length;
    const { deviceCode } = await startPairing(s);
    await poll(s, deviceCode);
    await fetch(`${s.issuer}/no-such-page`);
    expect(s.requests.slice(before).map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: "POST", path: "/device/auth", status: 200 },
      { method: "POST", path: "/token", status: 400 },
      { method: "GET", path: "/no-such-page", status: 404 },
    ]);
    for (const r of s.requests) expect(typeof r.at).toBe("number");
  });
});

describe("oidc-provider harness options", () => {
  test("accessTokenTTL, deviceCodeTTL and interval reach the answers", async () => {
    const s = await startOidcServer({ accessTokenTTL: 120, deviceCodeTTL: 300, interval: 1 });
    try {
      const r = await authorize(s);
      expect(r.body).toMatchObject({ expires_in: 300, interval: 1 });
      await s.approve(String(r.body.user_code));
      const t = await poll(s, String(r.body.device_code));
      expect(t.body.expires_in).toBe(120);
    } finally {
      await s.close();
    }
  });

  test("an expired device code answers expired_token, and can no longer be approved", async () => {
    const s = await startOidcServer({ deviceCodeTTL: 1 });
    try {
      const { deviceCode, userCode } = await startPairing(s);
      // expiry is counted in whole seconds (lib/helpers/epoch_time.js): at most ~2 s of real time
      let r = await poll(s, deviceCode);
      for (let i = 0; i < 40 && r.body.error === "authorization_pending"; i++) {
        await new Promise((done) => setTimeout(done, 100));
        r = await poll(s, deviceCode);
      }
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("expired_token");
      await expect(s.approve(userCode)).rejects.toThrow(/The code you entered is incorrect/);
    } finally {
      await s.close();
    }
  });
});
