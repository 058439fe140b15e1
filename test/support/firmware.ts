// The firmware bundle as it is flashed: built from the current sources by the same function
// build.mjs uses (byte for byte what `node build.mjs` writes), once per test file.
import { resolve } from "node:path";
import { bundleFirmware } from "../../build.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
let cached: Promise<string> | undefined;

export function firmwareBundle(): Promise<string> {
  if (!cached) {
    cached = bundleFirmware().then((out) => {
      if (!out.ok) throw new Error("firmware does not build: " + JSON.stringify(out.problems));
      return out.code;
    });
  }
  return cached;
}
