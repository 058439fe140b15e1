// Espruino's require("TelnetServer") on the ESP32 (libs/network/telnet/jswrap_telnet.c, 2v29):
// the interpreter's console on TCP port 23, with no password. Its init sets the mode "on" at
// every boot (hard-coded for the ESP32), and it listens whenever WiFi is up; setOptions
// ({mode:"off"}) closes it. The simulator opens no port: it keeps the mode, for tests to see.

export class Telnet {
  /** What the console server is set to; "on" from every boot. */
  mode: "on" | "off" = "on";

  /** A boot: the init hook runs again. */
  reset(): void {
    this.mode = "on";
  }

  module(realm: { Error: ErrorConstructor; object<T extends object>(m: T): T }): unknown {
    return realm.object({
      setOptions: (options: unknown): void => {
        if (!options || typeof options !== "object") throw new realm.Error("Expecting Object, got " + typeof options);
        const mode = (options as { mode?: unknown }).mode;
        if (typeof mode !== "string") return;
        if (mode !== "on" && mode !== "off") throw new realm.Error("Unknown mode value");
        this.mode = mode;
      },
    });
  }
}
