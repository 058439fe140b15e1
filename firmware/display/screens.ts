// Screens: each a function of the device's state. `frameOf` turns a state and the time into
// a frame, everything the panel will show (texts already fitted, bars in pixels); `drawFrame`
// draws a frame. Two equal frames are the same picture, so the display redraws only when the
// frame changes: a countdown bar moves a few times a minute, not on every tick.
import { drawCode, layoutCode, type CodeLayout } from "./code";
import { qrImage, qrJob, qrPlan, type QrCode, type QrJob, type QrPlan } from "./qr";
import { LINE, SMALL_HEIGHT, drawCentred, drawCentredIn, fitText, printable, useFont, wrapText } from "./text";

/** Times are seconds on the device's clock (the same clock as `now`). */
export type Screen =
  | { kind: "splash"; version: string }
  /** not configured: what is missing or wrong */
  | { kind: "setup"; problem: string }
  | { kind: "wifi"; network: string }
  | { kind: "wifi-failed"; network: string; retryAt: number }
  /**
   * WiFi set-up (issue 16): the access point's QR code (its text `ap.qr`, in byte mode) with
   * a few words beside it, or on page 1 the name, password and address as text; `reason` why
   * set-up is up ("" none). `ap` is null while the access point starts. The access point's
   * name and password are kept in `ap`, not as the screen's own texts: the console line of a
   * screen names only those.
   */
  | { kind: "wifi-setup"; ap: { ssid: string; password: string; ip: string; qr: string } | null; reason: string; page: number }
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
  /**
   * The button held for a re-pair: progress from startedAt to startedAt + holdFor; at the
   * end the re-pair starts (the app's part) and the screen says so.
   */
  /** `setup`: the end of the hold starts WiFi set-up (on the WiFi-failed screen), not a re-pair */
  | { kind: "hold"; startedAt: number; holdFor: number; setup?: boolean }
  | { kind: "error"; reason: string; hint: string }
  /** Storage being compacted (seconds): a cut now could cost the stored files on a stock interpreter */
  | { kind: "compacting" };

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
  /** lines of text above the code: the link, or a note */
  top: string[];
  /** line below the code ("" = none) */
  foot: string;
  /** the text in the QR code ("" for none) */
  qr: string;
  /** the QR code is built and drawn (it is built after the frame without it is on the panel) */
  qrReady: boolean;
  /** width of the column the text and the code are centred in */
  col: number;
  /** the code's layout in the box top..bottom, or null: then `fallback` is drawn */
  layout: CodeLayout | null;
  fallback: string;
  top0: number;
  bottom: number;
  /** lit px of the time-left bar; -1: no bar (no lifetime given) */
  bar: number;
}

interface SplashFrame {
  kind: "splash";
  version: string;
}

export type Frame = Message | CodeFrame | SplashFrame;

/** How long each page of a two-page code screen stays up. */
const PAGE_SECONDS = 10;
/** On a 32-px panel a note and the link take turns this long each. */
const NOTE_SECONDS = 3;
/** Panels at least this tall have room for a QR code, a foot line and taller bars. */
const TALL = 64;

/** Width of the QR square on a 64-px-tall panel, and the widest version that fits in it. */
const QR_BOX = 64;
/** Light border of at least one module (2 px) on each side: (4v + 17 + 2) · 2 ≤ 64. */
const QR_MAX_VERSION = 3;

/**
 * The text a link is put in the QR code as: the host upper-cased where it is plain letters,
 * digits, dots, hyphens and a port (RFC 3986 §3.2.2: case-insensitive), so that it fits
 * alphanumeric mode (ISO/IEC 18004 §7.4.4); the scheme in lower case and the path and query as
 * they are. Not the scheme: phone cameras take HTTPS:// for text, not a link (the Pixel
 * Camera app, Samsung's, Firefox's scanner: see the README). "" unless an https or http link.
 */
export function qrText(link: string): string {
  const lower = link.toLowerCase();
  const start = lower.startsWith("https://") ? 8 : lower.startsWith("http://") ? 7 : 0;
  if (!start) return "";
  let end = start;
  while (end < link.length && "abcdefghijklmnopqrstuvwxyz0123456789.:-".indexOf(lower[end]) >= 0) end++;
  if (end == start || (end < link.length && "/?#".indexOf(link[end]) < 0)) return "";
  return lower.substr(0, start) + link.substring(start, end).toUpperCase() + link.substr(end);
}

/**
 * What the last plan was made for: a code screen's links, or a set-up screen's text with a null
 * uri (the screen's own strings, not a copy: ~11 JsVars less than one string of both); the text
 * chosen for its QR code ("" none), its plan.
 */
let lastLink: string | null = null;
let lastUri: string | null = null;
let planned = "";
let plan: QrPlan | null = null;
/** The QR code being built for `planned`, and the finished one. */
let job: QrJob | null = null;
let built: QrCode | null = null;

/**
 * The text of a code screen's QR code: the complete link if it fits, else the
 * verification_uri (the code is then typed); "" for none, and where the provider gives no
 * complete link (Simkl: its code screen stays the code alone, large). Only its plan is made here (which
 * segments, version and level): the QR code itself is built by qrWork.
 */
function qrTextOf(s: CodeScreen): string {
  if (s.link !== lastLink || s.uri !== lastUri) {
    lastLink = s.link;
    lastUri = s.uri;
    const complete = qrText(s.link);
    const short = qrText(s.uri);
    plan = complete ? qrPlan(complete, QR_MAX_VERSION, true) : null;
    if (!plan && complete && short) plan = qrPlan(short, QR_MAX_VERSION, true);
    planned = plan ? plan.text : "";
    job = null;
    built = null;
  }
  return planned;
}

/** The text of a set-up screen's QR code: `text` itself in byte mode; "" if it does not fit. */
function qrRawOf(text: string): string {
  if (text !== lastLink || lastUri !== null) {
    // a code screen's uri is a string: never the same as a set-up text's null
    lastLink = text;
    lastUri = null;
    plan = qrPlan(text, QR_MAX_VERSION, false);
    planned = plan ? plan.text : "";
    job = null;
    built = null;
  }
  return planned;
}

type SetupScreen = Extract<Screen, { kind: "wifi-setup" }>;

/**
 * The set-up screen: page 0 the access point's QR code with a few words beside it (the reason
 * first, when there is one), page 1 the access point as text; while the access point starts,
 * a message.
 */
function setupFrame(g: Graphics, s: SetupScreen, lines: number): Frame {
  const ap = s.ap;
  const w = g.getWidth();
  if (!ap) return message(g, "WiFi set-up", wrapText(g, s.reason || "Starting the access point", w - 2, lines), "");
  const text = tall(g) && s.page % 2 === 0 ? qrRawOf(ap.qr) : "";
  if (!text) {
    const body = ["Join " + ap.ssid, "Password " + ap.password, "Open " + ap.ip].map(function (t) {
      return fitText(g, t, w - 2);
    });
    return message(g, s.reason || "WiFi set-up", tall(g) ? body : [body[s.page % 2 ? 1 : 0]], tall(g) ? "Press for the QR code" : "");
  }
  const col = w - QR_BOX - 1;
  const top = (s.reason ? wrapText(g, s.reason, col, 3) : ["WiFi set-up", "Scan with", "a phone"]).concat(["Press for", "the text"]);
  return {
    kind: "code",
    top: top.map(function (t) {
      return fitText(g, t, col);
    }),
    foot: "",
    qr: text,
    qrReady: qrOf(text) !== null,
    col: col,
    layout: null,
    fallback: "",
    top0: LINE,
    bottom: g.getHeight(),
    bar: -1,
  };
}

/** The QR code of `text` if it is built, else null. */
function qrOf(text: string): QrCode | null {
  return text && text === planned ? built : null;
}

/**
 * Does one step of building the QR code of `text` (the last code frame's); true while more
 * remain. The display calls it from the event loop, so that presses and replies are answered
 * between steps; a step is a few ms on the interpreter on a PC.
 */
export function qrWork(text: string): boolean {
  if (!text || text !== planned || built || !plan) return false;
  if (!job) job = qrJob(plan);
  if (job.step()) {
    // Only the code is kept: the plan (its segments) and the job go (JsVars while polling).
    built = job.qr;
    job = null;
    plan = null;
    return false;
  }
  return true;
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
  return g.getHeight() >= TALL;
}

function barInner(width: number): number {
  return width - 2;
}

/**
 * The code screen's vertical rhythm: lines of text are the font's height plus 1 px of space
 * on a 64-px panel; a 32-px panel has no pixel to spare (8 + 20 for the code at scale 2 + 1
 * + a 3-px bar). The time-left bar sits at the foot.
 */
function codeLineStep(g: Graphics): number {
  return tall(g) ? LINE : SMALL_HEIGHT;
}
function codeBarHeight(g: Graphics): number {
  return tall(g) ? 5 : 3;
}

type CodeScreen = Extract<Screen, { kind: "code" }>;

/**
 * The page with the QR code: the code beside it, the link above the code if it fits the
 * column (else a prompt to scan), or a note. Null where there is no QR code, or the code does
 * not fit beside it.
 */
function qrPage(g: Graphics, s: CodeScreen): CodeFrame | null {
  const text = tall(g) ? qrTextOf(s) : "";
  if (!text) return null;
  const col = g.getWidth() - QR_BOX - 1;
  const bottom = g.getHeight() - codeBarHeight(g) - 1;
  const layout = layoutCode(g, s.code, col - 2, bottom - LINE);
  if (!layout) return null;
  useFont(g, 1);
  const link = shownLink(s.uri);
  const top = s.note || (g.stringWidth(link) <= col ? link : "Scan to pair");
  return { kind: "code", top: [fitText(g, top, col)], foot: "", qr: text, qrReady: false, col: col, layout: layout, fallback: "", top0: LINE, bottom: bottom, bar: -1 };
}

/** Pages of a code screen whose QR page is `qr`: 2 when the link as text does not fit beside it. */
function pagesBeside(g: Graphics, s: CodeScreen, qr: CodeFrame | null): number {
  if (!qr) return 1;
  useFont(g, 1);
  return g.stringWidth(shownLink(s.uri)) <= qr.col ? 1 : 2;
}

/**
 * How many pages the code screen has: 2 when it has a QR code and the link as text does not
 * fit beside it (page 1 shows the link as text with the code), else 1.
 */
export function codePages(g: Graphics, s: CodeScreen): number {
  return pagesBeside(g, s, qrPage(g, s));
}

/**
 * The page with the link as text above the code, and a foot line on a tall panel. `turn`:
 * on a 32-px panel with a note, 0 shows the note and 1 the link.
 */
function textPage(g: Graphics, s: CodeScreen, turn: number): CodeFrame {
  const w = g.getWidth();
  const h = g.getHeight();
  const isTall = tall(g);
  useFont(g, 1);
  const link = shownLink(s.uri);
  let top = g.stringWidth("Go to " + link) <= w ? ["Go to " + link] : wrapText(g, link, w, 2);
  let foot = isTall ? "and enter the code" : "";
  if (s.note) {
    // A 32-px panel has no foot line: the note and the link take turns.
    if (isTall) foot = s.note;
    else if (turn === 0) top = [s.note];
  }
  top = top.map(function (t) {
    return fitText(g, t, w);
  });
  foot = fitText(g, foot, w);
  const top0 = top.length * codeLineStep(g);
  const barY = h - codeBarHeight(g);
  const bottom = foot ? barY - LINE - 1 : barY - 1;
  const layout = layoutCode(g, s.code, w - 2, bottom - top0);
  useFont(g, 1);
  const fallback = layout ? "" : fitText(g, s.code, w);
  return { kind: "code", top: top, foot: foot, qr: "", qrReady: false, col: w, layout: layout, fallback: fallback, top0: top0, bottom: bottom, bar: -1 };
}

// The code screen is shown every tick, and laying it out is the costly part (about 3 ms a
// frame on the interpreter on a PC, much more on an ESP32); only its bar and its page change
// with time. So the last screen's QR page and page count, and its last text page, are kept,
// with what they were laid out for: the panel's height and the screen's texts, the only fields
// the pages read (held as references to the screen's own strings: a key made of the whole
// screen as JSON, made every tick, held ~20 JsVars for a long link).
let laidHeight = 0;
let laidCode = "";
let laidUri = "";
let laidLink = "";
let laidNote = "";
let qrFrame: CodeFrame | null = null;
let pages = 1;
let textFrame: CodeFrame | null = null;
let textTurn = 0;

function codeFrame(g: Graphics, s: CodeScreen, now: number): CodeFrame {
  if (g.getHeight() !== laidHeight || s.code !== laidCode || s.uri !== laidUri || s.link !== laidLink || s.note !== laidNote) {
    qrFrame = qrPage(g, s);
    pages = pagesBeside(g, s, qrFrame);
    textFrame = null;
    laidHeight = g.getHeight();
    laidCode = s.code;
    laidUri = s.uri;
    laidLink = s.link;
    laidNote = s.note;
  }
  const issued = s.expiresAt - s.lifetime;
  // Pages turn from the moment the code was issued, so the QR code's page comes first.
  const page = pages === 2 ? Math.abs(s.page + Math.floor((now - issued) / PAGE_SECONDS)) % 2 : 0;
  let base = page === 0 ? qrFrame : null;
  if (!base) {
    const turn = s.note && !tall(g) ? Math.abs(Math.floor((now - issued) / NOTE_SECONDS)) % 2 : 0;
    if (!textFrame || turn !== textTurn) {
      textFrame = textPage(g, s, turn);
      textTurn = turn;
    }
    base = textFrame;
  }
  const f: CodeFrame = Object.assign({}, base);
  f.qrReady = !!f.qr && qrOf(f.qr) !== null;
  if (s.lifetime > 0) f.bar = barFill((s.expiresAt - now) / s.lifetime, barInner(f.col));
  return f;
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
      return message(g, "WiFi failed", wrap("Could not join " + screen.network + (tall(g) ? ". Hold button: set-up" : ""), lines), retryHint(screen.retryAt, now));
    case "wifi-setup":
      return setupFrame(g, screen, lines);
    case "requesting":
      // a 32-px panel has one line: the host is what it must show
      return message(g, "Pairing", wrap("Asking " + screen.host + (tall(g) ? " for a code" : ""), lines), "");
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
      // While held: what the end of the hold does, and what letting go does. At the end the
      // re-pair has started, and letting go changes nothing.
      const part = screen.holdFor > 0 ? (now - screen.startedAt) / screen.holdFor : 1;
      const done = part >= 1;
      const body = screen.setup ? (done ? "Starting WiFi set-up" : "Keep holding for WiFi set-up") : done ? "Forgetting this account" : "Keep holding to forget this account";
      // A 32-px panel has no body lines: what happens goes in the hint.
      const m = message(g, screen.setup ? "WiFi set-up" : "Re-pair", tall(g) ? wrap(body, 2) : [], !done ? "Let go to cancel" : tall(g) ? "" : body);
      m.bar = barFill(part, barInner(w));
      return m;
    }
    case "error":
      return message(g, "Error", wrap(screen.reason, lines), screen.hint);
    case "compacting":
      return message(g, "Keep power on", wrap("Tidying the flash memory", lines), "A few seconds");
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
  const isTall = tall(g);
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
  const qr = f.qrReady ? qrOf(f.qr) : null;
  if (qr) drawQr(g, qr, w - QR_BOX, 0, QR_BOX);
  useFont(g, 1);
  for (let i = 0; i < f.top.length; i++) drawCentredIn(g, f.top[i], 0, f.col, i * codeLineStep(g));
  const barH = codeBarHeight(g);
  if (f.foot) drawCentredIn(g, f.foot, 0, f.col, h - barH - LINE);
  if (f.layout) drawCode(g, f.layout, 0, f.col, f.top0, f.bottom);
  else drawCentredIn(g, f.fallback, 0, f.col, (f.top0 + f.bottom - LINE) >> 1);
  if (f.bar >= 0) drawBar(g, 0, h - barH, f.col, barH, f.bar);
}

/** Product name large, a tagline, and the firmware version. */
function splash(g: Graphics, version: string): void {
  const isTall = tall(g);
  useFont(g, 2);
  drawCentred(g, "codepair", isTall ? 8 : 1);
  useFont(g, 1);
  if (isTall) {
    g.fillRect(24, 28, g.getWidth() - 25, 28);
    drawCentred(g, "device pairing", 34);
    drawCentred(g, "v" + version, 50);
  } else {
    drawCentred(g, "v" + version, 22);
  }
}

/** Draws a whole frame. */
export function drawFrame(g: Graphics, f: Frame): void {
  g.clear();
  g.setColor(1);
  if (f.kind === "splash") splash(g, f.version);
  else if (f.kind === "code") drawCodeFrame(g, f);
  else drawMessage(g, f);
}
