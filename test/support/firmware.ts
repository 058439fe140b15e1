// The firmware bundle as it is flashed: dist/firmware.js, or built now if it is missing.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { bundleFirmware } from "../../build.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
let cached: string | undefined;

export async function firmwareBundle(): Promise<string> {
  if (cached !== undefined) return cached;
  const dist = resolve(ROOT, "dist/firmware.js");
  if (existsSync(dist)) cached = readFileSync(dist, "utf8");
  else {
    const out = await bundleFirmware();
    if (!out.ok) throw new Error("firmware does not build: " + JSON.stringify(out.problems));
    cached = out.code;
  }
  return cached;
}
