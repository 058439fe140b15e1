// Kinde's device authorization flow, as its docs describe it:
//   https://docs.kinde.com/authenticate/device-authorization-flow/overview        (endpoints, shapes, errors)
//   https://docs.kinde.com/authenticate/device-authorization-flow/quick-start
//   https://docs.kinde.com/authenticate/device-authorization-flow/troubleshooting
//   https://docs.kinde.com/authenticate/device-authorization-flow/api-calls       (user_profile, invalid_token)
//   https://docs.kinde.com/build/tokens/refresh-tokens  ("offline" scope; "Kinde always rotates refresh tokens")
// Where the docs are silent the mock follows the RFCs: token errors are 400 (RFC 6749 §5.2),
// revocation answers 200 for any token and takes the grant's access tokens with a refresh
// token (RFC 7009 §2.1, §2.2, at /oauth2/revoke, the path Kinde's SDKs call).

import { BASE20, opaqueToken, person, randomChars, type Grant } from "./flow.ts";
import { PLACEHOLDER_QR } from "./png.ts";
import { json } from "./reply.ts";
import type { Dialect } from "./rfc8628.ts";

const DESCRIPTIONS: Record<string, string> = {
  authorization_pending: "The user has not yet completed the authorization",
  slow_down: "Polling too frequently",
  access_denied: "User denied the authorization",
  expired_token: "Device code has expired",
  invalid_grant: "The device code is invalid or was already used",
  invalid_refresh: "The refresh token is invalid, expired or revoked",
  invalid_request: "The request is missing a required parameter",
  unsupported_grant_type: "The grant type is not supported",
};

function subject(grant: Grant): string {
  return "kp_" + grant.id.toString(16).padStart(32, "0");
}

export function kindeDialect(): Dialect {
  return {
    title: "Kinde (mock): connect a device",
    paths: { start: "/oauth2/device/auth", token: "/oauth2/token", userinfo: "/oauth2/v2/user_profile", revoke: "/oauth2/revoke" },
    page: "/device",
    pageAliases: [],
    // "User codes are formatted as XXXXXXXX" (example "CSLDFDUU")
    userCode: () => randomChars(BASE20, 8),
    deviceCode: () => "kinde_dc_" + opaqueToken(),
    errorStatus: (error) => (error === "invalid_client" ? 401 : 400),
    describe: (error) => DESCRIPTIONS[error] ?? error,
    // client_id "can be omitted if you have set an application as the default for device flows"
    requireClientIdAtStart: false,
    requireAudience: false,
    offlineScope: "offline",
    rotate: true,
    reuseRevokesGrant: false,
    expiredOnce: false,
    startExtras: () => ({ qr_code: PLACEHOLDER_QR }),
    // The device grant's example answers token_type "bearer" and scope "" ("granted scopes are
    // in the access token"); the refresh example answers "Bearer".
    tokenReply: (t) =>
      t.phase === "device"
        ? {
            access_token: t.access,
            expires_in: t.expiresIn,
            scope: "",
            token_type: "bearer",
            ...(t.refresh ? { refresh_token: t.refresh } : {}),
            ...(t.idToken ? { id_token: t.idToken } : {}),
          }
        : {
            access_token: t.access,
            expires_in: t.expiresIn,
            ...(t.idToken ? { id_token: t.idToken } : {}),
            refresh_token: t.refresh,
            scope: "",
            token_type: "Bearer",
          },
    subject,
    profile: (grant, now) => {
      const p = person(grant.who);
      return {
        sub: subject(grant),
        provided_id: null,
        name: grant.who,
        given_name: p.given,
        family_name: p.family,
        updated_at: Math.floor(now / 1000),
        email: p.email,
        email_verified: true,
        picture: null,
        preferred_username: p.nickname,
        id: subject(grant),
      };
    },
    unauthorized: () =>
      json(401, { error: "invalid_token", error_description: "The access token is invalid or expired" }, "unauthorized", {
        "WWW-Authenticate": 'Bearer error="invalid_token"', // RFC 6750 §3
      }),
    revoke: (flow, token) => {
      const t = flow.lookup(token);
      if (t) {
        flow.revoke(token);
        if (t.type === "refresh") flow.revokeGrant(t.grant, "access");
      }
      return { status: 200, body: "", type: "text/plain; charset=utf-8", outcome: "revoked" };
    },
  };
}
