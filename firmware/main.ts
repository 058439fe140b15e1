// Boot: read the config, bring up the display on I2C1, start the app.
import { startApp } from "./app";
import { createPanel } from "./display/ssd1306";
import { readConfig } from "./store/config";
import { VERSION } from "./version";

const config = readConfig(require("Storage"));
const display = config.display;
// On the device a pin is its GPIO number (D21 === 21), so config numbers serve as pins.
I2C1.setup({ sda: display.sda as unknown as Pin, scl: display.scl as unknown as Pin, bitrate: 400000 });
startApp(createPanel(I2C1, display), VERSION, config);
