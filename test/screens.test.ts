// The README's pictures (docs/screens/*.png, both panels) are what the flashed bundle draws on
// the simulated board when it is driven into each state by its inputs (tools/screens.ts).
// Then the display code on its own, in a bundle of its own (test/fixtures/display): the QR code
// on the emulated panel read back by a real decoder for links of every length and the real
// providers' links, the two pages of a code screen, redrawing only when the picture changes.
import { beforeAll, describe, expect, it } from "vitest";
import { bundleFirmware, flashForm } from "../build.mjs";
import type { Screen } from "../firmware/display/screens.ts";
import { KINDE_LINK, NOW, SCREENS, code } from "./support/screen-states.ts";
import { ROOT, boardWithConfig, flashedBundle } from "./support/firmware.ts";
import { PUBLIC_BASE, SCENARIOS, pictureName, shoot } from "../tools/screens.ts";
import { asLink, readQr } from "./support/camera.ts";
import { compareWithScreen } from "./support/screens.ts";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Board } from "../host-sim/board.ts";

let bundle = "";
beforeAll(async () => {
  const out = await bundleFirmware({ entry: "test/fixtures/display/entry.ts" });
  if (!out.ok) throw new Error(JSON.stringify(out.problems));
  // as a flashed board holds it (its flash form: the fonts as raw strings)
  bundle = flashForm(out.code).toString("latin1");
});

function bootPanel(height: 64 | 32): Board {
  const board = boardWithConfig({ display: { height } });
  board.boot(bundle);
  expect(board.uncaught).toEqual([]);
  return board;
}

function pages(board: Board, screen: Screen): number {
  return board.evaluate(`codePages(${JSON.stringify(screen)})`) as number;
}

/** Shows a screen, then lets the board's timers run (the QR code is built from the event loop). */
function show(board: Board, screen: Screen, now: number): boolean {
  const drawn = board.evaluate(`show(${JSON.stringify(screen)}, ${now})`);
  board.clock.runUntilIdle(1000);
  expect(board.uncaught).toEqual([]);
  return drawn as boolean;
}

/**
 * The link in the QR code on the panel, read as a phone camera would, or null; as a URL reads
 * it (the scheme and host go in upper case, and come back in lower case).
 */
function decodeQr(board: Board): string | null {
  const found = readQr(board.screen(), board.width, board.height, { scale: 4, border: 16, inversion: "dontInvert" });
  return found ? asLink(found.data) : null;
}

for (const height of [64, 32] as const) {
  describe(`the README's pictures on a 128x${height} panel: the device driven into each state`, () => {
    for (const name of Object.keys(SCENARIOS)) {
      it(name, async () => {
        const shot = await shoot(name, height, await flashedBundle());
        expect(shot.screen).toBe(SCENARIOS[name].screen);
        expect(compareWithScreen(pictureName(name, height), shot.pixels, 128, height)).toBe("");
      });
    }
  });
}

describe("the README's pictures: what they show", () => {
  it("the QR code on the Kinde code screen reads back as the link the mock gave the device", async () => {
    const shot = await shoot("code-kinde-qr", 64, await flashedBundle());
    expect(shot.texts[0]).toBe("CSLDFDUU");
    const found = readQr(shot.pixels, 128, 64, { scale: 4, border: 16, inversion: "dontInvert" });
    expect(found && asLink(found.data)).toBe(PUBLIC_BASE.kinde + "/device?user_code=CSLDFDUU");
  });

  it("every picture in docs/screens has its scenario, and the README shows each one", () => {
    const files = readdirSync(resolve(ROOT, "docs/screens")).filter((f) => f.endsWith(".png")).sort();
    const made = Object.keys(SCENARIOS).flatMap((n) => [pictureName(n, 64) + ".png", pictureName(n, 32) + ".png"]).sort();
    expect(files).toEqual(made);
    const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
    expect(made.filter((f) => !readme.includes("docs/screens/" + f))).toEqual([]);
  });
});

/** A link of exactly `n` bytes: a prefix of a realistic verification_uri_complete. */
function linkOfLength(n: number): string {
  const long = "https://auth.example.com/activate?user_code=WDJB-MJHT&client=codepair-display-0123456789";
  return long.substr(0, n);
}

const QR_CAPACITY = 53; // version 3, level L, byte mode (ISO/IEC 18004 Table 7)

describe("the QR code on the emulated panel", () => {
  it("reads back as the exact link for every length, beside the code; the verification_uri's once the link no longer fits", () => {
    const board = bootPanel(64);
    const failures: string[] = [];
    const uri = "https://auth.example.com/activate";
    let complete = 0;
    // From the first length with a host ("https://a") to well past byte mode's 53 bytes.
    for (let n = 9; n <= linkOfLength(200).length; n++) {
      const link = linkOfLength(n);
      expect(show(board, code({ code: "WDJB-MJHT", uri, link }), NOW)).toBe(true);
      const read = decodeQr(board);
      if (read === link) complete = n;
      else if (read !== uri || n <= QR_CAPACITY) failures.push(`${n}: read ${JSON.stringify(read)}`);
    }
    expect(failures).toEqual([]);
    // Alphanumeric mode for the upper-cased host and for the code: 3 bytes more than byte
    // mode's 53 for this link (its scheme and its tail after the code stay lower case).
    expect(complete).toBeGreaterThanOrEqual(QR_CAPACITY + 3);
  });

  it("is not drawn for a link that is not http(s), nor for a link too long whose verification_uri is too long too", () => {
    const board = bootPanel(64);
    for (const screen of [
      code({ code: "WDJB-MJHT", uri: "https://auth.example.com/activate", link: "otpauth://pair?c=WDJB-MJHT" }),
      code({ code: "WDJB-MJHT", uri: "https://auth.example.com/" + "a".repeat(60), link: "https://auth.example.com/" + "a".repeat(60) + "?c=WDJB-MJHT" }),
    ]) {
      expect(pages(board, screen)).toBe(1);
      show(board, screen, NOW);
      expect(decodeQr(board)).toBe(null);
    }
    const page1 = bootPanel(64);
    const link = "otpauth://pair?c=WDJB-MJHT";
    show(board, code({ code: "WDJB-MJHT", uri: "https://auth.example.com/activate", link }), NOW);
    show(page1, code({ code: "WDJB-MJHT", uri: "https://auth.example.com/activate", link: "", page: 1 }), NOW);
    expect(Array.from(board.screen())).toEqual(Array.from(page1.screen()));
  });

  it("is never drawn on a 32-px panel, where it cannot have 2 px a module", () => {
    const board = bootPanel(32);
    expect(pages(board, SCREENS["code-kinde-qr"])).toBe(1);
    show(board, SCREENS["code-kinde-qr"], NOW);
    expect(decodeQr(board)).toBe(null);
  });

  it("has a second page with the link as text only when the link does not fit beside the QR code", () => {
    const board = bootPanel(64);
    expect(pages(board, SCREENS["code-kinde-qr"])).toBe(2);
    expect(pages(board, code({ link: "https://x.io/d?c=ABCDE", uri: "https://x.io/d" }))).toBe(1);
    expect(pages(board, code({ link: "", uri: "https://simkl.com/pin" }))).toBe(1);
    // A code too long to stand beside the QR code: the link's page only, never a cut code.
    expect(pages(board, code({ code: "ABCDEFGHJKLMNPQRSTUVWXYZ", link: KINDE_LINK, uri: "https://codepair.kinde.com/device" }))).toBe(1);
  });
});

describe("a code screen with two pages", () => {
  it("alternates between the QR code and the link as text every 10 s, and a press switches at once", () => {
    const board = bootPanel(64);
    const qrPage = SCREENS["code-kinde-qr"];
    const read = (now: number, page: number) => {
      show(board, Object.assign({}, qrPage, { page }) as Screen, now);
      return decodeQr(board);
    };
    expect(read(NOW, 0)).toBe(KINDE_LINK);
    expect(read(NOW + 9.9, 0)).toBe(KINDE_LINK);
    expect(read(NOW + 10, 0)).toBe(null); // the link as text
    expect(read(NOW + 20, 0)).toBe(KINDE_LINK);
    expect(read(NOW + 20, 1)).toBe(null); // a press: the other page now
    expect(read(NOW + 30, 1)).toBe(KINDE_LINK);
  });
});

describe("redrawing", () => {
  it("draws the code screen again only when the bar moves, sending one page each time", () => {
    const board = bootPanel(64);
    const screen = code({ expiresAt: NOW + 600, lifetime: 600 });
    expect(show(board, screen, NOW)).toBe(true);
    board.display.resetStats();
    expect(show(board, screen, NOW + 0.5)).toBe(false);
    expect(board.display.stats.dataBytes).toBe(0);
    let redraws = 0;
    for (let t = 1; t <= 600; t++) {
      board.display.resetStats();
      if (show(board, screen, NOW + t)) {
        redraws++;
        expect(board.display.stats.dataBytes).toBe(128); // the bar's page only
      } else {
        expect(board.display.stats.dataBytes).toBe(0);
      }
    }
    // The bar is 126 px inside its outline: one redraw a pixel, not one a second.
    expect(redraws).toBe(126);
    const px = board.screen();
    const barRow = Array.from(px.subarray(61 * 128, 62 * 128));
    expect(barRow.slice(1, 127)).toEqual(new Array(126).fill(0)); // time is up: the bar is empty
    expect([barRow[0], barRow[127]]).toEqual([1, 1]); // inside its outline
  });

  it("sends only the pages a new screen changes", () => {
    const board = bootPanel(64);
    show(board, { kind: "wifi-failed", network: "HomeNetwork", retryAt: NOW + 12 }, NOW);
    board.display.resetStats();
    show(board, { kind: "wifi-failed", network: "HomeNetwork", retryAt: NOW + 12 }, NOW + 1);
    expect(board.display.stats.dataBytes).toBe(128); // "Retrying in 11 s": the foot's page
  });
});

describe("real providers' links", () => {
  /** Subdomains and tenants of `n` characters. */
  const name = (n: number) => "codepairdisplaytenantabcdefghij".slice(0, n);
  const links: { provider: string; link: string; uri: string; code: string }[] = [];
  for (let n = 3; n <= 30; n++) {
    links.push({ provider: `Kinde, ${n}-char subdomain`, uri: `https://${name(n)}.kinde.com/device`, link: `https://${name(n)}.kinde.com/device?user_code=CSLDFDUU`, code: "CSLDFDUU" });
  }
  links.push({ provider: "Yoto (Auth0)", uri: "https://login.yotoplay.com/activate", link: "https://login.yotoplay.com/activate?user_code=ABCD-EFGH", code: "ABCD-EFGH" });
  for (let n = 3; n <= 30; n++) {
    const tenant = `dev-${name(n)}`.slice(0, n);
    links.push({ provider: `Auth0, ${n}-char tenant`, uri: `https://${tenant}.us.auth0.com/activate`, link: `https://${tenant}.us.auth0.com/activate?user_code=ABCD-EFGH`, code: "ABCD-EFGH" });
  }

  // The simulator's mocks (npm start -- --provider kinde | auth0), on the longest port.
  links.push({ provider: "simulator's mock Kinde", uri: "http://127.0.0.1:65535/kinde/device", link: "http://127.0.0.1:65535/kinde/device?user_code=KFFZLTNJ", code: "KFFZLTNJ" });
  const AUTH0_CODE = "ABCD-EFGH";
  links.push({ provider: "simulator's mock Auth0", uri: "http://127.0.0.1:65535/auth0/activate", link: `http://127.0.0.1:65535/auth0/activate?user_code=${AUTH0_CODE}`, code: AUTH0_CODE });

  it("each shows the complete link, or the short link, as a QR code that reads back as the link it stands for", () => {
    const board = bootPanel(64);
    const rows: string[] = [];
    const wrong: string[] = [];
    for (const l of links) {
      show(board, code({ code: l.code, uri: l.uri, link: l.link }), NOW);
      const read = decodeQr(board);
      const shown = read === l.link ? "complete link" : read === l.uri ? "short link" : read === null ? "no QR" : "WRONG: " + read;
      if (shown.startsWith("WRONG") || shown === "no QR") wrong.push(`${l.link}: ${shown}`);
      rows.push(`| ${l.provider} | ${l.link.length} | ${shown} |`);
    }
    console.log(["| provider | link bytes | QR code |", "|---|---|---|"].concat(rows).join("\n"));
    expect(wrong).toEqual([]);
    // Yoto's link, 55 bytes, fits whole; so do Kinde's with subdomains up to 16 characters and
    // Auth0's with tenants up to 9 (byte mode alone: 53 bytes, a 9-character Kinde subdomain).
    expect(rows.find((r) => r.startsWith("| Yoto"))).toContain("complete link");
    expect(rows.find((r) => r.startsWith("| Kinde, 16-char"))).toContain("complete link");
    expect(rows.find((r) => r.startsWith("| Auth0, 9-char"))).toContain("complete link");
    expect(rows.find((r) => r.startsWith("| simulator's mock Kinde"))).toContain("complete link");
    expect(rows.find((r) => r.startsWith("| simulator's mock Auth0"))).toContain("complete link");
  });
});

describe("the code first", () => {
  it("the frame with the code reaches the panel before any QR work; the QR code follows from the event loop", () => {
    const board = bootPanel(64);
    const screen = SCREENS["code-kinde-qr"];
    board.i2c1.transcript = [];
    expect(board.evaluate(`show(${JSON.stringify(screen)}, ${NOW})`)).toBe(true);
    // flushed: the panel shows the code, and no QR code yet
    const first = board.i2c1.transcript.length;
    expect(first).toBeGreaterThan(0);
    expect(decodeQr(board)).toBe(null);
    const withoutQr = Array.from(board.screen());
    // the work is waiting in the event loop: a timer pending, nothing drawn until it runs;
    // each step asks for the next turn of the loop (setTimeout counted as it is called)
    expect(board.clock.pending()).toBe(1);
    board.evaluate("var turns = 0, setTimeoutOf = setTimeout; setTimeout = function (f, ms) { turns++; return setTimeoutOf(f, ms); };");
    board.clock.runUntilIdle(1000);
    expect(board.evaluate("turns") as number).toBeGreaterThan(10); // many short turns, not one long one
    expect(decodeQr(board)).toBe(KINDE_LINK);
    // the code is where it was: only the QR code's square changed
    const after = board.screen();
    for (let y = 0; y < 64; y++) for (let x = 0; x < 128 - 64; x++) expect(after[y * 128 + x], `${x},${y}`).toBe(withoutQr[y * 128 + x]);
  });
});
