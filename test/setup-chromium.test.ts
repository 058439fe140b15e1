// WiFi set-up from the simulator's page in Chromium, as a person does it: the simulator started
// with no network in the config (`npm start -- --no-network`), the WiFi QR code read off the OLED
// on the page, the page's phone joining the board's access point with it, the device's own
// set-up page in the phone's browser: the network picked, the password typed, Save. The device
// joins and pairs with the mock Simkl. A wrong password brings set-up back, the reason on the
// panel's console line and on the device's page.
//
// The access point's password is only decoded from the QR code and compared, never printed: the
// checks on it are written so that a failure does not show it.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { SPLASH } from "../firmware/app.ts";
import { SIM_NETWORK } from "../host-sim/cli.ts";
import { startWebPanel } from "../host-sim/web.ts";
import { readQr } from "./support/camera.ts";
import { oledPixels, readCodeOnPage, simulatorPages, waitForScreen } from "./support/chromium.ts";
import { startDevice } from "./support/pairing.ts";
import { rawRequest } from "./support/setup-client.ts";

/** The access point's name (from the MAC) and password (firmware/setup/ap.ts: 10 of an alphabet without look-alikes). */
const AP_NAME = /^codepair-[0-9A-F]{4}$/;
const AP_PASSWORD = /^[2-9a-hjkmnp-z]{10}$/;

/** The WiFi QR code the OLED shows on the page, decoded from a screenshot (once the code is drawn). */
async function readWifiQr(page: Page): Promise<{ ssid: string; password: string }> {
  for (let tries = 0; tries < 40; tries++) {
    const { lit, width, height } = await oledPixels(page);
    const qr = readQr(lit, width, height, { scale: 4, border: 16 });
    if (qr) {
      const m = /^WIFI:T:WPA;S:([^;\\]*);P:([^;\\]*);;$/.exec(qr.data);
      if (!m) throw new Error("the OLED's QR code is not a WPA network's WIFI: text");
      return { ssid: m[1], password: m[2] };
    }
    await page.waitForTimeout(250);
  }
  throw new Error("no QR code on the OLED");
}

const phoneBrowser = (page: Page) => page.frameLocator('iframe[title="Phone\'s browser"]');

/** Waits until the element `selector` says exactly `text`. */
async function says(page: Page, selector: string, text: string, timeout = 5000): Promise<void> {
  const exactly = new RegExp("^" + text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "$");
  try {
    await page.locator(selector, { hasText: exactly }).waitFor({ timeout });
  } catch (err) {
    throw new Error(`${selector} did not say "${text}" in ${timeout} ms; it says "${await page.locator(selector).textContent()}"`, { cause: err });
  }
}

/** Waits until the phone's status bar says `text`. */
const phoneSays = (page: Page, text: string): Promise<void> => says(page, "#phone-wifi", text);

/** On the device's page in the phone's browser: the network picked, the password typed, Save. */
async function saveNetwork(page: Page, ssid: string, password: string): Promise<void> {
  const device = phoneBrowser(page);
  await device.getByRole("radio", { name: new RegExp("^" + ssid + " ") }).check();
  await device.getByLabel(/^Password/).pressSequentially(password);
  await device.getByRole("button", { name: "Save" }).click();
  await device.getByText("Saved. codepair now joins " + ssid).waitFor({ timeout: 5000 });
}

describe("WiFi set-up from the simulator's page, in Chromium", () => {
  const { withSimulator } = simulatorPages();

  it("no network: the phone reads the OLED's QR code, joins, saves the network on the device's page; the device pairs", async () => {
    await withSimulator(["--no-network"], async (page) => {
      await waitForScreen(page, "wifi-setup", 15000);
      await page.locator("#phone").waitFor({ timeout: 1000 });
      const ap = await readWifiQr(page);
      expect(ap.ssid).toMatch(AP_NAME);
      expect(AP_PASSWORD.test(ap.password), "the access point's password has 10 characters of set-up's alphabet").toBe(true);
      expect(await page.locator("#phone-wifi").textContent()).toBe("WiFi: not connected");

      // typed by hand with one character wrong, the phone cannot join, as a phone could not
      await page.locator("#phone-ssid").fill(ap.ssid);
      await page.locator("#phone-password").fill(ap.password.slice(0, -1) + (ap.password.endsWith("2") ? "3" : "2"));
      await page.locator("#join").click();
      await says(page, "#phone-says", "Could not join " + ap.ssid + ": Incorrect password");
      expect(await page.locator("#phone-wifi").textContent()).toBe("WiFi: not connected");
      expect(await page.locator("#phone-address").textContent()).toBe("no page open");

      // the phone's camera reads the same name and password off the OLED, and joins with them
      await page.locator("#scan").click();
      await phoneSays(page, "WiFi: " + ap.ssid);
      expect(await page.locator("#phone-ssid").inputValue()).toBe(ap.ssid);
      expect((await page.locator("#phone-password").inputValue()) === ap.password, "the phone read the password the test read").toBe(true);
      expect(await page.locator("#phone-address").textContent()).toBe("http://192.168.4.1/");

      // the device's page lists the simulated network; a network is picked, its password typed, Save
      const savedAt = Date.now();
      await saveNetwork(page, SIM_NETWORK.ssid, SIM_NETWORK.password);
      await waitForScreen(page, "code", 15000);
      console.log(`set-up in Chromium: Save to the code on the page's OLED: ${Date.now() - savedAt} ms`);
      // the access point is gone, and the phone is off it
      await phoneSays(page, "WiFi: not connected");
      expect(await page.locator("#status").textContent()).toContain("WiFi: connected");

      const code = await readCodeOnPage(page);
      expect(code).toMatch(/^[A-Z0-9]{5}$/);
      const approval = page.frameLocator('iframe[title="Approval page"]');
      await approval.locator('input[name="user_code"]').pressSequentially(code);
      await approval.getByRole("button", { name: "Approve" }).click();
      await approval.getByText("Device approved").waitFor({ timeout: 5000 });
      await waitForScreen(page, "paired", 15000);
    });
  }, 60000);

  it("a wrong network password: back to set-up, the reason on the screen and on the device's page; then the right one gets a code", async () => {
    await withSimulator(["--no-network"], async (page) => {
      await waitForScreen(page, "wifi-setup", 15000);
      const first = await readWifiQr(page);
      await page.locator("#scan").click();
      await phoneSays(page, "WiFi: " + first.ssid);
      await saveNetwork(page, SIM_NETWORK.ssid, "not-the-password");

      // the device tries, fails, and starts set-up again: a new access point password
      const reason = SIM_NETWORK.ssid + ": Wrong password";
      await page.locator("#said", { hasText: "On screen: " + reason }).waitFor({ timeout: 15000 });
      await waitForScreen(page, "wifi-setup", 1000);
      await phoneSays(page, "WiFi: not connected");
      const again = await readWifiQr(page);
      expect(again.ssid).toBe(first.ssid);
      expect(again.password !== first.password, "set-up made a new access point password").toBe(true);

      // the phone scans again; the device's page says why
      await page.locator("#scan").click();
      await phoneSays(page, "WiFi: " + again.ssid);
      await phoneBrowser(page).getByText(reason).waitFor({ timeout: 5000 });
      await saveNetwork(page, SIM_NETWORK.ssid, SIM_NETWORK.password);
      await waitForScreen(page, "code", 15000);
      expect(await readCodeOnPage(page)).toMatch(/^[A-Z0-9]{5}$/);
    });
  }, 60000);
});

describe("the page's phone, on the simulator's server", () => {
  it("joins only with the access point's name and password, from its own page; its browser reaches the device's page only while on it, at its own address", async () => {
    const d = await startDevice({ kind: "simkl", config: { wifi: undefined } });
    const none = (): void => {};
    const web = await startWebPanel({
      board: d.board,
      controls: { press: none, release: none, reboot: none, power: none, accessPoint: none },
      approval: "",
      source: "the mock Simkl",
      longPress: 3000,
    });
    try {
      await d.until("wifi-setup", SPLASH + 1000);
      await d.run(3000); // the scan, then the access point
      const ap = d.board.wifi.ap!;
      expect(ap).not.toBeNull();
      const join = async (ssid: string, password: string, headers?: Record<string, string>) => {
        const r = await fetch(web.url + "phone/join", { method: "POST", body: new URLSearchParams({ ssid, password }), headers });
        return r.status === 200 ? await r.json() : r.status;
      };
      const m = /"phoneBrowser":"http:\/\/127\.0\.0\.1:(\d+)\/"/.exec(await (await fetch(web.url)).text());
      expect(m).not.toBeNull();
      const port = Number(m![1]);
      const open = (host: string) => rawRequest(port, ["GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n"], 0, 5000);
      d.board.clock.startRealTime();

      // on no network yet: the phone's browser reaches nothing
      expect(await open("127.0.0.1:" + port)).toBeNull();
      expect(await join(ap.ssid, ap.password.slice(1))).toEqual({ joined: false, why: "Incorrect password" });
      expect(await join("codepair-0000", ap.password)).toEqual({ joined: false, why: "Network not found" });
      expect(await join(ap.ssid, ap.password, { Origin: "http://example.com" })).toBe(403);
      expect(await open("127.0.0.1:" + port)).toBeNull();

      expect(await join(ap.ssid, ap.password)).toEqual({ joined: true, why: "" });
      const page = await open("127.0.0.1:" + port);
      expect(page!.status).toBe(200);
      expect(page!.body).toContain('value="' + SIM_NETWORK.ssid + '"');
      // this address under another name (a page elsewhere, by DNS rebinding): closed, nothing said
      expect(await open("attacker.example:" + port)).toBeNull();
    } finally {
      d.board.clock.stopRealTime();
      await web.close();
      await d.close();
    }
  }, 30000);
});
