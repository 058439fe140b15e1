// Checked-in screenshots: a panel is compared with docs/screens/<name>.png, which
// `npm run screens` (tools/screens.ts) writes anew (then look at the PNG before committing it).
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { diffPixels, fromPng, toAscii } from "../../host-sim/render.ts";
import { ROOT } from "./firmware.ts";

export const SCREEN_SCALE = 4;

export function screenPath(name: string): string {
  return resolve(ROOT, "docs/screens", name + ".png");
}

/** Compares pixels with the checked-in PNG; returns a description of the difference or "". */
export function compareWithScreen(name: string, pixels: Uint8Array, width: number, height: number): string {
  const file = screenPath(name);
  if (!existsSync(file)) return `${file} is missing (\`npm run screens\` writes it)`;
  const expected = fromPng(readFileSync(file), SCREEN_SCALE);
  if (expected.width !== width || expected.height !== height) {
    return `${file} is ${expected.width}x${expected.height}, the panel ${width}x${height}`;
  }
  const diff = diffPixels(expected.pixels, pixels, width, height);
  if (diff.count === 0) return "";
  return `${diff.count} pixels differ from ${file}, first at ${JSON.stringify(diff.first)} (after a deliberate change, \`npm run screens\` writes the pictures anew); the panel shows:\n${toAscii(pixels, width, height)}`;
}
