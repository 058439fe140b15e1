// One WiFi set-up on the simulated board (firmware/setup/session.ts): the access point comes
// up with a fresh password from E.hwRand, the page lists what the scan heard, a phone saves a
// network, and then the portal, the name server and the access point are gone before the
// device hears of the network. Nothing of the passwords reaches the console.
import { describe, expect, it } from "vitest";
import { AP_ALPHABET, AP_PASSWORD_LENGTH } from "../firmware/setup/ap.ts";
import { CONFIG_FILE } from "../firmware/store/config.ts";
import { WIFI_SLOTS } from "../firmware/store/wifi.ts";
import { Board } from "../host-sim/board.ts";
import { Flash } from "../host-sim/storage.ts";
import { get, postForm } from "./support/setup-client.ts";
import { setupBundle } from "./support/setup-device.ts";

const until = async (ok: () => boolean, limitMs = 10000): Promise<void> => {
  for (const end = Date.now() + limitMs; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  expect(ok()).toBe(true);
};

function startProgram(message: string): string {
  return `var session = null;
startSetup(${JSON.stringify(message)}, function (s) {
  session = s;
  print("READY " + JSON.stringify({ ssid: s.ssid, ip: s.ip, qr: s.qr === wifiQrText(s.ssid, s.password) }));
}, function (c) { print("SAVED " + JSON.stringify(c.ssid) + " " + require("Wifi").getStatus().mode); });`;
}

async function setupBoard(message: string): Promise<{ board: Board; flash: Flash }> {
  const flash = new Flash();
  flash.set(CONFIG_FILE, JSON.stringify({ clientId: "abc" }));
  const board = new Board({ flash });
  board.wifi.networks = { home: "home-password", cafe: "", far: "x" };
  board.wifi.seen = { home: { rssi: -65, channel: 1 }, cafe: { rssi: -45, channel: 6 }, far: { rssi: -88, channel: 11 } };
  board.boot((await setupBundle()) + startProgram(message));
  board.clock.startRealTime();
  return { board, flash };
}

describe("a WiFi set-up", () => {
  it("starts the access point with a fresh password after a scan, and serves the page with what it heard", async () => {
    const { board } = await setupBoard("Could not join home: wrong password");
    expect(board.wifi.ap).toBeNull();
    await until(() => board.console.lines.some((l) => l.startsWith("READY")), 10000);
    expect(board.console.lines.filter((l) => l.startsWith("READY"))).toEqual(['READY {"ssid":"codepair-0002","ip":"192.168.4.1","qr":true}']);
    const ap = board.wifi.ap!;
    expect(ap.ssid).toBe("codepair-0002");
    expect(ap.authMode).toBe("wpa2");
    expect(ap.password).toMatch(new RegExp("^[" + AP_ALPHABET + "]{" + AP_PASSWORD_LENGTH + "}$"));
    // a phone joins with what the QR code says (its text as the firmware made it)
    const qr = String(board.evaluate("session.qr"));
    const m = /^WIFI:T:WPA;S:(.*);P:(.*);;$/.exec(qr)!;
    expect(board.wifi.joinAp(m[1], m[2])).toBe(true);
    expect(board.wifi.joinAp(m[1], m[2] + "x")).toBe(false);
    expect(board.wifi.joinAp("codepair-0003", m[2])).toBe(false);
    await until(() => !!board.net.listening[80] && !!board.dgram.bound[53]);
    const page = await get(board.net.listening[80]);
    expect(page!.status).toBe(200);
    const order = ["cafe", "home", "far"].map((n) => page!.body.indexOf('value="' + n + '"'));
    expect(order[0]).toBeGreaterThan(0);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(page!.body).toContain("Could not join home: wrong password");
    // a second set-up draws another password
    const again = await setupBoard("");
    await until(() => !!again.board.wifi.ap);
    expect(again.board.wifi.ap!.password).not.toBe(ap.password);
    for (const b of [board, again.board]) {
      expect(b.console.lines.join("\n")).not.toContain(b.wifi.ap!.password);
      b.powerOff();
    }
  }, 30000);

  it("saves the network from the page, then stops the portal, the name server and the access point", async () => {
    const { board, flash } = await setupBoard("");
    await until(() => !!board.net.listening[80] && !!board.dgram.bound[53]);
    const port = board.net.listening[80];
    const saved = await postForm(port, "ssid=home&other=&password=home-password");
    expect(saved!.status).toBe(200);
    await until(() => board.console.lines.some((l) => l.startsWith("SAVED")));
    expect(board.console.lines.filter((l) => l.startsWith("SAVED"))).toEqual(['SAVED "home" NULL']);
    expect(board.wifi.ap).toBeNull();
    expect(board.net.listening[80]).toBeUndefined();
    expect(board.dgram.bound[53]).toBeUndefined();
    expect(await get(port)).toBeNull();
    expect(flash.names().filter((n) => WIFI_SLOTS.includes(n))).toEqual([WIFI_SLOTS[0]]);
    expect(flash.get(CONFIG_FILE)).toBe(JSON.stringify({ clientId: "abc" }));
    expect(board.console.lines.join("\n")).not.toContain("home-password");
    expect(board.uncaught).toEqual([]);
    board.powerOff();
  }, 30000);
});
