// Auth0's device authorization flow (Yoto's login.yotoplay.com runs it), as Auth0 documents it:
//   https://auth0.com/docs/api/authentication#device-authorization-flow  (POST /oauth/device/code;
//     POST /oauth/token: 403 authorization_pending, 429 slow_down, 403 access_denied|invalid_grant)
//   https://auth0.com/docs/get-started/authentication-and-authorization-flow/device-authorization-flow/call-your-api-using-the-device-authorization-flow
//     ("the expired_token error will be returned exactly once; after that, invalid_grant")
//   https://auth0.com/docs/api/authentication#refresh-token, #revoke-refresh-token, #get-user-info,
//     #standard-error-responses
//   https://auth0.com/docs/secure/tokens/refresh-tokens/refresh-token-rotation (reuse detection)
// "Unknown or invalid refresh token." is the description Auth0 answers with invalid_grant
// (quoted in auth0/Auth0.swift#819, auth0/nextjs-auth0#333). The docs are silent on the answer to
// a missing audience when the tenant has no default one: the mock answers 400 invalid_request.
// Nor do they show /userinfo's 401 body: the mock answers the text "Unauthorized" with
// WWW-Authenticate (RFC 6750 §3), so a device must not expect JSON there.

import { BASE20, opaqueToken, person, randomChars, type Grant } from "./flow.ts";
import type { Dialect } from "./rfc8628.ts";

function subject(grant: Grant): string {
  return "auth0|" + grant.id.toString(16).padStart(24, "0");
}

const DESCRIPTIONS: Record<string, string> = {
  authorization_pending: "User has yet to authorize device code.",
  access_denied: "User cancelled the confirmation prompt or consent page.",
  expired_token: "The device code has expired.",
  invalid_grant: "Invalid or expired device code.",
  invalid_refresh: "Unknown or invalid refresh token.",
  invalid_request: "Missing required parameter.",
  unsupported_grant_type: "Unsupported grant type.",
};

export function auth0Dialect(opts: { rotateRefresh: boolean; requireAudience: boolean }): Dialect {
  return {
    title: "Auth0 (mock): activate a device",
    paths: { start: "/oauth/device/code", token: "/oauth/token", userinfo: "/userinfo", revoke: "/oauth/revoke" },
    // verification_uri is {tenant}/activate in the current docs, /device in older ones: both serve the page
    page: "/activate",
    pageAliases: ["/device"],
    // "WDJB-MJHT": Auth0's default user code, base-20 consonants in two groups of four
    userCode: () => randomChars(BASE20, 4) + "-" + randomChars(BASE20, 4),
    deviceCode: opaqueToken,
    errorStatus: (error) =>
      error === "slow_down" ? 429 : error === "invalid_request" || error === "unsupported_grant_type" ? 400 : error === "invalid_client" ? 401 : 403,
    describe: (error, interval) =>
      error === "slow_down" ? "You are polling faster than the specified interval of " + interval + " seconds." : DESCRIPTIONS[error] ?? error,
    requireClientIdAtStart: true,
    requireAudience: opts.requireAudience,
    offlineScope: "offline_access",
    rotate: opts.rotateRefresh,
    reuseRevokesGrant: true,
    expiredOnce: true,
    startExtras: () => ({}),
    tokenReply: (t) => ({
      access_token: t.access,
      ...(t.idToken ? { id_token: t.idToken } : {}),
      ...(t.refresh ? { refresh_token: t.refresh } : {}),
      scope: t.scope,
      expires_in: t.expiresIn,
      token_type: "Bearer",
    }),
    subject,
    // OIDC Core §5.1 standard claims, as /userinfo answers them
    profile: (grant, now) => {
      const p = person(grant.who);
      return {
        sub: subject(grant),
        nickname: p.nickname,
        name: grant.who,
        picture: "",
        updated_at: new Date(now).toISOString(),
        email: p.email,
        email_verified: true,
      };
    },
    unauthorized: () => ({
      status: 401,
      body: "Unauthorized",
      type: "text/plain; charset=utf-8",
      headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
      outcome: "unauthorized",
    }),
    // Auth0 revokes refresh tokens here (its access tokens are JWTs that live until they expire);
    // anything else answers 200 with invalid_request, as its error table shows.
    revoke: (flow, token, now) => {
      if (flow.valid(token, "refresh", now)) {
        flow.revoke(token);
        return { status: 200, body: "", type: "text/plain; charset=utf-8", outcome: "revoked" };
      }
      return {
        status: 200,
        body: JSON.stringify({ error: "invalid_request", error_description: "The refresh token is revoked, does not exist, or was not issued to the client making the revocation request." }),
        type: "application/json; charset=utf-8",
        outcome: "bad_request",
      };
    },
  };
}
