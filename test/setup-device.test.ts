// WiFi set-up in the device's life (firmware/life.ts's WifiSetup), on the simulated board
// running the whole bundle: a config with no network starts set-up; the panel's QR code, read
// by a real decoder, joins the access point; a phone posts the form; the device leaves set-up,
// joins the network saved and pairs with the mock Simkl. A wrong password brings set-up back,
// the reason on the panel's console line and on the page. A hold at the splash's end, and a
// hold on the WiFi-failed screen, start set-up too.
import { afterEach, describe, expect, it } from "vitest";
import { SPLASH } from "../firmware/app.ts";
import { JOIN_TIMEOUT } from "../firmware/life.ts";
import { CONFIG_FILE } from "../firmware/store/config.ts";
import { WIFI_SLOTS } from "../firmware/store/wifi.ts";
import { SIM_NETWORK } from "../host-sim/cli.ts";
import { readQr } from "./support/camera.ts";
import { drive, startDevice, type Device } from "./support/pairing.ts";
import { get, postForm, type RawReply } from "./support/setup-client.ts";

let device: Device | undefined;
afterEach(async () => {
  if (device) await device.close();
  device = undefined;
});

/** A config with no network: the provider only. */
const NO_NETWORK = { wifi: undefined };

/** Runs the board's timers until `done()` (board time, at most `limitMs`). */
async function runUntil(d: Device, done: () => boolean, limitMs = 120000): Promise<void> {
  expect(await drive(d.board, d.mock, d.board.clock.now + limitMs, done)).toBe(true);
}

/** A request from the phone, the board's clock running (in small steps) until its reply is in. */
async function phone<T>(d: Device, p: Promise<T>): Promise<T> {
  let done = false;
  const r = p.then((v) => {
    done = true;
    return v;
  });
  for (let i = 0; !done && i < 2000; i++) {
    d.board.advance(10);
    await new Promise((res) => setTimeout(res, 2));
  }
  return r;
}

/** The access point up, its page served, the QR code drawn: what the panel's QR code says. */
async function setUpShown(d: Device): Promise<string> {
  await runUntil(d, () => !!d.board.wifi.ap && !!d.board.net.listening[80]);
  // the QR code is built a step at a time after the frame without it
  await d.run(500);
  const qr = readQr(d.board.screen(), d.board.width, d.board.height, { scale: 4, border: 16 });
  expect(qr).not.toBeNull();
  return qr!.data;
}

/** Joins the access point as the QR code says: its name and password. */
function joinWith(d: Device, text: string): void {
  const m = /^WIFI:T:WPA;S:(.*);P:(.*);;$/.exec(text);
  expect(m).not.toBeNull();
  expect(d.board.wifi.joinAp(m![1], m![2])).toBe(true);
}

function post(d: Device, ssid: string, password: string): Promise<RawReply | null> {
  return phone(d, postForm(d.board.net.listening[80], "ssid=" + encodeURIComponent(ssid) + "&other=&password=" + encodeURIComponent(password)));
}

describe("WiFi set-up on the device", () => {
  it("no network in the config: set-up; the QR code joins the access point; Save; the device joins and pairs", async () => {
    device = await startDevice({ kind: "simkl", config: NO_NETWORK });
    const d = device;
    d.board.wifi.networks.cafe = "cafe-password";
    await d.until("wifi-setup", SPLASH + 1000);
    // nothing is asked of the provider, and the station joins nothing, while set-up is up
    const text = await setUpShown(d);
    const ap = d.board.wifi.ap!;
    expect(text).toBe("WIFI:T:WPA;S:" + ap.ssid + ";P:" + ap.password + ";;");
    expect(ap.ssid).toMatch(/^codepair-[0-9A-F]{4}$/);
    joinWith(d, text);
    // a press turns to the text page: the name, the password and the address
    const qrPage = Buffer.from(d.board.screen()).toString("hex");
    d.board.button.click();
    await d.run(100);
    expect(Buffer.from(d.board.screen()).toString("hex")).not.toBe(qrPage);
    expect(readQr(d.board.screen(), d.board.width, d.board.height, { scale: 4, border: 16 })).toBeNull();
    const page = await phone(d, get(d.board.net.listening[80]));
    expect(page!.status).toBe(200);
    expect(page!.body).toContain('value="' + SIM_NETWORK.ssid + '"');
    expect(d.requests()).toEqual([]);

    const savedAt = d.board.clock.now;
    const reply = await post(d, SIM_NETWORK.ssid, SIM_NETWORK.password);
    expect(reply!.status).toBe(200);
    const code = (await d.until("code", 120000)).texts[0];
    console.log(`set-up: Save to the code on screen: ${d.board.clock.now - savedAt} ms of board time`);
    // set-up is gone: its code out of require's cache, no access point, no page, no name server
    expect(d.board.evaluate("Modules.getCached()")).not.toContain("codepair-setup");
    expect(d.board.wifi.ap).toBeNull();
    expect(d.board.net.listening[80]).toBeUndefined();
    expect(d.board.dgram.bound[53]).toBeUndefined();
    // the network is in flash, codepair.json as flashed
    expect(d.board.flash.names().filter((n) => WIFI_SLOTS.includes(n)).length).toBe(1);
    expect(JSON.parse(d.board.flash.get(CONFIG_FILE)!).wifi).toBeUndefined();
    d.mock.provider("simkl").approve(code, { who: "Set Up" });
    expect((await d.until("paired", 120000)).texts).toEqual(["Set Up"]);
    // neither password reached the console
    const said = d.board.console.lines.join("\n");
    expect(said).not.toContain(SIM_NETWORK.password);
    expect(said).not.toContain(ap.password);
    expect(d.board.uncaught).toEqual([]);
  }, 120000);

  it("set-up's module not in flash (a bundle sent alone): the screen says to flash the firmware again", async () => {
    device = await startDevice({ kind: "simkl", config: NO_NETWORK });
    const d = device;
    d.board.flash.erase("codepair-setup");
    const shown = await d.until("wifi-setup", SPLASH + 1000);
    expect(shown.texts).toContain("Set-up is missing: flash the firmware again");
    expect(d.board.wifi.ap).toBeNull();
    expect(d.board.uncaught).toEqual([]);
  });

  it("a wrong password, a network not found, a join timed out: back to set-up, the reason on the panel and on the page; then the right one pairs", async () => {
    device = await startDevice({ kind: "simkl", config: NO_NETWORK });
    const d = device;
    await d.until("wifi-setup", SPLASH + 1000);
    joinWith(d, await setUpShown(d));
    const firstAp = d.board.wifi.ap!.password;
    expect((await post(d, SIM_NETWORK.ssid, "not-the-password"))!.status).toBe(200);
    const back = await d.until("wifi-setup", 120000);
    expect(back.texts).toEqual([SIM_NETWORK.ssid + ": Wrong password"]);
    // a new access point, a new password
    const text = await setUpShown(d);
    expect(d.board.wifi.ap!.password).not.toBe(firstAp);
    joinWith(d, text);
    const page = await phone(d, get(d.board.net.listening[80]));
    expect(page!.body).toContain(SIM_NETWORK.ssid + ": Wrong password");
    // a network out of range: not found
    expect((await post(d, "far-away", "whatever-it-is"))!.status).toBe(200);
    expect((await d.until("wifi-setup", 120000)).texts).toEqual(["far-away: Network not found"]);
    joinWith(d, await setUpShown(d));
    // a join that takes longer than the device waits: time-out
    d.board.wifi.joinDelayMs = JOIN_TIMEOUT + 5000;
    expect((await post(d, SIM_NETWORK.ssid, SIM_NETWORK.password))!.status).toBe(200);
    expect((await d.until("wifi-setup", 120000)).texts).toEqual([SIM_NETWORK.ssid + ": Time-out joining"]);
    d.board.wifi.joinDelayMs = 1500;
    joinWith(d, await setUpShown(d));
    expect((await post(d, SIM_NETWORK.ssid, SIM_NETWORK.password))!.status).toBe(200);
    await d.until("code", 120000);
    expect(d.board.console.lines.join("\n")).not.toContain("not-the-password");
    expect(d.board.uncaught).toEqual([]);
  }, 120000);

  it("a hold at the splash's end starts set-up with a network configured; the WiFi-failed screen's hold too", async () => {
    device = await startDevice({ kind: "simkl" });
    const d = device;
    d.board.advance(SPLASH - 500);
    d.board.button.press();
    await d.until("wifi-setup", 2000);
    d.board.button.release();
    await setUpShown(d);
    expect(d.requests()).toEqual([]);
    await d.close();

    // a network that is not there: WiFi failed, the screen says to hold; a hold starts set-up
    device = await startDevice({ kind: "simkl", config: { wifi: { ssid: "gone", password: "password1" } } });
    const e = device;
    await e.until("wifi-failed", 120000);
    e.board.button.hold(3100);
    await e.until("wifi-setup", 2000);
    await setUpShown(e);
    expect(e.requests()).toEqual([]);
  }, 120000);

  it("a hold on the WiFi-failed screen that the WiFi outlasts (it came back meanwhile) starts nothing: the device pairs", async () => {
    device = await startDevice({ kind: "simkl", config: { wifi: { ssid: "gone", password: "password1" } } });
    const e = device;
    await e.until("wifi-failed", 120000);
    e.board.wifi.networks.gone = "password1";
    // pressed 4 s into the 5-s wait: the retry joins while the button is down
    await e.run(4000);
    e.board.button.hold(3100);
    await e.until("code", 120000);
    expect(e.screens.map((x) => x.screen)).not.toContain("wifi-setup");
    expect(e.board.wifi.ap).toBeNull();
    expect(e.board.evaluate("Modules.getCached()")).not.toContain("codepair-setup");
    expect(e.board.uncaught).toEqual([]);
  }, 120000);

  it("set-up's module not in flash, a network configured: a hold at the splash's end says so on the console and the device goes on with its network", async () => {
    device = await startDevice({ kind: "simkl" });
    const d = device;
    d.board.flash.erase("codepair-setup");
    d.board.advance(SPLASH - 500);
    d.board.button.press();
    d.board.advance(700);
    d.board.button.release();
    await d.until("code", 120000);
    expect(d.board.console.lines).toContain("codepair: WiFi set-up is missing: flash the firmware again");
    expect(d.screens.map((x) => x.screen)).not.toContain("wifi-setup");
    expect(d.board.uncaught).toEqual([]);
  }, 120000);
});
