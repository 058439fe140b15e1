// The OAuth 2.0 device authorization grant (RFC 8628) with refresh (RFC 6749 §6), userinfo and
// revocation (RFC 7009), worded by a dialect: Kinde's and Auth0's differ in paths, statuses,
// user code format, token_type spelling, rotation and profile shape (kinde.ts, auth0.ts).

import { DeviceFlow, opaqueToken, type Grant } from "./flow.ts";
import { approvalPage } from "./pages.ts";
import { bearer, field, json, type Ctx, type Provider, type Reply } from "./reply.ts";
import type { CodeInfo, Endpoint } from "./types.ts";

export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

export interface Settings {
  expiresIn: number;
  interval: number;
  tokenLifetime: number;
}

export interface TokenParts {
  access: string;
  refresh?: string;
  idToken?: string;
  expiresIn: number;
  scope: string;
  /** "device": the device code grant's reply; "refresh": a refresh's. */
  phase: "device" | "refresh";
}

export interface Dialect {
  title: string;
  paths: { start: string; token: string; userinfo: string; revoke: string };
  /** The approval page verification_uri names, and other paths that serve it. */
  page: string;
  pageAliases: string[];
  userCode(): string;
  deviceCode(): string;
  /** HTTP status of a token endpoint error (RFC 6749 §5.2 says 400; Auth0 answers 403 and 429). */
  errorStatus(error: string): number;
  /** error_description of each error. */
  describe(error: string, interval: number): string;
  requireClientIdAtStart: boolean;
  requireAudience: boolean;
  /** The scope that asks for a refresh token: Kinde "offline", Auth0 "offline_access". */
  offlineScope: string;
  /** A refresh answers a new refresh token and the old one stops working. */
  rotate: boolean;
  /** Using a rotated-out refresh token revokes the grant's refresh tokens (Auth0 reuse detection). */
  reuseRevokesGrant: boolean;
  /** expired_token is answered once; after that invalid_grant (Auth0). */
  expiredOnce: boolean;
  startExtras(code: CodeInfo): Record<string, unknown>;
  tokenReply(t: TokenParts): Record<string, unknown>;
  subject(grant: Grant): string;
  profile(grant: Grant, now: number): Record<string, unknown>;
  /** userinfo's answer to a missing, unknown, expired or revoked token. */
  unauthorized(): Reply;
  /** The revocation endpoint, given the token's grant if the token is one that works now. */
  revoke(flow: DeviceFlow, token: string, now: number): Reply;
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString("base64url");
}

export function createRfc8628(d: Dialect, s: Settings): { provider: Provider; flow: DeviceFlow } {
  const flow = new DeviceFlow(d.userCode, d.deviceCode, s.expiresIn, s.interval);

  const err = (error: string, outcome: string, description?: string): Reply =>
    json(d.errorStatus(error), { error, error_description: description ?? d.describe(error, flow.interval) }, outcome);

  /**
   * An OIDC ID token's shape (header.payload.signature, RFC 7519) with the standard claims;
   * the signature is random bytes: a device that needs a verified identity calls userinfo.
   */
  const idToken = (ctx: Ctx, grant: Grant): string =>
    b64json({ alg: "RS256", typ: "JWT" }) + "." +
    b64json({ iss: ctx.base + "/", sub: d.subject(grant), aud: grant.clientId, iat: Math.floor(ctx.now / 1000), exp: Math.floor(ctx.now / 1000) + s.tokenLifetime, name: grant.who }) +
    "." + opaqueToken();

  const tokens = (ctx: Ctx, grant: Grant, phase: "device" | "refresh", oldRefresh?: string): Reply => {
    const scopes = grant.scope.split(/\s+/);
    const access = flow.mint(grant, "access", ctx.now + s.tokenLifetime * 1000);
    let refresh: string | undefined;
    if (phase === "device" && scopes.includes(d.offlineScope)) refresh = flow.mint(grant, "refresh");
    if (phase === "refresh" && d.rotate && oldRefresh) {
      flow.rotate(oldRefresh);
      refresh = flow.mint(grant, "refresh");
    }
    const body = d.tokenReply({
      access,
      refresh,
      idToken: scopes.includes("openid") ? idToken(ctx, grant) : undefined,
      expiresIn: s.tokenLifetime,
      scope: grant.scope,
      phase,
    });
    return json(200, body, phase === "device" ? "success" : "refreshed");
  };

  const start = (ctx: Ctx): Reply => {
    const client = field(ctx.form, "client_id");
    if (d.requireClientIdAtStart && !client) return err("invalid_request", "bad_request", "Missing required parameter: client_id");
    const audience = field(ctx.form, "audience");
    if (d.requireAudience && !audience) return err("invalid_request", "bad_request", "Missing required parameter: audience");
    const c = flow.issue(ctx.now, client ?? "", field(ctx.form, "scope") ?? "", audience);
    const uri = ctx.base + d.page;
    return json(200, {
      device_code: c.deviceCode,
      user_code: c.userCode,
      verification_uri: uri,
      verification_uri_complete: uri + "?user_code=" + encodeURIComponent(c.userCode),
      expires_in: flow.expiresIn,
      interval: flow.interval,
      ...d.startExtras(c),
    }, "started");
  };

  /** RFC 8628 §3.4, §3.5. */
  const poll = (ctx: Ctx): Reply => {
    const client = field(ctx.form, "client_id");
    if (!client) return err("invalid_request", "bad_request", "Missing required parameter: client_id");
    const c = flow.byDeviceCode(field(ctx.form, "device_code") ?? "");
    // RFC 6749 §5.2 invalid_grant: a grant that is invalid, expired, revoked, or issued to another client
    if (!c || (c.clientId !== "" && c.clientId !== client)) return err("invalid_grant", "unknown_code");
    switch (flow.poll(c, ctx.now)) {
      case "redeemed":
        return err("invalid_grant", "poll_after_success");
      case "expired":
        return d.expiredOnce && !flow.reportExpiry(c) ? err("invalid_grant", "expired") : err("expired_token", "expired");
      case "slow_down":
        return err("slow_down", "slow_down");
      case "pending":
        return err("authorization_pending", "pending");
      case "denied":
        return err("access_denied", "denied");
      case "approved":
        return tokens(ctx, flow.redeem(c, ctx.now), "device");
    }
  };

  /** RFC 6749 §6. */
  const refresh = (ctx: Ctx): Reply => {
    const client = field(ctx.form, "client_id");
    if (!client) return err("invalid_request", "bad_request", "Missing required parameter: client_id");
    const value = field(ctx.form, "refresh_token");
    const grant = flow.valid(value, "refresh", ctx.now);
    if (!grant || (grant.clientId !== "" && grant.clientId !== client)) {
      const t = value === undefined ? undefined : flow.lookup(value);
      if (t && t.rotated && !t.revoked && d.reuseRevokesGrant) flow.revokeGrant(t.grant, "refresh");
      return err("invalid_grant", "invalid_grant", d.describe("invalid_refresh", flow.interval));
    }
    return tokens(ctx, grant, "refresh", value);
  };

  const userinfo = (ctx: Ctx): Reply => {
    const grant = flow.valid(bearer(ctx), "access", ctx.now);
    return grant ? json(200, d.profile(grant, ctx.now), "userinfo") : d.unauthorized();
  };

  const provider: Provider = {
    endpoint(ctx): Endpoint {
      const { path, method } = ctx;
      if (path === d.page || d.pageAliases.includes(path)) return "page";
      if (method === "POST" && path === d.paths.start) return "start";
      if (method === "POST" && path === d.paths.token) {
        const g = field(ctx.form, "grant_type");
        return g === DEVICE_GRANT ? "poll" : g === "refresh_token" ? "refresh" : "unknown";
      }
      if ((method === "GET" || method === "POST") && path === d.paths.userinfo) return "userinfo"; // OIDC Core §5.3.1
      if (method === "POST" && path === d.paths.revoke) return "revoke";
      return "unknown";
    },

    handle(ctx) {
      switch (provider.endpoint(ctx)) {
        case "page":
          return approvalPage(ctx, flow, d.title, ctx.prefix + ctx.path);
        case "start":
          return start(ctx);
        case "poll":
          return poll(ctx);
        case "refresh":
          return refresh(ctx);
        case "userinfo":
          return userinfo(ctx);
        case "revoke": {
          const token = field(ctx.form, "token");
          return token ? d.revoke(flow, token, ctx.now) : err("invalid_request", "bad_request", "Missing required parameter: token");
        }
        default:
          // RFC 6749 §5.2 unsupported_grant_type for the token endpoint's other grants
          if (ctx.method === "POST" && ctx.path === d.paths.token) return err("unsupported_grant_type", "bad_request");
          return json(404, { error: "not_found", error_description: "No such endpoint" }, "not_found");
      }
    },

    slowDown(ctx) {
      const c = provider.endpoint(ctx) === "poll" ? flow.byDeviceCode(field(ctx.form, "device_code") ?? "") : undefined;
      if (c) flow.slowedDown(c, ctx.now);
      return err("slow_down", "slow_down");
    },

    fakeSuccess: () => d.tokenReply({ access: opaqueToken(), expiresIn: s.tokenLifetime, scope: "", phase: "device" }),
  };
  return { provider, flow };
}
