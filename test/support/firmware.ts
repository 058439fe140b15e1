// The firmware bundle as it is flashed: built from the current sources by the same function
// build.mjs uses (byte for byte what `node build.mjs` writes), once per test file.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundleFirmware, bundleModules, flashTexts } from "../../build.mjs";
import { CONFIG_FILE } from "../../firmware/store/config.ts";
import { Board } from "../../host-sim/board.ts";
import { Flash } from "../../host-sim/storage.ts";
import { ESPRUINO, WIFI_STAND_IN, flashedProgram, runLive, storageProgram } from "./espruino.ts";

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

let cachedModules: Promise<Record<string, string>> | undefined;

/** The firmware's Storage modules (build.mjs's FIRMWARE_MODULES), name → code, as `node build.mjs` writes them. */
export function firmwareModules(): Promise<Record<string, string>> {
  if (!cachedModules) cachedModules = bundleModules();
  return cachedModules;
}

let cachedFlashed: Promise<string> | undefined;

/**
 * The bundle as Storage holds it on a flashed board (.bootcde): its flash form (long string
 * literals as raw strings: tools/flashform.mjs), one character a byte. The simulator boots it
 * as the interpreter does (host-sim/lexer.ts reads the raw strings).
 */
export function flashedBundle(): Promise<string> {
  if (!cachedFlashed) cachedFlashed = firmwareBundle().then((code) => flashTexts({ ".bootcde": code })[".bootcde"]);
  return cachedFlashed;
}

let cachedFlashedModules: Promise<Record<string, string>> | undefined;

/** Writes the firmware's Storage modules into a simulated board's flash, as the flash tool does (their flash form). */
export async function flashModules(flash: Flash): Promise<void> {
  if (!cachedFlashedModules) {
    cachedFlashedModules = firmwareModules().then(flashTexts);
  }
  const modules = await cachedFlashedModules;
  for (const name of Object.keys(modules)) flash.set(name, modules[name]);
}

/**
 * Boots a simulated board with the firmware as the flash tool leaves it: its Storage modules
 * in flash, then `code` (default: the bundle built from the sources, in its flash form).
 */
export async function bootFirmware(board: Board, code?: string): Promise<void> {
  await flashModules(board.flash);
  board.boot(code === undefined ? await flashedBundle() : code);
}

/** For a bundle run as text on the interpreter: lines that first write the firmware's Storage modules, as the flash tool does. */
export async function modulesProgram(): Promise<string> {
  return storageProgram(await firmwareModules());
}

/**
 * Writes the firmware as `node build.mjs` leaves it in dist/: the bundle as `dir`/firmware.js,
 * each Storage module beside it as `dir`/NAME.js. Returns the bundle's path.
 */
export async function writeFirmware(dir: string): Promise<string> {
  const modules = await firmwareModules();
  for (const name of Object.keys(modules)) writeFileSync(join(dir, name + ".js"), modules[name]);
  const file = join(dir, "firmware.js");
  writeFileSync(file, await firmwareBundle());
  return file;
}

/**
 * Runs the firmware on the real interpreter as a flashed board runs it: Storage as the flash
 * tool leaves it (the bundle as .bootcde, the firmware's modules beside it, in their flash
 * form; `config`), then load(). Its functions' code and long strings then stay in flash, as on
 * the device; run as text, the bundle
 * alone takes some 11,000 of the 16,383 JsVars. `prelude` runs at boot before the bundle (with
 * the WiFi stand-in: load() clears what ran before it). Otherwise as runLive.
 */
export async function runFlashed(config: object, onLine: (line: string) => boolean | number, limitMs = 30000, prelude = "", bin = ESPRUINO): Promise<string[]> {
  const files: Record<string, string> = Object.assign({}, await firmwareModules(), { ".bootcde": WIFI_STAND_IN + prelude + (await firmwareBundle()) });
  return runLive(flashedProgram(files), config, onLine, limitMs, "", bin);
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
