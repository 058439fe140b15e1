// What the firmware alone needs on top of board.d.ts: require() of Espruino's modules
// (Node's require would clash in the host project).

declare function require(name: "Storage"): StorageModule;

declare function require(name: "net" | "tls"): NetModule;

declare function require(name: "dgram"): DgramModule;

// Timers (the host project has Node's): firmware code types a handle as ReturnType<typeof setTimeout>.
declare function setTimeout(fn: () => void, ms: number): number;
declare function setInterval(fn: () => void, ms: number): number;
declare function clearTimeout(id: number): void;
declare function clearInterval(id: number): void;

declare function require(name: "Wifi"): WifiModule;

declare function require(name: "TelnetServer"): TelnetServerModule;

/** The firmware's own Storage module (build.mjs's FIRMWARE_MODULES): the WiFi set-up. */
declare function require(name: "codepair-setup"): { startSetup: typeof import("./setup/session").startSetup };
/** The firmware's store module (store/module.ts, loaded for one use by store/use.ts). */
declare function require(name: "codepair-store"): import("./store/use").StoreModule;



declare var console: { log(...text: unknown[]): void };
