// The display as the app sees it: show(state, now) draws the state's screen when, and only
// when, what the panel shows would change, and sends only the pages that changed. A code
// screen's QR code is built after the frame with the code is on the panel, a step at a time
// from the event loop (setTimeout 0), and drawn when done: nothing waits for it.
import type { Panel } from "./ssd1306";
import { codePages, drawFrame, frameOf, qrWork, type Screen } from "./screens";

export interface Display {
  /** Shows `screen` as it looks at `now` (seconds, device clock); true if it was redrawn. */
  show(screen: Screen, now: number): boolean;
  /**
   * Pages of a code screen: 2 means the display alternates between the QR code and the link
   * as text, and a short press (page + 1) switches at once; 1 means a press has nothing to switch.
   */
  codePages(screen: Extract<Screen, { kind: "code" }>): number;
  /** Finishes the QR work that is under way at once and shows its result (for tests and pictures). */
  settle(): void;
}

export function createDisplay(panel: Panel): Display {
  const g = panel.g;
  let shown = "";
  /** the last screen and time shown: redrawn when its QR code is done */
  let last: Screen | null = null;
  let lastNow = 0;
  /** the QR code's text that the frame on the panel waits for ("" none); a step is scheduled */
  let waiting = "";
  let working = false;
  const show = function (screen: Screen, now: number): boolean {
    last = screen;
    lastNow = now;
    const frame = frameOf(g, screen, now);
    const key = JSON.stringify(frame);
    if (key === shown) return false;
    drawFrame(g, frame);
    panel.flush();
    shown = key; // only now: a frame that failed to reach the panel is tried again
    waiting = frame.kind === "code" && !frame.qrReady ? frame.qr : "";
    if (waiting && !working) {
      working = true;
      setTimeout(work, 0);
    }
    return true;
  };
  /** One step of the QR code of the frame on the panel; the next in a later turn of the loop. */
  const work = function (): void {
    if (waiting && qrWork(waiting)) {
      setTimeout(work, 0);
      return;
    }
    working = false;
    if (waiting && last) show(last, lastNow);
  };
  return {
    show: show,
    codePages: function (screen: Extract<Screen, { kind: "code" }>): number {
      return codePages(g, screen);
    },
    settle: function (): void {
      while (waiting && qrWork(waiting));
      if (last) show(last, lastNow);
    },
  };
}

