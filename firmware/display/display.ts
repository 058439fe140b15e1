// The display as the app sees it: show(state, now) draws the state's screen when, and only
// when, what the panel shows would change, and sends only the pages that changed.
import type { Panel } from "./ssd1306";
import { codePages, drawFrame, frameOf, type Screen } from "./screens";

export interface Display {
  /** Shows `screen` as it looks at `now` (seconds, device clock); true if it was redrawn. */
  show(screen: Screen, now: number): boolean;
  /** Pages of the code screen for this link and URI: 2 means alternate, or switch on a press. */
  codePages(link: string, uri: string): number;
}

export function createDisplay(panel: Panel): Display {
  const g = panel.g;
  let shown = "";
  return {
    show: function (screen: Screen, now: number): boolean {
      const frame = frameOf(g, screen, now);
      const key = JSON.stringify(frame);
      if (key === shown) return false;
      shown = key;
      drawFrame(g, frame);
      panel.flush();
      return true;
    },
    codePages: function (link: string, uri: string): number {
      return codePages(g, link, uri);
    },
  };
}
