// The network chosen on the set-up page, kept apart from codepair.json as a two-slot record
// (record.ts), so that a power cut at any byte of saving it leaves the old network or the new
// one. Only the WiFi part of the config changes: at boot the newest record's network replaces
// codepair.json's `wifi` (readConfig). Flashing a config erases it (tools/flash.ts): the
// config flashed is then the newer word.
import { eraseRecord, loadRecord, saveRecord } from "./record";

export const WIFI_SLOTS = ["codepair.wifi0", "codepair.wifi1"];
const FIELDS = ["ssid", "password"];
const whole = (r: any): boolean => typeof r.ssid === "string" && !!r.ssid && typeof r.password === "string";

/** The network set-up saved last, or null. */
export function loadWifi(storage: StorageModule): { ssid: string; password: string } | null {
  const slot = loadRecord(storage, WIFI_SLOTS, FIELDS, whole);
  return slot ? { ssid: slot.members.ssid, password: slot.members.password } : null;
}

/** Saves the network and reads it back: false if flash did not keep it. */
export function saveWifi(storage: StorageModule, ssid: string, password: string): boolean {
  const back = saveRecord(storage, WIFI_SLOTS, FIELDS, whole, { ssid: ssid, password: password });
  return !!back && back.members.ssid === ssid && back.members.password === password;
}

/** The stored config (codepair.json as read) with the saved network in place of its `wifi`. */
export function withSavedWifi(storage: StorageModule, stored: any): any {
  const saved = loadWifi(storage);
  if (saved && stored && typeof stored === "object" && !Array.isArray(stored)) stored.wifi = saved;
  return stored;
}

export function forgetWifi(storage: StorageModule): void {
  eraseRecord(storage, WIFI_SLOTS);
}
