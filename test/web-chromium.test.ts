// `npm start`'s web page, driven in a real browser (Debian's Chromium through playwright-core)
// as a person uses it: the code is read off the OLED's picture on the page, by matching the
// glyphs of the firmware's code font (drawn by the simulator's Graphics) against its pixels;
// typed into the mock's approval page in the page's iframe; approved; then the page's button
// is held to forget the account, and the new code is denied.
import { get } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { startWebPanel } from "../host-sim/web.ts";
import { ROOT } from "./support/firmware.ts";
import { LONG_PRESS, oledPixels, readCodeOff, readCodeOnPage, simulatorPages, waitForScreen } from "./support/chromium.ts";

describe("the simulator's page in Chromium", () => {
  const { withSimulator } = simulatorPages();

  it("pairs with the code read off the OLED and typed into the approval page; a long press on the button pairs again", async () => {
    await withSimulator([], async (page) => {
      await waitForScreen(page, "code", 15000);
      const code = await readCodeOnPage(page);
      expect(code).toMatch(/^[A-Z0-9]{5}$/); // Simkl's: 5 characters

      const approval = page.frameLocator('iframe[title="Approval page"]');
      await approval.locator('input[name="user_code"]').pressSequentially(code);
      if (process.env.UPDATE_SCREENS === "1") await page.screenshot({ path: join(ROOT, "docs/simulator.png") });
      await approval.getByRole("button", { name: "Approve" }).click();
      await approval.getByText("Device approved").waitFor({ timeout: 5000 });
      // the device polls every 5 s (the mock's interval)
      await waitForScreen(page, "paired", 15000);
      const paired = await oledPixels(page);
      expect(readCodeOff(paired.lit, paired.width, paired.height)).toBe("");

      // held for the long-press time: the account is forgotten and a new code comes
      const box = (await page.locator("#button").boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.waitForTimeout(LONG_PRESS + 700);
      await page.mouse.up();
      await waitForScreen(page, "code", 10000);
      const again = await readCodeOnPage(page);
      expect(again).toMatch(/^[A-Z0-9]{5}$/);
      expect(again).not.toBe(code);
    });
  }, 40000);

  it("--provider rfc8628: a denied code shows the denied screen, and a click on the button a new code", async () => {
    await withSimulator(["--provider", "rfc8628"], async (page) => {
      await waitForScreen(page, "code", 15000);
      const code = await readCodeOnPage(page);
      expect(code).toMatch(/^[A-Z0-9]{8}$/); // the mock Kinde's: 8 characters
      const approval = page.frameLocator('iframe[title="Approval page"]');
      await approval.locator('input[name="user_code"]').pressSequentially(code);
      await approval.getByRole("button", { name: "Deny" }).click();
      // the mock knows the code the OLED shows: "Denied", not "Unknown or expired code"
      await approval.getByRole("heading", { name: "Denied" }).waitFor({ timeout: 5000 });
      await waitForScreen(page, "denied", 15000);
      await page.locator("#button").click();
      await waitForScreen(page, "code", 10000);
      const next = await readCodeOnPage(page);
      expect(next).toMatch(/^[A-Z0-9]{8}$/);
      expect(next).not.toBe(code);
    });
  }, 30000);
});

describe("the page's server", () => {
  /** A page server for a board (not booted: its panel is dark) whose controls are logged. */
  async function served(approval: string) {
    const done: string[] = [];
    const log = (what: string) => () => void done.push(what);
    const board = new Board();
    const web = await startWebPanel({
      board,
      controls: { press: log("press"), release: log("release"), reboot: log("reboot"), power: (on) => done.push("power " + on), accessPoint: (up) => done.push("ap " + up) },
      approval,
      source: "the mock Simkl on this machine",
      longPress: 3000,
    });
    return { web, done };
  }

  it("listens on 127.0.0.1 only and serves the page with the approval page's address", async () => {
    const { web } = await served("http://127.0.0.1:1/simkl/pin");
    try {
      expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await (await fetch(web.url)).text();
      expect(page).toContain('const SETUP = {"width":128,"height":64,"approval":"http://127.0.0.1:1/simkl/pin"');
      expect(page).not.toContain("/*SETUP*/");
    } finally {
      await web.close();
    }
  });

  it("streams the panel's pixels, screen and its texts, power, WiFi and the phone's network: nothing else", async () => {
    const { web } = await served("");
    try {
      const res = await fetch(web.url + "events");
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      const state = JSON.parse(first.replace(/^data: /, ""));
      expect(Object.keys(state).sort()).toEqual(["accessPoint", "frame", "phone", "powered", "screen", "texts", "wifi"]);
      expect(state).toMatchObject({ screen: "off", texts: [], powered: false, wifi: "off", phone: "" });
      expect(Buffer.from(state.frame, "base64")).toEqual(Buffer.alloc(128 * 64 / 8)); // dark: the board is off
      await reader.cancel();
    } finally {
      await web.close();
    }
  });

  it("takes the controls by POST from its own page only", async () => {
    const { web, done } = await served("");
    try {
      const post = (path: string, headers?: Record<string, string>) => fetch(web.url + path, { method: "POST", headers }).then((r) => r.status);
      expect(await post("button/down")).toBe(204);
      expect(await post("button/up", { Origin: web.url.slice(0, -1) })).toBe(204);
      expect(await post("reboot")).toBe(204);
      expect(await post("power/off")).toBe(204);
      expect(await post("wifi/off")).toBe(204);
      // another site's page in the same browser, and a name that is not this machine's (DNS rebinding)
      expect(await post("reboot", { Origin: "http://example.com" })).toBe(403);
      const port = new URL(web.url).port;
      const rebound = await new Promise<number>((resolve, reject) => {
        get({ host: "127.0.0.1", port, path: "/", headers: { Host: "attacker.example:" + port } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on("error", reject);
      });
      expect(rebound).toBe(421);
      expect(await post("nothing")).toBe(404);
      expect(done).toEqual(["press", "release", "reboot", "power false", "ap false"]);
    } finally {
      await web.close();
    }
  });
});
