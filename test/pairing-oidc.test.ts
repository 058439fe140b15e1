// The same device flow against a server no one here wrote: node-oidc-provider with the device
// flow on loopback, approved through its own HTML pages as a browser would, then a refresh with
// the refresh token it issued.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN_SLOTS } from "../firmware/store/token.ts";
import { Board } from "../host-sim/board.ts";
import { SIM_NETWORK } from "../host-sim/cli.ts";
import { startOidcServer, type OidcServer } from "./support/oidc-server.ts";
import { bootDevice, keptToken, type Device } from "./support/pairing.ts";

/** s: short, so that the device refreshes within the test (at 90% of it) */
const ACCESS_TTL = 120;
let server: OidcServer;
beforeAll(async () => {
  server = await startOidcServer({ accessTokenTTL: ACCESS_TTL });
});
afterAll(async () => {
  await server.close();
});

function config(): Record<string, unknown> {
  return {
    wifi: { ...SIM_NETWORK },
    provider: "rfc8628",
    clientId: server.clientId,
    endpoints: { device: server.deviceAuthorizationEndpoint, token: server.tokenEndpoint, userinfo: server.userinfoEndpoint },
    scope: "openid profile offline_access",
  };
}

const none = { held: () => 0 };

describe("oidc-provider (RFC 8628, not written here)", () => {
  it("pairs through its own pages, polls at 5 s with no poll after success, then refreshes with the refresh token it issued", async () => {
    const board = new Board();
    const d: Device = await bootDevice(board, config(), none);
    try {
      const from = server.requests.length;
      const shown = await d.until("code");
      const code = shown.texts[0];
      await d.run(11000);
      await server.approve(code, { account: "Alice Example" });
      const paired = await d.until("paired", 60000);
      expect(paired.texts).toEqual(["Alice Example"]);
      const device = server.requests.slice(from).filter((r) => r.path === "/token");
      // two pending polls before the approval, the third gave the tokens; none after
      expect(device.map((r) => r.status)).toEqual([400, 400, 200]);
      const polls = d.requests().filter((r) => r.url === server.tokenEndpoint);
      // the first one interval after the code came (RFC 8628 §3.2's default of 5 s: it sends none)
      expect(polls.map((p) => p.at - shown.at)).toEqual([5000, 10000, 15000]);
      await d.run(40000);
      expect(d.requests().filter((r) => r.url === server.tokenEndpoint).length).toBe(3);
      const stored = keptToken(d.board.flash)!;
      const refresh = /"refresh":"([^"]+)"/.exec(stored)![1];

      // the access token lives ACCESS_TTL s: at 90% of that the device refreshes with the
      // refresh token oidc-provider issued, stores the new pair, and asks userinfo again
      const before = d.requests().length;
      await d.run(ACCESS_TTL * 1000);
      const after = d.requests().slice(before).map((r) => [r.method, r.url.replace(server.issuer, ""), r.status]);
      expect(after.slice(0, 2)).toEqual([
        ["POST", "/token", 200],
        ["GET", "/me", 200],
      ]);
      expect(d.current()!.screen).toBe("paired");
      // oidc-provider rotates refresh tokens for public clients: the new one is the one kept
      const now = keptToken(d.board.flash)!;
      expect(now).not.toContain(refresh);
      expect(now).toMatch(/"refresh":"[^"]{20,}"/);
      expect(d.board.uncaught).toEqual([]);
    } finally {
      await d.close();
    }
  });

  it("a denial on its consent page: the device says so and stops polling", async () => {
    const d: Device = await bootDevice(new Board(), config(), none);
    try {
      const code = (await d.until("code")).texts[0];
      await server.approve(code, { deny: true });
      await d.until("denied", 60000);
      const polls = d.requests().filter((r) => r.url === server.tokenEndpoint).length;
      await d.run(5 * 60000);
      expect(d.requests().filter((r) => r.url === server.tokenEndpoint).length).toBe(polls);
    } finally {
      await d.close();
    }
  });
});
