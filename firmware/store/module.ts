// The store as a Storage module of its own (build.mjs's FIRMWARE_MODULES): the config's checks
// and the token and WiFi records. The device loads it with require("codepair-store") for each
// use (at boot, when a token is loaded, saved or forgotten: store/use.ts) and drops it after, so the
// rest of the time, while a code is up and polled for, its functions take no memory.
import { readConfig } from "./config";
import { forgetToken, loadToken, saveToken } from "./token";
import type { StoreModule } from "./use";

declare const exports: StoreModule;

exports.readConfig = readConfig;
exports.loadToken = loadToken;
exports.saveToken = saveToken;
exports.forgetToken = forgetToken;
