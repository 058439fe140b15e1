// Simkl's PIN flow, as its API reference documents it:
//   https://api.simkl.org/api-reference/pin                      (the flow, the fall-through)
//   https://api.simkl.org/api-reference/simkl/get-pin            (GET /oauth/pin)
//   https://api.simkl.org/api-reference/simkl/check-pin          (GET /oauth/pin/{user_code})
//   https://api.simkl.org/api-reference/simkl/get-user-settings  (/users/settings)
//   https://api.simkl.org/conventions/errors                     (the error envelope, 412 client_id_failed)
// The docs do not say how Simkl answers polls that come too fast; the mock answers
// {"result":"KO","message":"Slow down"}, the shape listed among Simkl's poll replies by the
// `simkl` crate (https://docs.rs/crate/simkl/0.1.0/source/src/pin.rs), and expects interval + 5
// after it as RFC 8628 §3.5 does. Nor do they say what a denied code answers: the mock drops it,
// so the next poll falls through to a new code like any unknown code.

import { DeviceFlow, opaqueToken, randomChars } from "./flow.ts";
import { approvalPage } from "./pages.ts";
import { bearer, json, type Ctx, type Provider, type Reply } from "./reply.ts";
import type { Endpoint } from "./types.ts";

/** Upper-case letters and digits without 0/O and 1/I. */
const PIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

export interface Settings {
  expiresIn: number;
  interval: number;
}

export function createSimkl(s: Settings): { provider: Provider; flow: DeviceFlow } {
  // "device_code is returned as the literal string "DEVICE_CODE" — a placeholder"; the docs'
  // example shows a 5-character user_code.
  const flow = new DeviceFlow(() => randomChars(PIN_ALPHABET, 5), () => "DEVICE_CODE", s.expiresIn, s.interval);

  /** The client_id: ?client_id= (preferred) or the simkl-api-key header. */
  const clientId = (ctx: Ctx): string | undefined => ctx.query.client_id || ctx.header("simkl-api-key") || undefined;

  const clientIdFailed = (): Reply => json(412, { error: "client_id_failed", code: 412, message: "Your client_id is wrong. Try another one" }, "bad_request");

  /** GET /oauth/pin's reply; also what a poll of a gone code falls through to. */
  const newCode = (ctx: Ctx, client: string, outcome: string): Reply => {
    const c = flow.issue(ctx.now, client, "");
    const page = ctx.base + "/pin";
    return json(200, {
      result: "OK",
      device_code: c.deviceCode,
      user_code: c.userCode,
      verification_uri: page,
      verification_url: page,
      expires_in: flow.expiresIn,
      interval: flow.interval,
    }, outcome);
  };

  const slowDownBody = (): Reply => json(200, { result: "KO", message: "Slow down" }, "slow_down");

  const poll = (ctx: Ctx, client: string, userCode: string): Reply => {
    const c = flow.byExactUserCode(userCode);
    // "Polling a code that doesn't exist (anymore) returns a fresh init response"
    if (!c) return newCode(ctx, client, "unknown_code");
    switch (flow.poll(c, ctx.now)) {
      case "redeemed":
        // "If you keep polling after a successful authorization, the server has already deleted
        // the original user_code row and this endpoint falls through to the create-a-new-code branch"
        return newCode(ctx, client, "poll_after_success");
      case "expired":
        return newCode(ctx, client, "expired");
      case "denied":
        return newCode(ctx, client, "denied");
      case "slow_down":
        return slowDownBody();
      case "pending":
        return json(200, { result: "KO", message: "Authorization pending" }, "pending");
      case "approved": {
        const grant = flow.redeem(c, ctx.now);
        return json(200, { result: "OK", access_token: flow.mint(grant, "access") }, "success");
      }
    }
  };

  const settings = (ctx: Ctx): Reply => {
    const grant = flow.valid(bearer(ctx), "access", ctx.now);
    if (!grant) return json(401, { error: "user_token_failed", code: 401, message: "The access token is wrong or was revoked. Authorize the app again." }, "unauthorized");
    return json(200, {
      user: { name: grant.who, joined_at: new Date(grant.at).toISOString(), gender: "", avatar: "", bio: "", loc: "", age: "" },
      account: { id: 10000 + grant.id, timezone: "UTC", type: "free" },
    }, "userinfo");
  };

  const provider: Provider = {
    endpoint(ctx): Endpoint {
      const p = ctx.path;
      if (p === "/oauth/pin") return ctx.method === "GET" ? "start" : "unknown";
      if (p.startsWith("/oauth/pin/")) return ctx.method === "GET" ? "poll" : "unknown";
      if (p === "/users/settings") return "userinfo"; // POST in the docs; GET also answered
      if (p === "/pin" || p.startsWith("/pin/")) return "page";
      return "unknown";
    },

    handle(ctx) {
      const endpoint = provider.endpoint(ctx);
      if (endpoint === "page") {
        const pathCode = ctx.path.startsWith("/pin/") ? decodeURIComponent(ctx.path.slice(5)) : undefined;
        return approvalPage(ctx, flow, "Simkl (mock): connect a device", ctx.prefix + "/pin", pathCode);
      }
      if (endpoint === "unknown") return json(404, { error: "not_found", code: 404, message: "No such endpoint" }, "not_found");
      const client = clientId(ctx);
      if (!client) return clientIdFailed();
      if (endpoint === "start") return newCode(ctx, client, "started");
      if (endpoint === "poll") return poll(ctx, client, decodeURIComponent(ctx.path.slice("/oauth/pin/".length)));
      return settings(ctx);
    },

    slowDown(ctx) {
      if (provider.endpoint(ctx) === "poll") {
        const c = flow.byExactUserCode(decodeURIComponent(ctx.path.slice("/oauth/pin/".length)));
        if (c) flow.slowedDown(c, ctx.now);
      }
      return slowDownBody();
    },

    fakeSuccess: () => ({ result: "OK", access_token: opaqueToken() }),
  };
  return { provider, flow };
}
