// The display as the app sees it: show(state, now) draws the state's screen when, and only
// when, what the panel shows would change, and sends only the pages that changed.
import type { Panel } from "./ssd1306";
import { codePages, drawFrame, frameOf, type Screen } from "./screens";

export interface Display {
  /** Shows `screen` as it looks at `now` (seconds, device clock); true if it was redrawn. */
  show(screen: Screen, now: number): boolean;
  /**
   * Pages of a code screen: 2 means the display alternates between the QR code and the link
   * as text, and a short press (page + 1) switches at once; 1 means a press has nothing to switch.
   */
  codePages(screen: Extract<Screen, { kind: "code" }>): number;
}

export function createDisplay(panel: Panel): Display {
  const g = panel.g;
  let shown = "";
  return {
    show: function (screen: Screen, now: number): boolean {
      const frame = frameOf(g, screen, now);
      const key = JSON.stringify(frame);
      if (key === shown) return false;
      drawFrame(g, frame);
      panel.flush();
      shown = key; // only now: a frame that failed to reach the panel is tried again
      return true;
    },
    codePages: function (screen: Extract<Screen, { kind: "code" }>): number {
      return codePages(g, screen);
    },
  };
}
