// The simulator's page in a real browser (Debian's Chromium through playwright-core), as a
// person uses it: `npm start` run on a bundle of the current sources, a page opened on it, the
// OLED read off the page's picture. The code is read by matching the glyphs of the firmware's
// code font (drawn by the simulator's Graphics) against its pixels.
//
//   const sim = simulatorPages();             // in a describe: starts Chromium before its tests
//   await sim.withSimulator(["--provider", "kinde"], async (page) => { ... });
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { CODE_HEIGHT, useCodeFont } from "../../firmware/display/text.ts";
import { graphicsGlobals } from "../../host-sim/graphics.ts";
import { createRealm } from "../../host-sim/realm.ts";
import { ROOT, writeFirmware } from "./firmware.ts";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TSX = join(ROOT, "node_modules/.bin/tsx");
/** The hold that re-pairs: the device's default (config button.longPress). */
export const LONG_PRESS = 3000;
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
export function readCodeOff(lit: Uint8Array, width: number, height: number): string {
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
export async function oledPixels(page: Page): Promise<{ lit: Uint8Array; width: number; height: number }> {
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
export async function readCodeOnPage(page: Page): Promise<string> {
  for (let tries = 0; tries < 20; tries++) {
    const { lit, width, height } = await oledPixels(page);
    const code = readCodeOff(lit, width, height);
    if (code.replace(/-/g, "").length >= 4) return code;
    await page.waitForTimeout(250);
  }
  throw new Error("no code on the OLED");
}

/** Waits until the page's status line names `screen`. */
export async function waitForScreen(page: Page, screen: string, timeout: number): Promise<void> {
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

export interface Simulator {
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

/**
 * Chromium for the tests of the describe it is called in (launched before them, closed after),
 * and `withSimulator`, which runs `test` on a fresh page of a fresh simulator and stops both after.
 * Without Chromium each test fails (not skipped) saying how to install it.
 */
export function simulatorPages(): { withSimulator(args: string[], test: (page: Page) => Promise<void>): Promise<void> } {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    bundleFile = await writeFirmware(mkdtempSync(join(tmpdir(), "codepair-web-")));
    browser = await chromium.launch({ executablePath: CHROMIUM });
  }, 30000);

  afterAll(async () => {
    if (browser) await browser.close();
    browser = undefined;
  });

  return {
    async withSimulator(args, test) {
      if (!browser) throw new Error(`Chromium is not installed (${CHROMIUM} is missing): apt-get install chromium (.ci/run installs it)`);
      const sim = await startSimulator(args);
      const page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
      try {
        await page.goto(sim.url);
        await test(page);
      } finally {
        await page.close();
        await sim.stop();
      }
    },
  };
}
