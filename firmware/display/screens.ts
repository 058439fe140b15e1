// Screens: each a function of the device's state. `frameOf` turns a state and the time into
// a frame, everything the panel will show (texts already fitted, bars in pixels); `drawFrame`
// draws a frame. Two equal frames are the same picture, so the display redraws only when the
// frame changes: a countdown bar moves a few times a minute, not on every tick.
import { drawCode, layoutCode } from "./code";
import { encodeQr, qrImage, type QrCode } from "./qr";
import { LINE, drawCentred, drawCentredIn, fitText, printable, useFont, wrapText } from "./text";

/** Times are seconds on the device's clock (the same clock as `now`). */
export type Screen =
  | { kind: "splash"; version: string }
  /** not configured: what is missing or wrong */
  | { kind: "setup"; problem: string }
  | { kind: "wifi"; network: string }
  | { kind: "wifi-failed"; network: string; retryAt: number }
  /** asking the provider for a code */
  | { kind: "requesting"; host: string }
  | {
      kind: "code";
      code: string;
      /** verification_uri, shown as text */
      uri: string;
      /** verification_uri_complete, shown as a QR code; "" if the provider gives none */
      link: string;
      expiresAt: number;
      /** expires_in as given: the bar's full length */
      lifetime: number;
      /**
       * Where the code screen has two pages (codePages: the QR code beside the code, and the
       * link as text), they alternate every PAGE_SECONDS; a short press adds 1 to `page` to
       * switch at once. Page 0 is the QR code's.
       */
      page: number;
      /** a passing condition shown with the code, e.g. "Slowing down" */
      note: string;
    }
  /** network trouble with no code on screen */
  | { kind: "offline"; reason: string; retryAt: number }
  | { kind: "approved" }
  | { kind: "paired"; account: string }
  | { kind: "denied" }
  | { kind: "expired" }
  /** the button held for a re-pair: progress from startedAt to startedAt + holdFor */
  | { kind: "hold"; startedAt: number; holdFor: number }
  | { kind: "error"; reason: string; hint: string };

/** What a screen with a title shows: a title bar, body lines, a hint at the foot, a bar. */
interface Message {
  kind: "message";
  title: string;
  body: string[];
  /** big: the body's one line at scale 2 (an account name) */
  big: boolean;
  hint: string;
  /** -1: no bar; else the lit width of the progress bar in px */
  bar: number;
}

interface CodeFrame {
  kind: "code";
  code: string;
  /** lines of link text above the code */
  top: string[];
  /** line below the code ("" = none) */
  foot: string;
  /** the QR code's link, "" for none */
  qr: string;
  bar: number;
}

interface SplashFrame {
  kind: "splash";
  version: string;
}

export type Frame = Message | CodeFrame | SplashFrame;

/** How long each page of a two-page code screen stays up. */
const PAGE_SECONDS = 10;

/** Width of the QR square on a 64-px-tall panel, and the widest version that fits in it. */
const QR_BOX = 64;
/** Light border of at least one module (2 px) on each side: (4v + 17 + 2) · 2 ≤ 64. */
const QR_MAX_VERSION = 3;

let cachedLink = "";
let cachedQr: QrCode | null = null;

/** The QR code of a link, or null if it does not fit; the last one is kept. */
function qrOf(link: string): QrCode | null {
  if (link !== cachedLink) {
    cachedLink = link;
    cachedQr = link ? encodeQr(link, QR_MAX_VERSION) : null;
  }
  return cachedQr;
}

/** A link as shown for typing: without its scheme. */
function shownLink(uri: string): string {
  const i = uri.indexOf("://");
  return i >= 0 ? uri.substr(i + 3) : uri;
}

function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil(at - now));
}

/** Lit width of a bar `inner` px long for the part `part` of 0..1. */
function barFill(part: number, inner: number): number {
  return Math.round(Math.max(0, Math.min(1, part)) * inner);
}

/** A message frame with its title and hint fitted to the panel's width. */
function message(g: Graphics, title: string, body: string[], hint: string): Message {
  const w = g.getWidth() - 4;
  return { kind: "message", title: fitText(g, title, w), body: body, big: false, hint: fitText(g, hint, w), bar: -1 };
}

function retryHint(at: number, now: number): string {
  const s = secondsUntil(at, now);
  return s ? "Retrying in " + s + " s" : "Retrying now";
}

/** True where the panel is tall enough for a QR code beside the code. */
function tall(g: Graphics): boolean {
  return g.getHeight() >= QR_BOX;
}

function barInner(width: number): number {
  return width - 2;
}

/**
 * How many pages the code screen has: 2 when the QR code is shown and the link as text does
 * not fit beside it (then page 1 shows the link as text with the code), else 1.
 */
export function codePages(g: Graphics, link: string, uri: string): number {
  if (!tall(g) || !qrOf(link)) return 1;
  useFont(g, 1);
  return g.stringWidth(shownLink(uri)) <= g.getWidth() - QR_BOX - 1 ? 1 : 2;
}

function codeFrame(g: Graphics, s: Extract<Screen, { kind: "code" }>, now: number): CodeFrame {
  const w = g.getWidth();
  const part = s.lifetime > 0 ? (s.expiresAt - now) / s.lifetime : 0;
  const link = shownLink(s.uri);
  const pages = codePages(g, s.link, s.uri);
  const page = pages === 2 ? Math.abs(s.page + Math.floor(now / PAGE_SECONDS)) % 2 : 0;
  useFont(g, 1);
  const withQr = tall(g) && page === 0 && qrOf(s.link) !== null;
  if (withQr) {
    const col = w - QR_BOX - 1;
    const top = s.note || (g.stringWidth(link) <= col ? link : "Scan to pair");
    return { kind: "code", code: s.code, top: [fitText(g, top, col)], foot: "", qr: s.link, bar: barFill(part, barInner(col)) };
  }
  const go = "Go to " + link;
  let top: string[];
  if (g.stringWidth(go) <= w) top = [go];
  else top = wrapText(g, link, w, 2);
  let foot = tall(g) ? "and enter the code" : "";
  if (s.note) {
    // On a 32-px panel the note takes the link's place for as long as it lasts.
    if (tall(g)) foot = s.note;
    else top = [s.note];
  }
  return { kind: "code", code: s.code, top: top.map(function (t) {
    return fitText(g, t, w);
  }), foot: fitText(g, foot, w), qr: "", bar: barFill(part, barInner(w)) };
}

/** Everything the panel shows for `screen` at time `now` (seconds, device clock). */
export function frameOf(g: Graphics, screen: Screen, now: number): Frame {
  const w = g.getWidth();
  const lines = tall(g) ? 3 : 1;
  useFont(g, 1);
  const wrap = function (text: string, n: number): string[] {
    return wrapText(g, text, w - 2, n);
  };
  switch (screen.kind) {
    case "splash":
      return { kind: "splash", version: screen.version };
    case "setup":
      return message(g, "Setup needed", wrap(screen.problem, lines), "Flash a config");
    case "wifi":
      return message(g, "WiFi", wrap("Joining " + screen.network, lines), "");
    case "wifi-failed":
      return message(g, "WiFi failed", wrap("Could not join " + screen.network, lines), retryHint(screen.retryAt, now));
    case "requesting":
      return message(g, "Pairing", wrap("Asking " + screen.host + " for a code", lines), "");
    case "code":
      return codeFrame(g, screen, now);
    case "offline":
      return message(g, "Network trouble", wrap(screen.reason, lines), retryHint(screen.retryAt, now));
    case "approved":
      return message(g, "Approved", wrap("Finishing pairing", lines), "");
    case "paired": {
      useFont(g, 2);
      const big = tall(g) && g.stringWidth(printable(screen.account)) <= w - 2;
      useFont(g, 1);
      const m = message(g, "Paired with", big ? [screen.account] : wrap(screen.account, lines), "Hold button to re-pair");
      m.big = big;
      return m;
    }
    case "denied":
      return message(g, "Denied", wrap("Pairing was declined", lines), "Press to try again");
    case "expired":
      return message(g, "Code expired", wrap("It was not entered in time", lines), "Press for a new code");
    case "hold": {
      const m = message(g, "Re-pair", tall(g) ? wrap("Keep holding to forget this account", 2) : [], "Let go to cancel");
      m.bar = barFill((now - screen.startedAt) / screen.holdFor, barInner(w));
      return m;
    }
    case "error":
      return message(g, "Error", wrap(screen.reason, lines), screen.hint);
  }
}

/** A bar: a 1-px outline `width` px wide with `fill` px lit inside it. */
function drawBar(g: Graphics, x: number, y: number, width: number, height: number, fill: number): void {
  g.drawRect(x, y, x + width - 1, y + height - 1);
  if (fill > 0) g.fillRect(x + 1, y + 1, x + fill, y + height - 2);
}

function drawMessage(g: Graphics, m: Message): void {
  const w = g.getWidth();
  const h = g.getHeight();
  const isTall = h >= QR_BOX;
  useFont(g, 1);
  // Title bar: lit, with the title dark in it.
  const barH = isTall ? 11 : 10;
  g.fillRect(0, 0, w - 1, barH - 1);
  g.setColor(0);
  drawCentredIn(g, m.title, 0, w, isTall ? 2 : 1);
  g.setColor(1);
  const hintY = h - LINE + 1;
  const barY = isTall ? hintY - 12 : hintY - 8;
  // The body sits in the middle of the space between the title bar and what is below it.
  const below = m.bar >= 0 ? barY : m.hint ? hintY : h;
  if (m.big) {
    useFont(g, 2);
    drawCentred(g, m.body[0], (barH + below - 14) >> 1);
    useFont(g, 1);
  } else {
    let y = (barH + below - m.body.length * LINE) >> 1;
    for (let i = 0; i < m.body.length; i++) {
      drawCentredIn(g, m.body[i], 0, w, y + 1);
      y += LINE;
    }
  }
  if (m.bar >= 0) drawBar(g, 0, barY, w, isTall ? 7 : 5, m.bar);
  if (m.hint) drawCentredIn(g, m.hint, 0, w, hintY);
}

function drawQr(g: Graphics, qr: QrCode, x: number, y: number, box: number): void {
  // An OLED lights the light modules: a lit square is the quiet zone, and the image's set
  // bits (light modules) are lit, its clear bits (dark modules) dark.
  g.fillRect(x, y, x + box - 1, y + box - 1);
  const scale = Math.floor(box / (qr.size + 2));
  const offset = (box - qr.size * scale) >> 1;
  g.setBgColor(0);
  g.drawImage(qrImage(qr), x + offset, y + offset, { scale: scale });
}

function drawCodeFrame(g: Graphics, f: CodeFrame): void {
  const w = g.getWidth();
  const h = g.getHeight();
  const qr = f.qr ? qrOf(f.qr) : null;
  const col = qr ? w - QR_BOX - 1 : w;
  if (qr) drawQr(g, qr, w - QR_BOX, 0, QR_BOX);
  useFont(g, 1);
  const isTall = h >= QR_BOX;
  // Lines of text are 8 px (the font's descender row included) plus 1 px of space on a
  // 64-px panel; a 32-px panel has no pixel to spare: 8 + 20 (the code at scale 2) + 1 + 3.
  const step = isTall ? LINE : 8;
  let y = 0;
  for (let i = 0; i < f.top.length; i++) {
    drawCentredIn(g, f.top[i], 0, col, y);
    y += step;
  }
  const barH = isTall ? 5 : 3;
  const barY = h - barH;
  let bottom = barY - 1;
  if (f.foot) {
    bottom = barY - LINE - 1;
    drawCentredIn(g, f.foot, 0, col, barY - LINE);
  }
  const layout = layoutCode(g, f.code, col - 2, bottom - y);
  if (layout) drawCode(g, layout, 0, col, y, bottom);
  else drawCentredIn(g, fitText(g, f.code, col), 0, col, (y + bottom - LINE) >> 1);
  drawBar(g, 0, barY, col, barH, f.bar);
}

/** Draws a whole frame. */
export function drawFrame(g: Graphics, f: Frame): void {
  g.clear();
  g.setColor(1);
  if (f.kind === "splash") splash(g, f.version);
  else if (f.kind === "code") drawCodeFrame(g, f);
  else drawMessage(g, f);
}

/** Product name large, a tagline, and the firmware version. */
export function splash(g: Graphics, version: string): void {
  const isTall = tall(g);
  g.clear();
  g.setColor(1);
  useFont(g, 2);
  drawCentred(g, "codepair", isTall ? 8 : 1);
  useFont(g, 1);
  if (isTall) {
    const w = g.getWidth();
    g.fillRect(24, 28, w - 25, 28);
    drawCentred(g, "device pairing", 34);
    drawCentred(g, "v" + version, 50);
  } else {
    drawCentred(g, "v" + version, 22);
  }
}
