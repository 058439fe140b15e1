// Boot: read the config (with the store module: store/use.ts), bring up the display on I2C1,
// start the app.
import { startApp } from "./app";
import { createPanel } from "./display/ssd1306";
import { STORE_MODULE, withStore } from "./store/use";
import { VERSION } from "./version";

const storage = require("Storage");
if (!storage.read(STORE_MODULE)) {
  // a bundle flashed alone (not by tools/flash.ts): without the store there is no config, so
  // not even the panel's wiring; the console says what to do
  console.log("codepair: Storage holds no " + STORE_MODULE + " module: flash the firmware again with tools/flash.ts (README)");
} else {
  const config = withStore((s) => s.readConfig(storage));
  const display = config.display;
  // On the device a pin is its GPIO number (D21 === 21), so config numbers serve as pins.
  I2C1.setup({ sda: display.sda as unknown as Pin, scl: display.scl as unknown as Pin, bitrate: 400000 });
  startApp(createPanel(I2C1, display), VERSION, config);
}
