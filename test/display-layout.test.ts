// The display's text and code layout, run in Node against the simulator's Graphics (the
// same pixel and width results as the interpreter's): codes as large as fit, texts that
// never run off the panel, whatever the provider or the config says.
import { describe, expect, it } from "vitest";
import { codeGroups, drawCode, layoutCode } from "../firmware/display/code.ts";
import { frameOf, type Screen } from "../firmware/display/screens.ts";
import { fitText, useFont, wrapText } from "../firmware/display/text.ts";
import { graphicsGlobals } from "../host-sim/graphics.ts";
import { createRealm } from "../host-sim/realm.ts";

type G = Graphics;

function graphics(width: number, height: number): G {
  const lib = graphicsGlobals(createRealm()).Graphics as { createArrayBuffer(w: number, h: number, bpp: number, o: object): G };
  return lib.createArrayBuffer(width, height, 1, { vertical_byte: true, msb: false });
}

describe("code groups", () => {
  it("keeps the provider's own groups and halves a long code without any", () => {
    expect(codeGroups("WDJB-MJHT")).toEqual(["WDJB", "MJHT"]);
    expect(codeGroups("ABC-DEF-GHI")).toEqual(["ABC", "DEF", "GHI"]);
    expect(codeGroups("CSLDFDUU")).toEqual(["CSLD", "FDUU"]);
    expect(codeGroups("ABCDEFGHJ")).toEqual(["ABCDE", "FGHJ"]);
    expect(codeGroups("ABCDE")).toEqual(["ABCDE"]);
  });
});

describe("code layout", () => {
  const g = graphics(128, 64);
  it("draws Simkl's 5 characters at 3x on a full-width line", () => {
    expect(layoutCode(g, "ABCDE", 126, 40)).toEqual({ scale: 3, big: true, lines: ["ABCDE"], lineHeight: 30 });
  });
  it("draws 8 characters at 2x in two groups on one line, or on two lines beside a QR code", () => {
    expect(layoutCode(g, "CSLDFDUU", 126, 40)).toMatchObject({ scale: 2, lines: ["CSLD FDUU"] });
    expect(layoutCode(g, "CSLDFDUU", 61, 44)).toMatchObject({ scale: 2, lines: ["CSLD", "FDUU"] });
  });
  it("keeps a code's own dash on one line and drops it when the groups go on two lines", () => {
    expect(layoutCode(g, "WDJB-MJHT", 126, 20)).toMatchObject({ scale: 2, lines: ["WDJB-MJHT"] });
    expect(layoutCode(g, "WDJB-MJHT", 61, 44)).toMatchObject({ scale: 2, lines: ["WDJB", "MJHT"] });
  });
  it("shrinks to fit, and gives up only when nothing fits", () => {
    expect(layoutCode(g, "WDJB-MJHT", 126, 12)).toMatchObject({ scale: 1, lines: ["WDJB-MJHT"] });
    expect(layoutCode(g, "WDJB-MJHT", 20, 12)).toBe(null);
  });
  it("falls back to the small font for characters the code font lacks", () => {
    expect(layoutCode(g, "abcde", 126, 40)).toMatchObject({ big: false, scale: 4 });
  });
  it("draws every layout inside its box: what it measures is what it draws", () => {
    // A canvas larger than the box, so that a pixel drawn outside the box can be seen.
    const canvas = graphics(256, 128);
    for (const code of ["ABCDE", "CSLDFDUU", "WDJB-MJHT", "K7QX2M9RT", "ABC DEF GHI", "wdjb-mjht", "0O1IL5S2Z8B", "A"]) {
      for (const [w, h] of [[126, 40], [61, 44], [126, 20], [126, 11]]) {
        const layout = layoutCode(canvas, code, w, h);
        if (!layout) continue;
        canvas.clear();
        drawCode(canvas, layout, 64, 64 + w, 32, 32 + h);
        let lit = 0;
        let outside = 0;
        for (let y = 0; y < 128; y++) {
          for (let x = 0; x < 256; x++) {
            if (!(canvas as unknown as { getPixel(x: number, y: number): number }).getPixel(x, y)) continue;
            lit++;
            if (x < 64 || x >= 64 + w || y < 32 || y >= 32 + h) outside++;
          }
        }
        expect(lit, `${code} in ${w}x${h}`).toBeGreaterThan(0);
        expect(outside, `${code} in ${w}x${h}`).toBe(0);
      }
    }
  });
  it("tries the code as written before a smaller size: 9 characters at 2x on one line", () => {
    expect(layoutCode(g, "K7QX2M9RT", 126, 40)).toMatchObject({ scale: 2, lines: ["K7QX2M9RT"] });
  });
  it("draws a code grouped by spaces in the code font", () => {
    expect(layoutCode(g, "ABC DEF GHI", 126, 44)).toMatchObject({ big: true, scale: 2, lines: ["ABC DEF", "GHI"] });
  });
});

describe("text that does not fit", () => {
  const g = graphics(128, 64);
  useFont(g, 1);
  it("is cut with an ellipsis, never wider than the space", () => {
    expect(fitText(g, "short", 128)).toBe("short");
    const cut = fitText(g, "Augusta Ada King, Countess of Lovelace", 80);
    expect(cut.endsWith("...")).toBe(true);
    expect(g.stringWidth(cut)).toBeLessThanOrEqual(80);
    expect("Augusta Ada King, Countess of Lovelace".startsWith(cut.slice(0, -3).trimEnd())).toBe(true);
    for (let width = 6; width < 128; width += 7) expect(g.stringWidth(fitText(g, "x".repeat(200), width))).toBeLessThanOrEqual(width);
  });
  it("maps each character outside the font, a whole UTF-8 sequence or a stray byte, to one placeholder", () => {
    expect(fitText(g, "caf\xc3\xa9", 128)).toBe("caf\x7f");
    expect(fitText(g, "\xe2\x82\xac5 \x01\x80\xff!", 128)).toBe("\x7f5 \x7f\x7f\x7f!");
  });
  it("gives nothing where not even the ellipsis fits", () => {
    expect(fitText(g, "much too long", 4)).toBe("");
  });
  it("wraps at spaces, then at a link's separators, into at most the lines asked for", () => {
    expect(wrapText(g, "The provider refused the client id", 126, 3)).toEqual(["The provider refused the", "client id"]);
    expect(wrapText(g, "mybusiness.eu.kinde.com/device/activate", 126, 2)).toEqual(["mybusiness.eu.kinde.com/", "device/activate"]);
    expect(wrapText(g, "mybusiness.eu.kinde.com/device/activate", 90, 2)).toEqual(["mybusiness.eu.kinde.", "com/device/activate"]);
    expect(wrapText(g, "accounts.example.com/activate?x=1", 60, 3).join("")).toBe("accounts.example.com/activate?x=1");
    const lines = wrapText(g, "word ".repeat(100), 126, 3);
    expect(lines.length).toBe(3);
    expect(lines[2].endsWith("...")).toBe(true);
    for (const l of lines) expect(g.stringWidth(l)).toBeLessThanOrEqual(126);
  });
});

describe("a 32-px panel's one line of text", () => {
  it("names the host being asked whole (the words around it are for the 64-px panel)", () => {
    const frame = frameOf(graphics(128, 32), { kind: "requesting", host: "api.simkl.com" }, 0);
    expect(frame.kind === "message" && frame.body).toEqual(["Asking api.simkl.com"]);
    const tall = frameOf(graphics(128, 64), { kind: "requesting", host: "api.simkl.com" }, 0);
    expect(tall.kind === "message" && tall.body.join(" ")).toBe("Asking api.simkl.com for a code");
  });
});

describe("every screen with absurd inputs", () => {
  const long = "Z".repeat(40) + " and " + "y".repeat(200) + " \x01\xff";
  const screens: Screen[] = [
    { kind: "setup", problem: long },
    { kind: "wifi", network: long },
    { kind: "wifi-failed", network: long, retryAt: 1e9 },
    { kind: "requesting", host: long },
    { kind: "code", code: "ABCDEFGHJKLMNPQRSTUV", uri: "https://" + long, link: "https://" + long, expiresAt: 2, lifetime: 1, page: 0, note: long },
    { kind: "code", code: "ABCDEFGHJ", uri: "https://" + long, link: "", expiresAt: 0, lifetime: 0, page: 1, note: "" },
    { kind: "offline", reason: long, retryAt: -5 },
    { kind: "paired", account: long },
    { kind: "hold", startedAt: 0, holdFor: 3 },
    { kind: "error", reason: long, hint: long },
  ];
  for (const height of [64, 32]) {
    it(`keep every text inside a 128x${height} panel`, () => {
      const g = graphics(128, height);
      for (const screen of screens) {
        for (const now of [-100, 0, 1, 1e9]) {
          const frame = frameOf(g, screen, now);
          useFont(g, 1);
          const texts: string[] = [];
          if (frame.kind === "message") texts.push(frame.title, frame.hint, ...(frame.big ? [] : frame.body));
          if (frame.kind === "code") {
            texts.push(...frame.top, frame.foot);
            if (screen.kind === "code" && screen.code.length <= 20) expect(frame.layout, screen.code).not.toBe(null);
          }
          for (const t of texts) expect(g.stringWidth(t), JSON.stringify(t)).toBeLessThanOrEqual(128);
          if ("bar" in frame) {
            expect(frame.bar).toBeGreaterThanOrEqual(-1);
            expect(frame.bar).toBeLessThanOrEqual(126);
          }
        }
      }
    });
  }
});
