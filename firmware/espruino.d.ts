// What the firmware alone needs on top of board.d.ts: require() of Espruino's modules
// (Node's require would clash in the host project).

declare function require(name: "Storage"): StorageModule;
