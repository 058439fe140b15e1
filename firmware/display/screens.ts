// Screens: each one a function of what it shows, drawing a whole frame into the Graphics.
import { drawCentred, useFont } from "./text";

/** Product name large, a tagline, and the firmware version. */
export function splash(g: Graphics, version: string): void {
  const tall = g.getHeight() >= 64;
  g.clear();
  g.setColor(1);
  useFont(g, 2);
  drawCentred(g, "codepair", tall ? 8 : 1);
  useFont(g, 1);
  if (tall) {
    const w = g.getWidth();
    g.fillRect(24, 28, w - 25, 28);
    drawCentred(g, "device pairing", 34);
    drawCentred(g, "v" + version, 50);
  } else {
    drawCentred(g, "v" + version, 22);
  }
}
