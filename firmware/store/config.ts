// The device's config record in Storage. For now only the board's wiring is read; the full
// schema with validation comes with the device-life work.

export const CONFIG_FILE = "codepair.json";

export interface DisplayConfig {
  width: number;
  height: number;
  address: number;
  /** GPIO numbers */
  sda: number;
  scl: number;
}

export interface BoardConfig {
  display: DisplayConfig;
  /** GPIO of the button; 0 is the boot button of most ESP32 boards */
  button: number;
}

export function defaultConfig(): BoardConfig {
  return {
    display: { width: 128, height: 64, address: 0x3c, sda: 21, scl: 22 },
    button: 0,
  };
}

/** The stored config over the defaults; a missing or unreadable record gives the defaults. */
export function readConfig(storage: StorageModule): BoardConfig {
  const config = defaultConfig();
  const stored = storage.readJSON(CONFIG_FILE, true);
  if (stored && typeof stored === "object") {
    const d = stored.display;
    if (d && typeof d === "object") {
      if (d.height === 32 || d.height === 64) config.display.height = d.height;
      if (d.address === 0x3c || d.address === 0x3d) config.display.address = d.address;
      if (typeof d.sda === "number") config.display.sda = d.sda;
      if (typeof d.scl === "number") config.display.scl = d.scl;
    }
    if (typeof stored.button === "number") config.button = stored.button;
  }
  return config;
}
