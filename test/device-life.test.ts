// The device's life on the simulated board: a config checked field by field, a token record
// that survives a power cut at any byte, the button (bounce, hold, early release), WiFi lost
// and back, a reboot in every state of the flow, the telnet console, and no secret anywhere
// but where it belongs.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_FILE, LONG_PRESS, checkConfig } from "../firmware/store/config.ts";
import { TOKEN_SLOTS } from "../firmware/store/token.ts";
import { HOLD_SHOWN, JOIN_TIMEOUT, SPLASH, WIFI_RETRY } from "../firmware/app.ts";
import { MIN_REFRESH_EVERY } from "../firmware/pairing/flow.ts";
import { Board } from "../host-sim/board.ts";
import { mockConfig, SIM_NETWORK } from "../host-sim/cli.ts";
import { startMockProviders, type MockProviders } from "../host-sim/providers/index.ts";
import { Flash } from "../host-sim/storage.ts";
import { startOidcServer } from "./support/oidc-server.ts";
import { bootDevice, keptToken, noTokenSlots, startDevice, type Device } from "./support/pairing.ts";

let device: Device | undefined;
afterEach(async () => {
  if (device) await device.close();
  device = undefined;
});

const GOOD = { wifi: { ssid: "home", password: "correct horse" }, provider: "simkl", clientId: "cid" };
/** A PEM whose body is one whole DER SEQUENCE (the shape the config check asks of a certificate). */
const PEM = "-----BEGIN CERTIFICATE-----\n" + Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]).toString("base64") + "\n-----END CERTIFICATE-----\n";

/** `GOOD` with one field changed: a dotted path, and `undefined` to drop it. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const c = JSON.parse(JSON.stringify(GOOD));
  const keys = path.split(".");
  let o = c;
  for (const k of keys.slice(0, -1)) o = o[k] = o[k] && typeof o[k] === "object" ? o[k] : {};
  if (value === undefined) delete o[keys[keys.length - 1]];
  else o[keys[keys.length - 1]] = value;
  return c;
}

describe("config: checked field by field", () => {
  it("a good config has no problem, and defaults for everything else", () => {
    const c = checkConfig(GOOD);
    expect(c.problems).toEqual([]);
    expect(c.unknown).toEqual([]);
    expect(c.config.display).toEqual({ width: 128, height: 64, address: 0x3c, sda: 21, scl: 22 });
    expect(c.config.button).toEqual({ pin: 0, longPress: LONG_PRESS });
    expect(c.config.telnet).toBe(false);
    expect(c.config.provider).toMatchObject({ kind: "simkl", device: "https://api.simkl.com/oauth/pin" });
  });

  // one wrong field at a time, and what the device says of it
  const cases: [string, unknown, string][] = [
    ["wifi", "home", "wifi must be an object"],
    ["wifi.ssid", 7, "wifi.ssid must be text"],
    ["wifi.ssid", "x".repeat(33), "wifi.ssid longer than 32 bytes"],
    ["wifi.password", "short", "wifi.password must be 8..63 characters"],
    ["wifi.password", "p".repeat(64), "wifi.password must be 8..63 characters"],
    ["wifi.password", 12345678, "wifi.password must be text"],
    ["provider", "google", "provider must be simkl, kinde, auth0, rfc8628"],
    ["provider", "Kinde", "provider must be simkl, kinde, auth0, rfc8628"],
    ["provider", 3, "provider must be text"],
    ["clientId", undefined, "clientId missing"],
    ["clientId", "", "clientId missing"],
    ["clientId", 42, "clientId must be text"],
    ["base", "http://api.simkl.com", "base must be https"],
    ["base", "api.simkl.com", "base not a URL"],
    ["endpoints", "x", "endpoints must be an object"],
    ["endpoints.device", "http://evil.example/pin", "endpoints.device must be https"],
    ["endpoints.userinfo", "ftp://x", "endpoints.userinfo not a URL"],
    ["scope", ["openid"], "scope must be text"],
    ["audience", 1, "audience must be text"],
    ["ca", "not a certificate", "ca not a PEM certificate"],
    ["ca", 5, "ca must be PEM text or a list of it"],
    ["ca", ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"], "ca not a PEM certificate"],
    ["display", 64, "display must be an object"],
    ["display.width", 96, "display.width must be 128"],
    ["display.height", 48, "display.height must be 64 or 32"],
    ["display.address", 0x3e, "display.address must be 60 or 61"],
    ["display.sda", 34, "display.sda must be 0..33"],
    ["display.scl", "22", "display.scl must be 0..33"],
    ["display.scl", 21, "display.sda and display.scl must differ"],
    ["button", 0, "button must be an object"],
    ["button.pin", 40, "button.pin must be 0..39"],
    ["button.pin", 1.5, "button.pin must be 0..39"],
    ["button.longPress", 200, "button.longPress must be 1000..30000"],
    ["telnet", "yes", "telnet must be true or false"],
  ];
  for (const [path, value, problem] of cases) {
    it(`${path} = ${JSON.stringify(value)}: "${problem}"`, () => {
      const c = checkConfig(withField(path, value));
      expect(c.problems).toEqual([problem]);
      expect(c.config.problem).toBe(problem);
    });
  }

  it("no network (none, or an empty name) is no problem: the device starts WiFi set-up", () => {
    for (const wifi of [undefined, { ssid: "" }, { password: "" }]) {
      const c = checkConfig({ ...GOOD, wifi });
      expect(c.problems).toEqual([]);
      expect(c.config.wifi.ssid).toBe("");
    }
  });

  it("Kinde and Auth0 need their tenant's base; an RFC 8628 server its endpoints", () => {
    expect(checkConfig({ ...GOOD, provider: "kinde" }).problems).toEqual(["base missing"]);
    expect(checkConfig({ ...GOOD, provider: "auth0" }).problems).toEqual(["base missing"]);
    expect(checkConfig({ ...GOOD, provider: "rfc8628" }).problems).toEqual(["endpoints.device missing"]);
    expect(checkConfig({ ...GOOD, provider: "rfc8628", endpoints: { device: "https://id.example/d" } }).problems).toEqual(["endpoints.token missing"]);
  });

  it("plain http:// only to loopback", () => {
    expect(checkConfig({ ...GOOD, base: "http://127.0.0.1:8080/simkl" }).problems).toEqual([]);
    expect(checkConfig({ ...GOOD, base: "http://localhost:8080" }).problems).toEqual([]);
    // the device's network has no IPv6: a literal would be looked up as a name and fail later
    expect(checkConfig({ ...GOOD, base: "http://[::1]:8080" }).problems).toEqual(["base not a URL"]);
    expect(checkConfig({ ...GOOD, base: "http://127.evil.example" }).problems).toEqual(["base must be https"]);
    expect(checkConfig({ ...GOOD, base: "http://192.168.1.10" }).problems).toEqual(["base must be https"]);
  });

  it("every problem is listed, in the order of the fields; unknown fields are named, not fatal", () => {
    const c = checkConfig({ wifi: { ssid: "", pasword: "x" }, clientId: "", display: { height: 16, colour: "blue" }, extra: 1, ca: PEM });
    expect(c.problems).toEqual(["clientId missing", "display.height must be 64 or 32"]);
    expect(c.unknown).toEqual(["wifi.pasword", "display.colour", "extra"]);
    const fine = checkConfig({ ...GOOD, colour: "blue", wifi: { ...GOOD.wifi, hidden: true } });
    expect(fine.problems).toEqual([]);
    expect(fine.unknown).toEqual(["wifi.hidden", "colour"]);
  });

  it("no config, or one that is not an object", () => {
    expect(checkConfig(undefined).problems).toEqual(["no config"]);
    expect(checkConfig([1]).problems).toEqual(["config not a JSON object"]);
    expect(checkConfig("x").problems).toEqual(["config not a JSON object"]);
  });

  /** Boots a board with `stored` (text) as its config and returns what it showed and said. */
  async function bootWith(stored: string | undefined): Promise<{ board: Board; lines: string[] }> {
    const board = new Board();
    if (stored !== undefined) board.flash.set(CONFIG_FILE, stored);
    await (await import("./support/firmware.ts")).bootFirmware(board);
    board.advance(SPLASH + 100);
    return { board, lines: board.console.lines };
  }

  it("on the board: the setup screen names the first problem, the console every one; nothing crashes", async () => {
    for (const [config, first, said] of [
      [{ ...GOOD, clientId: undefined }, "clientId missing", ["clientId missing"]],
      [{ ...GOOD, wifi: { ssid: "" }, display: { address: 1 } }, "display.address must be 60 or 61", ["display.address must be 60 or 61"]],
      [{ ...GOOD, base: "http://api.simkl.com" }, "base must be https", ["base must be https"]],
    ] as [Record<string, unknown>, string, string[]][]) {
      const { board, lines } = await bootWith(JSON.stringify(config));
      expect(board.uncaught).toEqual([]);
      expect(lines).toContain(JSON.stringify({ screen: "setup", texts: [first] }));
      expect(lines.filter((l) => l.startsWith("codepair: config: "))).toEqual(said.map((p) => "codepair: config: " + p));
      // nothing was joined or asked
      expect(board.net.log).toEqual([]);
      board.powerOff();
    }
  });

  it("on the board: broken JSON in flash is 'no config', an unknown field is reported and the device goes on", async () => {
    const broken = await bootWith('{"wifi":{"ssid":"home"');
    expect(broken.lines).toContain(JSON.stringify({ screen: "setup", texts: ["no config"] }));
    expect(broken.board.uncaught).toEqual([]);
    broken.board.powerOff();
    const extra = await bootWith(JSON.stringify({ ...GOOD, wifi: { ssid: "home", password: "correct horse", pasword: "typo" } }));
    expect(extra.lines).toContain("codepair: config: unknown field wifi.pasword (ignored)");
    expect(extra.lines).toContain(JSON.stringify({ screen: "wifi", texts: ["home"] }));
    extra.board.powerOff();
  });
});

describe("the token in flash", () => {
  let mock: MockProviders;
  let current: Board;
  beforeAll(async () => {
    // token lifetime 20 s: the device refreshes after MIN_REFRESH_EVERY (60 s), not at 18 s;
    // refresh tokens are not rotated
    mock = await startMockProviders({ now: () => current.clock.now, tokenLifetime: 20 });
  });
  afterAll(async () => {
    await mock.close();
  });

  async function boot(flash: Flash): Promise<Device> {
    current = new Board({ flash });
    return bootDevice(current, mockConfig("auth0", mock.base("auth0")), mock, false);
  }

  it(
    "a power cut at every byte of a token write leaves the old record or the new one, and the device comes back paired",
    async () => {
      // pair once: the record to start every run from
      const first = new Flash();
      first.set(CONFIG_FILE, JSON.stringify(mockConfig("auth0", mock.base("auth0"))));
      const d0 = await boot(first);
      const code = (await d0.until("code")).texts[0];
      mock.provider("auth0").approve(code, { who: "Power Cut" });
      await d0.until("paired", 60000);
      await d0.close();
      const snapshot = new Map(first.names().map((n) => [n, first.get(n)!]));
      const old = keptToken(first)!;
      expect(old).toContain('"account":"Power Cut"');

      // each run: boot from the snapshot, the power goes after n bytes of the next write (the
      // refreshed record), then the board boots again
      const left = { old: 0, fresh: 0 };
      let size = 0;
      for (let n = 0; ; n++) {
        const flash = new Flash();
        for (const [name, data] of snapshot) flash.set(name, data);
        flash.cutPowerAfter(n);
        const d = await boot(flash);
        await d.run(MIN_REFRESH_EVERY + 12000);
        const cut = !current.powered;
        const kept = keptToken(flash);
        expect(kept === old || (kept !== undefined && JSON.parse(kept).seq === JSON.parse(old).seq + 1)).toBe(true);
        if (kept === old) left.old++;
        else left.fresh++;
        if (!cut) {
          // the write was whole: n passed its size
          size = n;
          expect(kept).not.toBe(old);
          await d.close();
          break;
        }
        expect(kept).toBe(old);
        // power back: the device reads a whole record, paired at once, no new code
        flash.cutPowerAfter(undefined);
        const again = await boot(flash);
        await again.until("paired", 10000);
        expect(again.screens.map((s) => s.screen)).not.toContain("code");
        expect(current.uncaught).toEqual([]);
        await again.run(30000);
        expect(again.current()!.screen).toBe("paired");
        await again.close();
      }
      // every byte of the write was a cut point; the last run wrote it whole
      // the pairing wrote both slots (the token, then the account's name): the cut write is
      // the third, into the older slot
      expect([...snapshot.keys()].filter((k) => (TOKEN_SLOTS as string[]).includes(k)).sort()).toEqual(TOKEN_SLOTS);
      expect(size).toBeGreaterThan(100);
      expect(left).toEqual({ old: size, fresh: 1 });
      console.log(`power-cut sweep: ${size + 1} cut points (0..${size} bytes of a ${size}-byte write): ${left.old} left the old record, ${left.fresh} the new one, none a broken one`);
    },
    120000,
  );

  it("a record for another provider or client is not used; re-pairing erases every slot", async () => {
    const flash = new Flash();
    flash.set(CONFIG_FILE, JSON.stringify(mockConfig("auth0", mock.base("auth0"))));
    const d = await boot(flash);
    mock.provider("auth0").approve((await d.until("code")).texts[0], { who: "Ann" });
    await d.until("paired", 60000);
    await d.close();
    // the same flash under another client id: a new pairing, and the old record stays unused
    flash.set(CONFIG_FILE, JSON.stringify({ ...mockConfig("auth0", mock.base("auth0")), clientId: "another-client" }));
    const other = await (async () => {
      current = new Board({ flash });
      return bootDevice(current, {}, mock, false);
    })();
    await other.until("code", 10000);
    expect(keptToken(flash)).toContain('"clientId":"codepair-sim"');
    // a 3 s hold: every slot erased
    current.button.press();
    await other.run(LONG_PRESS + 100);
    current.button.release();
    await other.run(100);
    expect(noTokenSlots(flash)).toBe(true);
    await other.close();
  });
});

describe("the button", () => {
  it("a bouncing contact is one press: the code screen turns one page, not two", async () => {
    // oidc-provider's verification_uri_complete is short enough for a QR code beside the code,
    // so its code screen has two pages, and a press turns them
    const server = await startOidcServer({});
    try {
      const board = new Board();
      const d = (device = await bootDevice(
        board,
        { wifi: { ...SIM_NETWORK }, provider: "rfc8628", clientId: server.clientId, endpoints: { device: server.deviceAuthorizationEndpoint, token: server.tokenEndpoint } },
        { held: () => 0 },
      ));
      await d.until("code");
      await d.run(1000);
      // the panel above the time-left bar: the QR page or the link page (pages turn every 10 s)
      const page = (): string => Buffer.from(board.screen().slice(0, 128 * 56)).toString("hex");
      const first = page();
      board.button.bounce(7, 3, true);
      await d.run(300);
      board.button.bounce(5, 4, false);
      await d.run(300);
      const second = page();
      expect(second).not.toBe(first);
      board.button.click();
      await d.run(300);
      expect(page()).toBe(first);
      expect(board.uncaught).toEqual([]);
      await d.close();
      device = undefined;
    } finally {
      await server.close();
    }
  });

  it("held past HOLD_SHOWN: the hold screen; let go early: cancelled, the code screen back, nothing forgotten", async () => {
    const d = (device = await startDevice({ kind: "simkl" }));
    const code = (await d.until("code")).texts[0];
    d.board.button.press();
    await d.run(HOLD_SHOWN + 300);
    expect(d.current()!.screen).toBe("hold");
    await d.run(1000);
    d.board.button.release();
    await d.run(100);
    expect(d.current()).toMatchObject({ screen: "code", texts: [code, expect.any(String)] });
    expect(d.requests().filter((r) => /\/oauth\/pin\?/.test(r.url)).length).toBe(1);
  });

  it("held to the end while paired: the hold screen fills, the token is forgotten, a new code comes", async () => {
    const d = (device = await startDevice({ kind: "simkl" }));
    d.mock.provider("simkl").approve((await d.until("code")).texts[0], { who: "Bo" });
    await d.until("paired", 60000);
    d.board.button.press();
    await d.run(LONG_PRESS + 200);
    expect(noTokenSlots(d.board.flash)).toBe(true);
    d.board.button.release();
    await d.until("code", 10000);
    expect(d.screens.map((s) => s.screen)).toContain("hold");
  });

  it("a short press on 'WiFi failed' tries again at once", async () => {
    const d = (device = await startDevice({ kind: "simkl" }));
    delete d.board.wifi.networks[SIM_NETWORK.ssid];
    d.board.reboot();
    await d.until("wifi-failed", 30000);
    const t = d.board.clock.now;
    d.board.wifi.networks[SIM_NETWORK.ssid] = SIM_NETWORK.password;
    d.board.button.click();
    await d.until("code", 10000);
    expect(d.board.clock.now - t).toBeLessThan(WIFI_RETRY);
  });
});

describe("WiFi", () => {
  const starts = (d: Device) => d.requests().filter((r) => /\/oauth\/pin\?/.test(r.url));

  it("lost while a code is on screen: the code stays, polling pauses, and resumes with the same code when WiFi is back", async () => {
    const d = (device = await startDevice({ kind: "simkl" }));
    const code = (await d.until("code")).texts[0];
    await d.run(6000);
    d.board.wifi.drop();
    await d.run(15000);
    // the station noticed (beacon time-out, two tries): the code stays up, with a note
    expect(d.current()!.screen).toBe("code");
    expect(d.current()!.texts).toEqual([code, expect.any(String), "No WiFi: reconnecting"]);
    const during = d.requests().length;
    await d.run(60000);
    expect(d.requests().length).toBe(during);
    expect(d.current()!.texts[0]).toBe(code);
    d.board.wifi.restore();
    d.mock.provider("simkl").approve(code, { who: "Back Online" });
    await d.until("paired", 120000);
    expect(starts(d).length).toBe(1);
    expect(d.screens.filter((s) => s.screen === "code").every((s) => s.texts[0] === code)).toBe(true);
  });

  it("lost until the code runs out: the WiFi screens, then a new code once it is back", async () => {
    const d = (device = await startDevice({ kind: "simkl", mockOptions: { expiresIn: 60 } }));
    const code = (await d.until("code")).texts[0];
    d.board.wifi.drop();
    await d.run(90000);
    expect(["wifi", "wifi-failed"]).toContain(d.current()!.screen);
    d.board.wifi.restore();
    const next = await d.until("code", 120000);
    expect(next.texts[0]).not.toBe(code);
    expect(starts(d).length).toBe(2);
  });

  it("lost while paired: the token is kept, and the device is paired again when WiFi is back, with no new code", async () => {
    const d = (device = await startDevice({ kind: "simkl" }));
    d.mock.provider("simkl").approve((await d.until("code")).texts[0], { who: "Kept" });
    await d.until("paired", 60000);
    const kept = keptToken(d.board.flash);
    d.board.wifi.drop();
    await d.until("wifi", 20000);
    await d.run(120000);
    expect(keptToken(d.board.flash)).toBe(kept);
    d.board.wifi.restore();
    await d.until("paired", 120000);
    expect(d.current()!.texts).toEqual(["Kept"]);
    expect(starts(d).length).toBe(1);
  });

  it("a join that hangs is given up after JOIN_TIMEOUT, and tried again after 5, 10, 20 s", async () => {
    const d = (device = await startDevice({ kind: "simkl" }));
    await d.until("code");
    d.board.wifi.joinDelayMs = 10 * JOIN_TIMEOUT;
    d.board.reboot();
    const failed: number[] = [];
    const joins: number[] = [];
    for (let i = 0; i < 3; i++) {
      joins.push((await d.until("wifi", 200000)).at);
      failed.push((await d.until("wifi-failed", 200000)).at);
    }
    expect(failed.map((t, i) => t - joins[i])).toEqual([JOIN_TIMEOUT, JOIN_TIMEOUT, JOIN_TIMEOUT]);
    expect(joins.slice(1).map((t, i) => t - failed[i])).toEqual([WIFI_RETRY, 2 * WIFI_RETRY]);
    expect(d.current()!.texts).toEqual([SIM_NETWORK.ssid]);
    d.board.wifi.joinDelayMs = 1500;
    await d.until("code", 200000);
  });
});

describe("reboot in every state", () => {
  type Reach = (d: Device) => Promise<void>;
  const simkl = (d: Device) => d.mock.provider("simkl");
  const approveAndHold = async (d: Device): Promise<void> => {
    simkl(d).fault({ on: "userinfo", kind: "hold" });
    simkl(d).approve((await d.until("code")).texts[0], { who: "Rebooted" });
    await d.until("approved", 60000);
  };
  const paired = async (d: Device): Promise<void> => {
    simkl(d).approve((await d.until("code")).texts[0], { who: "Rebooted" });
    await d.until("paired", 60000);
  };
  // each state, how to get there, and where a reboot from it leads
  const states: [string, Reach, string][] = [
    ["splash", async (d) => d.run(500), "code"],
    ["wifi", async (d) => void (await d.until("wifi")), "code"],
    ["wifi-failed", async (d) => {
      delete d.board.wifi.networks[SIM_NETWORK.ssid];
      await d.until("wifi-failed", 60000);
      d.board.wifi.networks[SIM_NETWORK.ssid] = SIM_NETWORK.password;
    }, "code"],
    ["requesting", async (d) => {
      simkl(d).fault({ on: "start", kind: "hold" });
      await d.until("requesting");
    }, "code"],
    ["code", async (d) => void (await d.until("code")), "code"],
    ["offline", async (d) => {
      simkl(d).fault({ on: "start", kind: "status", status: 503 });
      await d.until("offline");
    }, "code"],
    ["approved", approveAndHold, "paired"],
    ["paired", paired, "paired"],
    ["hold", async (d) => {
      await paired(d);
      d.board.button.press();
      await d.until("hold");
    }, "paired"],
    ["denied", async (d) => {
      d.mock.provider("kinde").deny((await d.until("code")).texts[0]);
      await d.until("denied", 60000);
    }, "code"],
  ];
  for (const [state, reach, then] of states) {
    it(`${state} → ${then}`, async () => {
      // Simkl's PIN flow has no denial: Kinde's has
      const d = (device = await startDevice({ kind: state === "denied" ? "kinde" : "simkl" }));
      await reach(d);
      expect(d.current()!.screen).toBe(state);
      d.mock.provider(d.kind).clearFaults();
      d.board.button.release();
      d.board.reboot();
      await d.until(then, 120000);
      // (a token kept before its account's name came shows the name once the API gives it)
      await d.run(5000);
      expect(d.current()!.screen).toBe(then);
      expect(d.board.uncaught).toEqual([]);
      if (then === "paired") expect(d.current()!.texts).toEqual(["Rebooted"]);
    });
  }

  it("expired → code; with a bad config, setup → setup", async () => {
    const d = (device = await startDevice({ kind: "simkl", mockOptions: { expiresIn: 10 } }));
    await d.until("expired", 200000);
    d.board.reboot();
    await d.until("code", 20000);
    d.board.flash.set(CONFIG_FILE, JSON.stringify({ wifi: { ssid: "x" } }));
    d.board.reboot();
    await d.until("setup", 20000);
    d.board.reboot();
    await d.until("setup", 20000);
    expect(d.board.uncaught).toEqual([]);
  });
});

describe("locked down", () => {
  it("the telnet console is switched off at boot, and on only when the config asks", async () => {
    const d = (device = await startDevice({ kind: "simkl" }));
    await d.until("code");
    expect(d.board.telnet.mode).toBe("off");
    await d.close();
    device = await startDevice({ kind: "simkl", config: { telnet: true } });
    await device.until("code");
    expect(device.board.telnet.mode).toBe("on");
  });

  it("no token, refresh token, device code or WiFi password in any console line, frame text or request but its own", async () => {
    const d = (device = await startDevice({ kind: "auth0", mockOptions: { tokenLifetime: 120, rotateRefresh: true } }));
    const p = d.mock.provider("auth0");
    // every request as sent: method, URL, headers and body, captured at the mock
    p.approve((await d.until("code")).texts[0], { who: "Secret Keeper" });
    await d.until("paired", 60000);
    // a refresh (at 90% of 120 s), a 401 and a re-pair with the button
    await d.run(200000);
    d.board.button.press();
    await d.run(LONG_PRESS + 100);
    d.board.button.release();
    await d.until("code", 10000);
    const secrets = [
      ...p.tokens().map((t) => t.value),
      ...p.codes().map((c) => c.deviceCode),
      SIM_NETWORK.password,
    ].filter((v) => v && v.length >= 8);
    expect(secrets.length).toBeGreaterThan(5);
    const console = d.board.console.lines.join("\n");
    const frames = d.screens.map((s) => s.texts.join("\n")).join("\n");
    const log = d.board.net.log.map((e) => e.method + " " + e.url).join("\n");
    for (const s of secrets) {
      expect(console).not.toContain(s);
      expect(frames).not.toContain(s);
      expect(log).not.toContain(s);
    }
    // each secret went only where it belongs: tokens in the Authorization header to the
    // account's API and in the form to the token endpoint, never in a URL
    for (const r of d.mock.requests) {
      for (const s of secrets) expect(r.path + JSON.stringify(r.query)).not.toContain(s);
      if (r.endpoint !== "refresh" && r.endpoint !== "poll") for (const s of secrets) expect(JSON.stringify(r.form || {})).not.toContain(s);
    }
  });
});

describe("Storage compaction: at moments the firmware chooses, under a screen that asks to keep the power on", () => {
  let mock: MockProviders;
  beforeAll(async () => {
    mock = await startMockProviders({});
  });
  afterAll(async () => {
    await mock.close();
  });
  function configured(): Flash {
    const flash = new Flash();
    flash.set(CONFIG_FILE, JSON.stringify(mockConfig("simkl", mock.base("simkl"))));
    return flash;
  }

  /** Trash that leaves `free` bytes at the end of Storage (a file written and erased, as the interpreter counts room). */
  function trashUntil(flash: Flash, free: number): void {
    const left = flash.stats().freeBytes - free;
    flash.create("junk", left - 32);
    flash.erase("junk");
    expect(flash.stats().freeBytes).toBeLessThan(free + 4);
  }

  it("near full at boot: compacted before WiFi, with \"Keep power on\" on the screen", async () => {
    const flash = configured();
    trashUntil(flash, 50000);
    const d = (device = await startDevice({ kind: "simkl", flash, mock }));
    await d.until("code", 60000);
    expect(d.screens.map((s) => s.screen).slice(0, 3)).toEqual(["splash", "compacting", "wifi"]);
    expect(flash.log.map((e) => e.op)).toEqual(["erase", "compact"]);
    expect(flash.stats().trashBytes).toBe(0);
  });

  it("plenty of room at boot: not compacted", async () => {
    const flash = configured();
    trashUntil(flash, 200000);
    const d = (device = await startDevice({ kind: "simkl", flash, mock }));
    await d.until("code", 60000);
    expect(d.screens.map((s) => s.screen)).not.toContain("compacting");
    expect(flash.stats().trashBytes).toBeGreaterThan(0);
  });

  it("a token write that would compact inside it: compacted first, under the screen, then written", async () => {
    const flash = configured();
    const d = (device = await startDevice({ kind: "simkl", flash, mock }));
    const code = (await d.until("code", 60000)).texts[0];
    // meanwhile Storage fills up (a test's shortcut for weeks of token writes)
    trashUntil(flash, 1000);
    d.mock.provider("simkl").approve(code, { who: "Ada" });
    await d.until("paired", 60000);
    const ops = flash.log.map((e) => e.op + (e.name ? " " + e.name : ""));
    expect(ops.slice(0, 3)).toEqual(["erase junk", "compact", "write " + TOKEN_SLOTS[0]]);
    const shown = d.screens.map((s) => s.screen);
    expect(shown.indexOf("compacting")).toBeGreaterThan(shown.indexOf("code"));
    expect(shown.indexOf("compacting")).toBeLessThan(shown.indexOf("paired"));
  });
});
