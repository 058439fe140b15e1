// The firmware bundle as it is flashed: built from the current sources by the same function
// build.mjs uses (byte for byte what `node build.mjs` writes), once per test file.
import { resolve } from "node:path";
import { bundleFirmware } from "../../build.mjs";
import { CONFIG_FILE } from "../../firmware/store/config.ts";
import { Board } from "../../host-sim/board.ts";
import { Flash } from "../../host-sim/storage.ts";

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

/** The part of the device config that says how the panel is wired. */
export type DeviceConfig = { display?: { height?: number; address?: number } };

/** A board (not booted yet) whose flash holds this device config, and a panel wired to match. */
export function boardWithConfig(config: DeviceConfig): Board {
  const flash = new Flash();
  flash.set(CONFIG_FILE, JSON.stringify(config));
  const d = config.display || {};
  return new Board({ flash, panel: { height: d.height === 32 ? 32 : 64, address: d.address } });
}
