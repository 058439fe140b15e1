// The pure parts of pairing: URLs, provider requests and how each reply is classified, the
// poll pace (RFC 8628 §3.5), and the provider section of the config.
import { describe, expect, it } from "vitest";
import { createJsonReader } from "../firmware/json/reader.ts";
import type { HttpReply } from "../firmware/net/http.ts";
import { formEncode, isLoopback, parseUrl } from "../firmware/net/url.ts";
import { BACKOFF_CAP, nextWait, type Pace } from "../firmware/pairing/flow.ts";
import {
  accountRequest,
  pollRequest,
  readAccount,
  readPoll,
  readRefresh,
  readStart,
  refreshRequest,
  startRequest,
  Account,
  Poll,
  Refresh,
  Start,
  type Grant,
  type Outcome,
  type Provider,
} from "../firmware/pairing/profile.ts";
import { readProvider } from "../firmware/store/config.ts";

const SIMKL = readProvider({ provider: "simkl", clientId: "cid" }) as Provider;
const KINDE = readProvider({ provider: "kinde", clientId: "k1", base: "https://biz.kinde.com" }) as Provider;
const AUTH0 = readProvider({ provider: "auth0", clientId: "a1", base: "https://login.yotoplay.com", audience: "https://api.yotoplay.com" }) as Provider;
const GRANT: Grant = { deviceCode: "dc", userCode: "WDJB-MJHT", uri: "https://x/device", link: "", expiresIn: 900, interval: 5 };

/** A reply as net/http hands it over: the body read by the same JSON reader. */
function reply(status: number, body: string, retryAfter = -1): HttpReply {
  const reader = createJsonReader([...(startRequest(KINDE).wanted as string[]), "access_token", "refresh_token", "user.name", "name", "email"]);
  reader.write(body);
  return { status, error: "", retryAfter, body: reader.end() };
}
const noReply = (error: string): HttpReply => ({ status: 0, error, retryAfter: -1, body: null });

describe("URLs", () => {
  it("splits absolute http(s) URLs for http.request", () => {
    expect(parseUrl("https://api.simkl.com/oauth/pin?client_id=a")).toEqual({ https: true, host: "api.simkl.com", port: 443, path: "/oauth/pin?client_id=a" });
    expect(parseUrl("http://127.0.0.1:8080")).toEqual({ https: false, host: "127.0.0.1", port: 8080, path: "/" });
    expect(parseUrl("http://127.0.0.1:9/x#frag")).toEqual({ https: false, host: "127.0.0.1", port: 9, path: "/x" });
    expect(parseUrl("https://h?q=1")).toEqual({ https: true, host: "h", port: 443, path: "/?q=1" });
  });
  it("refuses what is not one", () => {
    for (const bad of ["ftp://x/", "//x/", "https://", "https://:80/", "https://u:p@host/", "http://h:0/", "http://h:99999/", "http://h:8a/"]) {
      expect(parseUrl(bad), bad).toBeNull();
    }
  });
  it("knows loopback", () => {
    expect(["localhost", "127.0.0.1", "127.1.2.3"].every(isLoopback)).toBe(true);
    expect(["128.0.0.1", "example.com", "localhost.example.com", "127.evil.example", "127.0.0.1.nip.io"].some(isLoopback)).toBe(false);
  });
  it("encodes forms byte by byte (strings on the device are UTF-8 bytes)", () => {
    expect(formEncode({ a: "b c", "x&y": "1=2/\xc3\xa9", u: "AZaz09-._~+" })).toBe("a=b%20c&x%26y=1%3D2%2F%C3%A9&u=AZaz09-._~%2B");
  });
});

describe("config: the provider", () => {
  it("fills in the presets' endpoints under their base", () => {
    expect(SIMKL).toMatchObject({ kind: "simkl", device: "https://api.simkl.com/oauth/pin", token: "https://api.simkl.com/oauth/pin/", account: "https://api.simkl.com/users/settings" });
    expect(KINDE).toMatchObject({ kind: "rfc8628", device: "https://biz.kinde.com/oauth2/device/auth", token: "https://biz.kinde.com/oauth2/token", scope: "openid profile email offline" });
    expect(AUTH0).toMatchObject({ device: "https://login.yotoplay.com/oauth/device/code", account: "https://login.yotoplay.com/userinfo", audience: "https://api.yotoplay.com" });
  });
  it("takes any RFC 8628 server's endpoints", () => {
    const p = readProvider({ provider: "rfc8628", clientId: "c", endpoints: { device: "https://id.example/device", token: "https://id.example/token" } });
    expect(p).toMatchObject({ kind: "rfc8628", device: "https://id.example/device", token: "https://id.example/token", account: "" });
  });
  it("names what is wrong", () => {
    expect(readProvider({ provider: "google", clientId: "c" })).toBe("provider must be simkl, kinde, auth0, rfc8628");
    expect(readProvider({ provider: "simkl" })).toBe("clientId missing");
    expect(readProvider({ provider: "kinde", clientId: "c" })).toBe("base missing");
    expect(readProvider({ provider: "rfc8628", clientId: "c", endpoints: { device: "https://x/d" } })).toBe("endpoints.token missing");
    expect(readProvider({ provider: "kinde", clientId: "c", base: "http://biz.kinde.com" })).toBe("base must be https");
    expect(readProvider({ provider: "kinde", clientId: "c", base: "biz.kinde.com" })).toBe("base not a URL");
    expect(readProvider({ provider: "simkl", clientId: "c", base: "http://127.0.0.1:9/simkl" })).toMatchObject({ device: "http://127.0.0.1:9/simkl/oauth/pin" });
  });
});

describe("requests", () => {
  it("Simkl: GET with client_id and the app's name and version", () => {
    const r = startRequest(SIMKL);
    expect(r.method).toBe("GET");
    expect(r.url).toMatch(/^https:\/\/api\.simkl\.com\/oauth\/pin\?client_id=cid&app-name=codepair&app-version=\d+\.\d+\.\d+$/);
    expect(pollRequest(SIMKL, { ...GRANT, userCode: "AB CD" }).url).toMatch(/\/oauth\/pin\/AB%20CD\?client_id=cid&/);
    // Simkl documents POST for /users/settings; the app names itself there too
    expect(accountRequest(SIMKL, "tok")).toMatchObject({ method: "POST", form: {}, headers: { Authorization: "Bearer tok", "simkl-api-key": "cid" } });
    expect(accountRequest(SIMKL, "tok").url).toMatch(/\/users\/settings\?client_id=cid&app-name=codepair&app-version=/);
  });
  it("RFC 8628: forms to the device and token endpoints (§3.1, §3.4), refresh (RFC 6749 §6)", () => {
    expect(startRequest(AUTH0)).toMatchObject({ method: "POST", form: { client_id: "a1", scope: "openid profile offline_access", audience: "https://api.yotoplay.com" } });
    expect(pollRequest(KINDE, GRANT)).toMatchObject({
      method: "POST",
      url: "https://biz.kinde.com/oauth2/token",
      form: { grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: "dc", client_id: "k1" },
    });
    expect(refreshRequest(KINDE, "rt").form).toEqual({ grant_type: "refresh_token", refresh_token: "rt", client_id: "k1" });
    expect(accountRequest(KINDE, "tok").headers).toEqual({ Authorization: "Bearer tok" });
  });
});

describe("classifying replies", () => {
  const v = (o: Outcome) => o.verdict;
  it("start: a grant, with RFC 8628's default interval of 5 s", () => {
    const o = readStart(KINDE, reply(200, '{"device_code":"d","user_code":"U","verification_uri":"https://v","verification_uri_complete":"https://v?c=U","expires_in":600}'));
    expect(o.grant).toEqual({ deviceCode: "d", userCode: "U", uri: "https://v", link: "https://v?c=U", expiresIn: 600, interval: 5 });
    const s = readStart(SIMKL, reply(200, '{"result":"OK","device_code":"d","user_code":"ABCDE","verification_url":"https://simkl.com/pin","expires_in":900,"interval":5}'));
    expect(s.grant).toMatchObject({ userCode: "ABCDE", uri: "https://simkl.com/pin", link: "" });
  });
  it("start: errors fail, trouble retries", () => {
    expect(readStart(KINDE, reply(401, '{"error":"invalid_client"}'))).toMatchObject({ verdict: Start.Refused, error: "invalid_client" });
    expect(v(readStart(KINDE, reply(200, '{"user_code":"U"}')))).toBe(Start.Refused);
    expect(readStart(KINDE, reply(503, "<html>"))).toMatchObject({ verdict: Start.Trouble, error: "HTTP 503" });
    expect(readStart(KINDE, reply(200, '{"device_code":"d","user_'))).toMatchObject({ verdict: Start.Trouble, error: "bad reply" });
    // a captive portal's page: wait it out; a wrong endpoint's page or an empty 401: final
    expect(readStart(KINDE, reply(200, "<html>"))).toMatchObject({ verdict: Start.Trouble, error: "HTTP 200" });
    expect(readStart(KINDE, reply(404, "<html>not found"))).toMatchObject({ verdict: Start.Refused, error: "HTTP 404" });
    expect(readStart(KINDE, reply(401, ""))).toMatchObject({ verdict: Start.Refused, error: "HTTP 401" });
    expect(readStart(KINDE, reply(429, "{}", 30))).toMatchObject({ verdict: Start.Trouble, wait: 30 });
    expect(readStart(KINDE, noReply("timeout"))).toMatchObject({ verdict: Start.Trouble, error: "timeout" });
  });
  it("RFC 8628 polls branch on the body's error whatever the status (§3.5)", () => {
    for (const status of [200, 400, 403, 429]) {
      expect(v(readPoll(AUTH0, reply(status, '{"error":"authorization_pending"}'))), String(status)).toBe(Poll.Pending);
      expect(v(readPoll(AUTH0, reply(status, '{"error":"slow_down"}')))).toBe(Poll.SlowDown);
    }
    expect(readPoll(AUTH0, reply(400, '{"error":"slow_down","interval":12}')).wait).toBe(12);
    expect(v(readPoll(AUTH0, reply(403, '{"error":"access_denied"}')))).toBe(Poll.Denied);
    expect(v(readPoll(AUTH0, reply(400, '{"error":"expired_token"}')))).toBe(Poll.Expired);
    expect(readPoll(AUTH0, reply(400, '{"error":"invalid_grant"}'))).toMatchObject({ verdict: Poll.Refused, error: "invalid_grant" });
    expect(readPoll(AUTH0, reply(200, '{"access_token":"a","refresh_token":"r","expires_in":86400,"token_type":"Bearer"}')).tokens).toEqual({
      access: "a",
      refresh: "r",
      expiresIn: 86400,
    });
  });
  it("RFC 8628 polls: no usable answer means try again later", () => {
    expect(v(readPoll(AUTH0, reply(502, "")))).toBe(Poll.Trouble);
    expect(v(readPoll(AUTH0, reply(200, '{"access_tok')))).toBe(Poll.Trouble);
    expect(readPoll(AUTH0, reply(503, "{}", 7))).toMatchObject({ verdict: Poll.Trouble, wait: 7, error: "HTTP 503" });
    expect(readPoll(AUTH0, reply(404, "{}"))).toMatchObject({ verdict: Poll.Refused, error: "HTTP 404" });
    expect(v(readPoll(AUTH0, noReply("dropped")))).toBe(Poll.Trouble);
  });
  it("Simkl polls: KO pending, OK with a token, a reply with device_code means the code is gone", () => {
    expect(v(readPoll(SIMKL, reply(200, '{"result":"KO","message":"Authorization pending"}')))).toBe(Poll.Pending);
    expect(v(readPoll(SIMKL, reply(200, '{"result":"KO","message":"Slow down"}')))).toBe(Poll.SlowDown);
    expect(readPoll(SIMKL, reply(200, '{"result":"OK","access_token":"t"}')).tokens).toEqual({ access: "t", refresh: "", expiresIn: 0 });
    expect(v(readPoll(SIMKL, reply(200, '{"result":"OK","device_code":"x","user_code":"NEW12"}')))).toBe(Poll.Gone);
  });
  it("refresh: new tokens, a refusal, or later", () => {
    expect(readRefresh(reply(200, '{"access_token":"a2","expires_in":60}')).tokens).toEqual({ access: "a2", refresh: "", expiresIn: 60 });
    expect(readRefresh(reply(403, '{"error":"invalid_grant"}'))).toMatchObject({ verdict: Refresh.Refused, error: "invalid_grant" });
    expect(v(readRefresh(noReply("timeout")))).toBe(Refresh.Trouble);
  });
  it("account: the name (Simkl nests it), 401, or later", () => {
    expect(readAccount(reply(200, '{"user":{"name":"Alice"},"account":{"id":1}}')).account).toBe("Alice");
    expect(readAccount(reply(200, '{"sub":"auth0|1","name":"Bob","email":"b@x"}')).account).toBe("Bob");
    expect(readAccount(reply(200, '{"sub":"auth0|1","email":"b@x"}')).account).toBe("b@x");
    expect(v(readAccount(reply(401, '{"error":"invalid_token"}')))).toBe(Account.Unauthorized);
    expect(v(readAccount(reply(403, "{}")))).toBe(Account.Trouble);
    expect(v(readAccount(reply(500, "")))).toBe(Account.Trouble);
  });
});

describe("the poll pace (RFC 8628 §3.5)", () => {
  const o = (verdict: Poll, wait = -1): Outcome => ({ verdict, error: "", wait, grant: null, tokens: null, account: "" });
  it("waits the interval; slow_down adds 5 s for good, or takes the server's larger interval", () => {
    const p: Pace = { interval: 5000, backoff: 0 };
    expect(nextWait(p, o(Poll.Pending))).toBe(5000);
    expect(nextWait(p, o(Poll.SlowDown))).toBe(10000);
    expect(nextWait(p, o(Poll.Pending))).toBe(10000);
    expect(nextWait(p, o(Poll.SlowDown, 30))).toBe(30000);
    expect(nextWait(p, o(Poll.SlowDown, 2))).toBe(35000);
  });
  it("doubles after failures up to a cap, honours Retry-After, and is back to the interval after an answer", () => {
    const p: Pace = { interval: 5000, backoff: 0 };
    const waits = [1, 2, 3, 4, 5, 6].map(() => nextWait(p, o(Poll.Trouble)));
    expect(waits).toEqual([10000, 20000, 40000, BACKOFF_CAP, BACKOFF_CAP, BACKOFF_CAP]);
    expect(nextWait(p, o(Poll.Pending))).toBe(5000);
    expect(nextWait(p, o(Poll.Trouble, 90))).toBe(90000);
    expect(nextWait({ interval: 120000, backoff: 0 }, o(Poll.Trouble))).toBe(120000);
  });
});

describe("config: the CA certificate", () => {
  it("is turned from PEM into the DER bytes the device's TLS parses", async () => {
    const { derOf } = await import("../firmware/store/config.ts");
    // a SEQUENCE whose long-form length (2 bytes) covers exactly the 401 bytes after its header
    const der = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x91]), Buffer.alloc(401, 0xff)]);
    const pem = "-----BEGIN CERTIFICATE-----\r\n" + der.toString("base64").replace(/(.{8})/g, "$1\n") + "\n-----END CERTIFICATE-----\n";
    expect(derOf(pem)).toBe(der.toString("latin1"));
    expect(derOf("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----")).toBe("");
    expect(derOf("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")).toBe("");
    expect(derOf("")).toBe("");
  });
});

describe("unknown errors", () => {
  it("are waited out when the server is overloaded or says so, final otherwise", () => {
    expect(readPoll(AUTH0, reply(429, '{"error":"too_many_requests"}', 30))).toMatchObject({ verdict: Poll.Trouble, wait: 30, error: "too_many_requests" });
    expect(readPoll(AUTH0, reply(503, '{"error":"whatever"}'))).toMatchObject({ verdict: Poll.Trouble });
    expect(readPoll(AUTH0, reply(400, '{"error":"temporarily_unavailable"}'))).toMatchObject({ verdict: Poll.Trouble });
    expect(readStart(KINDE, reply(500, '{"error":"server_error"}'))).toMatchObject({ verdict: Start.Trouble });
    expect(readRefresh(reply(503, '{"error":"server_error"}'))).toMatchObject({ verdict: Refresh.Trouble });
    expect(readPoll(AUTH0, reply(400, '{"error":"invalid_client"}'))).toMatchObject({ verdict: Poll.Refused, error: "invalid_client" });
  });
  it("are redacted to the status when the error is not an RFC 6749 code: a body may echo a secret", () => {
    const echo = '{"error":"bad refresh_token r-SECRET-123 for device dc-SECRET"}';
    expect(readRefresh(reply(400, echo))).toMatchObject({ verdict: Refresh.Refused, error: "HTTP 400" });
    expect(readPoll(AUTH0, reply(400, echo))).toMatchObject({ verdict: Poll.Refused, error: "HTTP 400" });
    expect(readPoll(AUTH0, reply(503, echo))).toMatchObject({ verdict: Poll.Trouble, error: "HTTP 503" });
    expect(readStart(KINDE, reply(400, '{"error":"' + "x".repeat(41) + '"}'))).toMatchObject({ error: "HTTP 400" });
  });
});
