// The WiFi set-up as a Storage module of its own (build.mjs's FIRMWARE_MODULES): the device
// loads it with require("codepair-setup") only while set-up is up (firmware/life.ts), so the
// rest of the time its code takes no memory, and the bundle itself stays small.
import { startSetup } from "./session";

declare const exports: { startSetup: typeof startSetup };

exports.startSetup = startSetup;
