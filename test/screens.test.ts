// Every screen on both panels, drawn by the firmware's display code in a bundle on the
// simulated board and compared with docs/screens/*.png; the QR code on the emulated panel is
// read back by a real decoder; a redraw happens only when the picture changes.
import { beforeAll, describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import type { Screen } from "../firmware/display/screens.ts";
import { KINDE_LINK, NOW, SCREENS, code } from "./support/screen-states.ts";
import { boardWithConfig } from "./support/firmware.ts";
import { readQr } from "./support/camera.ts";
import { compareWithScreen } from "./support/screens.ts";
import type { Board } from "../host-sim/board.ts";

let bundle = "";
beforeAll(async () => {
  const out = await bundleFirmware({ entry: "test/fixtures/display/entry.ts" });
  if (!out.ok) throw new Error(JSON.stringify(out.problems));
  bundle = out.code;
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

function show(board: Board, screen: Screen, now: number): boolean {
  const drawn = board.evaluate(`show(${JSON.stringify(screen)}, ${now})`);
  expect(board.uncaught).toEqual([]);
  return drawn as boolean;
}

/** The link in the QR code on the panel, read as a phone camera would, or null. */
function decodeQr(board: Board): string | null {
  const found = readQr(board.screen(), board.width, board.height, { scale: 4, border: 16, inversion: "dontInvert" });
  return found ? found.data : null;
}

for (const height of [64, 32] as const) {
  describe(`screens on a 128x${height} panel`, () => {
    for (const name of Object.keys(SCREENS)) {
      it(name, () => {
        const board = bootPanel(height);
        expect(show(board, SCREENS[name], NOW)).toBe(true);
        expect(compareWithScreen(`${name}-128x${height}`, board.screen(), 128, height)).toBe("");
      });
    }
  });
}

/** A link of exactly `n` bytes: a prefix of a realistic verification_uri_complete. */
function linkOfLength(n: number): string {
  const long = "https://auth.example.com/activate?user_code=WDJB-MJHT&client=codepair-display-0123456789";
  return long.substr(0, n);
}

const QR_CAPACITY = 53; // version 3, level L, byte mode (ISO/IEC 18004 Table 7)

describe("the QR code on the emulated panel", () => {
  it("reads back as the exact link for every length the encoder fits, beside the code", () => {
    const board = bootPanel(64);
    const failures: string[] = [];
    for (let n = 1; n <= QR_CAPACITY; n++) {
      const link = linkOfLength(n);
      expect(show(board, code({ code: "WDJB-MJHT", uri: "https://auth.example.com/activate", link }), NOW)).toBe(true);
      const read = decodeQr(board);
      if (read !== link) failures.push(`${n}: read ${JSON.stringify(read)}`);
    }
    expect(failures).toEqual([]);
  });

  it("is not drawn for a link one byte too long: the code screen shows the link as text", () => {
    const board = bootPanel(64);
    const link = linkOfLength(QR_CAPACITY + 1);
    const screen = code({ code: "WDJB-MJHT", uri: "https://auth.example.com/activate", link });
    expect(pages(board, screen)).toBe(1);
    show(board, screen, NOW);
    expect(decodeQr(board)).toBe(null);
    const page1 = bootPanel(64);
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
