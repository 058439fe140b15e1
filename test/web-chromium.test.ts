// `npm start`'s web page, driven in a real browser (Debian's Chromium through playwright-core)
// as a person uses it: the code is read off the OLED's picture on the page, by matching the
// glyphs of the firmware's code font (drawn by the simulator's Graphics) against its pixels;
// typed into the mock's approval page in the page's iframe; approved; then the page's button
// is held to forget the account, and the new code is denied.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CODE_HEIGHT, useCodeFont } from "../firmware/display/text.ts";
import { graphicsGlobals } from "../host-sim/graphics.ts";
import { createRealm } from "../host-sim/realm.ts";
import { Board } from "../host-sim/board.ts";
import { startWebPanel } from "../host-sim/web.ts";
import { ROOT, writeFirmware } from "./support/firmware.ts";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TSX = join(ROOT, "node_modules/.bin/tsx");
/** The hold that re-pairs: the device's default (config button.longPress). */
const LONG_PRESS = 3000;
/** What a device code may hold: the code font's letters, digits and the dash. */
const CODE_CHARS = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

// ---- reading the code off the OLED ----

interface Glyph {
  ch: string;
  w: number;
  h: number;
  /** w×h, row-major, 1 = lit */
  px: Uint8Array;
}

/** The code font's glyphs as the display draws them at `scale`, spacing column included. */
function codeGlyphs(scale: number): Glyph[] {
  type Canvas = Graphics & { getPixel(x: number, y: number): number };
  const lib = graphicsGlobals(createRealm()).Graphics as { createArrayBuffer(w: number, h: number, bpp: number, o: object): Canvas };
  return CODE_CHARS.split("").map((ch) => {
    const h = CODE_HEIGHT * scale;
    const probe = lib.createArrayBuffer(8, 8, 1, {});
    useCodeFont(probe, scale);
    const w = probe.stringWidth(ch);
    const g = lib.createArrayBuffer(w, h, 1, {});
    useCodeFont(g, scale);
    g.drawString(ch, 0, 0);
    const px = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px[y * w + x] = g.getPixel(x, y);
    return { ch, w, h, px };
  });
}

const GLYPHS = [4, 3, 2, 1].map((scale) => codeGlyphs(scale));

function matchesAt(lit: Uint8Array, width: number, glyph: Glyph, x0: number, y0: number): boolean {
  for (let y = 0; y < glyph.h; y++) {
    const row = (y0 + y) * width + x0;
    for (let x = 0; x < glyph.w; x++) if (lit[row + x] !== glyph.px[y * glyph.w + x]) return false;
  }
  return true;
}

/**
 * The code on a panel picture: the code font's glyphs found where the pixels are exactly a
 * glyph's box, at the largest scale any letter or digit appears; its lines top to bottom,
 * each left to right; a dash only between two characters of a line. "" if none.
 */
function readCodeOff(lit: Uint8Array, width: number, height: number): string {
  for (const glyphs of GLYPHS) {
    const found: { ch: string; x: number; y: number }[] = [];
    for (const glyph of glyphs) {
      for (let y = 0; y + glyph.h <= height; y++) {
        for (let x = 0; x + glyph.w <= width; x++) if (matchesAt(lit, width, glyph, x, y)) found.push({ ch: glyph.ch, x, y });
      }
    }
    if (!found.some((f) => f.ch !== "-")) continue;
    const rows = [...new Set(found.map((f) => f.y))].sort((a, b) => a - b);
    return rows
      .map((y) => {
        const line = found.filter((f) => f.y === y).sort((a, b) => a.x - b.x);
        return line.filter((f, i) => f.ch !== "-" || (i > 0 && i < line.length - 1)).map((f) => f.ch).join("");
      })
      .join("");
  }
  return "";
}

/** The OLED as the page shows it: a screenshot of its canvas, each panel pixel sampled at its centre. */
async function oledPixels(page: Page): Promise<{ lit: Uint8Array; width: number; height: number }> {
  const png = PNG.sync.read(await page.locator("#oled").screenshot());
  const width = 128;
  const cell = png.width / width;
  const height = Math.round(png.height / cell);
  const lit = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (Math.floor((y + 0.5) * cell) * png.width + Math.floor((x + 0.5) * cell)) * 4;
      lit[y * width + x] = png.data[i] + png.data[i + 1] + png.data[i + 2] > 3 * 128 ? 1 : 0;
    }
  }
  return { lit, width, height };
}

/** The code the OLED shows, read as soon as one is there. */
async function readCodeOnPage(page: Page): Promise<string> {
  for (let tries = 0; tries < 20; tries++) {
    const { lit, width, height } = await oledPixels(page);
    const code = readCodeOff(lit, width, height);
    if (code.replace(/-/g, "").length >= 4) return code;
    await page.waitForTimeout(250);
  }
  throw new Error("no code on the OLED");
}

/** Waits until the page's status line names `screen`. */
async function waitForScreen(page: Page, screen: string, timeout: number): Promise<void> {
  try {
    await page.locator("#status", { hasText: new RegExp("^Screen: " + screen + " ") }).waitFor({ timeout });
  } catch (err) {
    const status = await page.locator("#status").textContent();
    throw new Error(`the page did not show the ${screen} screen in ${timeout} ms; its status line: ${status}\n${simOutput.slice(-3000)}`, { cause: err });
  }
}

// ---- the simulator, as `npm start` runs it, and the browser ----

let browser: Browser | undefined;
let bundleFile = "";
/** The running simulator's output, for failure messages. */
let simOutput = "";

interface Simulator {
  /** The page's address, as the CLI prints it. */
  url: string;
  stop(): Promise<void>;
}

/** Starts the CLI (`npm start -- args`) on a bundle of the current sources, once it prints its page's address. */
function startSimulator(args: string[]): Promise<Simulator> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ["host-sim/cli.ts", "--bundle", bundleFile, ...args], { cwd: ROOT });
    simOutput = "";
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGINT");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    };
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      simOutput = (simOutput + chunk).slice(-20000);
      const m = /Simulator page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(simOutput);
      if (m) resolve({ url: m[1], stop });
    });
    child.stderr.on("data", (chunk: string) => (simOutput += chunk));
    child.on("exit", (status) => reject(new Error(`the simulator exited (${status}) before serving its page:\n${simOutput}`)));
  });
}

/** Runs `test` on a fresh page of a fresh simulator, and stops both after. */
async function withSimulator(args: string[], test: (page: Page) => Promise<void>): Promise<void> {
  if (!browser) throw new Error(`Chromium is not installed (${CHROMIUM} is missing): apt-get install chromium (.ci/run installs it)`);
  const sim = await startSimulator(args);
  const page = await browser!.newPage({ viewport: { width: 1180, height: 760 } });
  try {
    await page.goto(sim.url);
    await test(page);
  } finally {
    await page.close();
    await sim.stop();
  }
}

describe("the simulator's page in Chromium", () => {
  // Without Chromium each test fails (not skipped) saying how to install it.
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    bundleFile = await writeFirmware(mkdtempSync(join(tmpdir(), "codepair-web-")));
    browser = await chromium.launch({ executablePath: CHROMIUM });
  }, 30000);

  afterAll(async () => {
    if (browser) await browser.close();
  });

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

  it("streams the panel's pixels, screen, power and WiFi state: nothing else", async () => {
    const { web } = await served("");
    try {
      const res = await fetch(web.url + "events");
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      const state = JSON.parse(first.replace(/^data: /, ""));
      expect(Object.keys(state).sort()).toEqual(["accessPoint", "frame", "powered", "screen", "wifi"]);
      expect(state).toMatchObject({ screen: "off", powered: false, wifi: "off" });
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
