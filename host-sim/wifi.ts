// Espruino's `require("Wifi")` on the ESP32 (libs/network/esp32/jswrap_esp32_network.c, 2v29),
// the station part a firmware uses: connect, disconnect, getIP, getStatus, getDetails,
// get/setHostname, and the events 'associated', 'connected', 'disconnected'. Tests choose
// the access points in range (`networks`), how long a join takes on the board's clock, and
// can make the access point vanish (`drop()`) and come back (`restore()`).
//
// From the ESP32 source (the Linux build has no Wifi to measure):
// - connect(ssid, {password}, cb): the join is tried 3 times (s_retry_num); on success the
//   events come as 'associated' {ssid, mac, channel}, then cb(null), then 'connected'
//   {ip, netmask, gw}. After the third failure: 'disconnected' {ssid, mac, reason, msg}, then
//   cb(msg) — msg the ESP-IDF reason's name: "NO_AP_FOUND" (201) for an SSID not in range,
//   "4WAY_HANDSHAKE_TIMEOUT" (15) for a wrong password — and the station stops: it does not
//   retry by itself. connect() while connected leaves and joins again (cb once more).
// - The access point vanishing: the station notices at the beacon timeout, retries twice,
//   then 'disconnected' (reason 201) and stops. Meanwhile nothing gets through: lwIP has no
//   route, and open sockets go silent.
// - disconnect(cb): cb is queued at once and, when the station was connected or joining,
//   once more with the 'disconnected' event (reason 8, ASSOC_LEAVE) — twice in all.
// - The network stays "online" for the http module whatever WiFi does (see http.ts).
// The access point part (the same file), for a set-up that serves a page to a phone:
// - startAP(ssid, options, cb): cb must be a function or undefined ("Expecting callback function
//   but got …"), ssid a String ("No SSID"), options an object or null ("Expecting Object, got
//   …"); options.password, when given, a String of at least 8 characters ("Password must be
//   string of at least 8 characters"); authMode "open", "wpa2", "wpa" or "wpa_wpa2" ("Unknown
//   authMode value"), else wpa2 with a password and open without; "Password not set but
//   authMode not open", "Auth mode set to open but password supplied"; channel 1..13, else the
//   driver's choice. The SSID is cut to 32 bytes, the password to 63, without a word. Then the
//   mode gains AP (AP or APSTA), and cb(null) comes with the driver's AP_START event. When
//   ESP-IDF refuses the settings (esp_wifi_set_config), 2v29 prints them, password included, in
//   a jsError ("jswrap_wifi_startAP: wifi_set_config: … password=…"); which settings ESP-IDF
//   refuses past the checks above cannot be seen without a board, so that is not modelled, and
//   the firmware gives only settings far inside them (firmware/setup/ap.ts).
// - stopAP(cb): the mode loses AP; cb queued at once.
// - scan(cb): cb a function ("Expecting callback function but got …"); a second scan before the
//   first ends throws "A scan is already in progress"; after the scan (scanDelayMs), cb(list),
//   each entry {rssi, authMode, ssid, mac, channel} (channel a String), in the driver's order.
//   A hidden network is listed with ssid "" (show_hidden).
// - getAPIP(cb): {ip, netmask, gw, mac} of the AP interface (its default address, 192.168.4.1,
//   set up by the driver at init), and cb(null, that) queued when given.
import type { Clock } from "./clock.ts";
import type { Realm } from "./realm.ts";

/** wifiReasonToString (ESP-IDF wifi_err_reason_t names). */
const REASONS: Record<number, string> = {
  1: "UNSPECIFIED",
  2: "AUTH_EXPIRE",
  3: "AUTH_LEAVE",
  4: "ASSOC_EXPIRE",
  5: "ASSOC_TOOMANY",
  6: "NOT_AUTHED",
  7: "NOT_ASSOCED",
  8: "ASSOC_LEAVE",
  9: "ASSOC_NOT_AUTHED",
  10: "DISASSOC_PWRCAP_BAD",
  11: "DISASSOC_SUPCHAN_BAD",
  13: "IE_INVALID",
  14: "MIC_FAILURE",
  15: "4WAY_HANDSHAKE_TIMEOUT",
  16: "GROUP_KEY_UPDATE_TIMEOUT",
  17: "IE_IN_4WAY_DIFFERS",
  18: "GROUP_CIPHER_INVALID",
  19: "PAIRWISE_CIPHER_INVALID",
  20: "AKMP_INVALID",
  21: "REASON_UNSUPP_RSN_IE_VERSION",
  22: "INVALID_RSN_IE_CAP",
  23: "802_1X_AUTH_FAILED",
  24: "CIPHER_SUITE_REJECTED",
  200: "BEACON_TIMEOUT",
  201: "NO_AP_FOUND",
  202: "AUTH_FAIL",
  203: "ASSOC_FAIL",
  204: "HANDSHAKE_TIMEOUT",
};
const reasonName = (r: number): string => REASONS[r] || "Unknown reason";
const REASON = { leave: 8, wrongPassword: 15, beaconTimeout: 200, noApFound: 201 };
const NO_MAC = "00:00:00:00:00:00";

type Listener = (...args: unknown[]) => unknown;

/** What the WiFi needs from the board. */
export interface WifiHost {
  clock: Clock;
  /** Runs a firmware callback as a task of its own. */
  runTask(fn: () => void): void;
  /** The link went down: open sockets go silent. */
  linkLost(): void;
  /** The access point stopped: phones on it are gone (their connections with them). */
  apStopped(): void;
  /** A line on the console (the driver's jsError). */
  print(line: string): void;
}

/** An access point in range as a scan reports it; the test's list of networks (`Wifi.networks`) says its password. */
export interface SeenNetwork {
  rssi: number;
  channel: number;
  /** not in beacons: a scan lists it with ssid "" */
  hidden?: boolean;
}

export class Wifi {
  /** Access points in range: SSID → password ("" for an open network). */
  networks: Record<string, string> = {};
  /** How a scan sees each network of `networks` (default: -60 dBm, channel 6, not hidden). */
  seen: Record<string, SeenNetwork> = {};
  /** Board-clock ms a scan takes (all channels, active). */
  scanDelayMs = 2000;
  /** The access point the board runs (startAP), or null. Its password is for the simulated phone only. */
  ap: { ssid: string; password: string; authMode: string; channel: number } | null = null;
  /** What the AP interface has: the driver's default address. */
  apIp = "192.168.4.1";
  apMacAddress = "24:0a:c4:00:00:02";
  /** Board-clock ms one join attempt takes (scan, association, DHCP). */
  joinDelayMs = 1500;
  /** Board-clock ms before the station notices a vanished access point (beacon timeout). */
  beaconTimeoutMs = 6000;
  /** What DHCP gives and what the radio is. */
  ip = "192.168.1.50";
  netmask = "255.255.255.0";
  gw = "192.168.1.1";
  mac = "24:0a:c4:00:00:01";
  /** BSSID of every access point. */
  apMac = "a0:b1:c2:d3:e4:f5";
  channel = 6;
  rssi = -55;
  /** False while the access point is gone (drop()). */
  private apUp = true;
  // the ESP32 driver's state
  private associated = false;
  private hasIp = false;
  private ssid = "";
  private password = "";
  private retries = 0;
  private lastReason = 0;
  private hostname = "espressif";
  private gotIp: Listener | undefined;
  private onDisconnect: Listener | undefined;
  private attemptTimer: number | undefined;
  private lossTimer: number | undefined;
  private scanTimer: number | undefined;
  private listeners = new Map<string, Listener[]>();
  private realm: Realm | undefined;
  private moduleObject: object | undefined;

  constructor(private host: WifiHost) {}

  /** True while traffic gets through: joined, with an address, access point there. */
  get online(): boolean {
    return this.hasIp && this.apUp;
  }

  /**
   * A phone joins the board's access point: true when it runs with that name and takes that
   * password (WPA2: the same passphrase; open: any). The phone then reaches the board's
   * listening ports (`net.listening`, `dgram.bound`).
   */
  joinAp(ssid: string, password: string): boolean {
    const ap = this.ap;
    return !!ap && ap.ssid === ssid && (ap.authMode === "open" || ap.password === password);
  }

  /** The access point vanishes. */
  drop(): void {
    if (!this.apUp) return;
    this.apUp = false;
    if (this.hasIp) {
      this.hasIp = false;
      this.host.linkLost();
      this.lossTimer = this.after(this.beaconTimeoutMs, () => {
        this.lossTimer = undefined;
        this.staDisconnected(REASON.beaconTimeout);
      });
    }
  }

  /** The access point is back: a join in progress finds it; before the loss was noticed, the link just resumes. */
  restore(): void {
    if (this.apUp) return;
    this.apUp = true;
    if (this.lossTimer !== undefined) {
      this.host.clock.clear(this.lossTimer, true);
      this.lossTimer = undefined;
      this.hasIp = true;
    }
  }

  /** The board resets: the radio starts off, the firmware's listeners are gone. */
  reset(): void {
    this.associated = this.hasIp = false;
    this.ssid = this.password = "";
    this.retries = this.lastReason = 0;
    this.hostname = "espressif";
    this.gotIp = this.onDisconnect = undefined;
    // the board's clock dropped its timers already
    this.attemptTimer = this.lossTimer = this.scanTimer = undefined;
    this.ap = null;
    this.listeners = new Map();
    this.realm = this.moduleObject = undefined;
  }

  /** `require("Wifi")` for a board's realm. */
  module(realm: Realm): object {
    this.realm = realm;
    const typeName = (v: unknown): string =>
      v === null ? "null" : typeof v === "string" ? "String" : typeof v === "number" ? "Number" : typeof v === "function" ? "Function" : typeof v === "boolean" ? "Boolean" : Array.isArray(v) ? "Array" : "Object";
    const checkCallback = (cb: unknown): void => {
      if (cb !== undefined && typeof cb !== "function") throw new realm.Error("Expecting callback function but got " + String(cb));
    };
    const self = this;
    const m = realm.library({
      connect(ssid: unknown, options?: unknown, callback?: unknown): void {
        if (typeof ssid !== "string") throw new realm.Error("No SSID provided");
        if (options !== undefined && (typeof options !== "object" || options === null)) throw new realm.Error("Expecting Object, got " + typeName(options));
        self.gotIp = undefined;
        checkCallback(callback);
        self.onDisconnect = undefined;
        let password = "";
        if (options !== undefined) {
          const p = (options as Record<string, unknown>).password;
          if (p !== undefined && typeof p !== "string") throw new realm.Error("Expecting options.password to be a string but got " + typeName(p));
          if (typeof p === "string") password = p.slice(0, 63);
        }
        self.ssid = ssid.slice(0, 31);
        self.password = password;
        self.retries = 3;
        if (self.associated) {
          // esp_wifi_disconnect: the driver leaves and, retries left, joins again
          self.cancelTimers();
          self.goSilent();
          self.after(0, () => self.staDisconnected(REASON.leave));
        } else if (self.attemptTimer === undefined) {
          self.attemptJoin();
        }
        self.gotIp = callback as Listener | undefined;
      },
      disconnect(callback?: unknown): void {
        self.onDisconnect = undefined;
        checkCallback(callback);
        self.onDisconnect = callback as Listener | undefined;
        self.retries = 0;
        const wasActive = self.associated || self.attemptTimer !== undefined;
        if (typeof callback === "function") self.after(0, () => self.call(callback as Listener, []));
        if (wasActive) {
          self.cancelTimers();
          self.goSilent();
          self.after(0, () => self.staDisconnected(REASON.leave));
        }
      },
      getIP(callback?: unknown): unknown {
        if (callback !== undefined && callback !== null && typeof callback !== "function") throw new realm.Error("Expecting callback function but got " + String(callback));
        const zero = "0.0.0.0";
        const info = realm.fromHost({
          ip: self.hasIp ? self.ip : zero,
          netmask: self.hasIp ? self.netmask : zero,
          gw: self.hasIp ? self.gw : zero,
          mac: self.mac,
        });
        if (typeof callback === "function") self.after(0, () => self.call(callback as Listener, [null, info]));
        return info;
      },
      getStatus(): unknown {
        const status: Record<string, unknown> = {};
        if (self.associated) {
          status.station = "connected";
          status.ssid = self.ssid;
          status.bssid = self.apMac;
          status.channel = self.channel;
          status.rssi = self.rssi;
          status.htMode = "HT20";
          status.authMode = self.networks[self.ssid] === "" ? "open" : "wpa2";
        } else status.station = reasonName(self.lastReason);
        status.mode = self.associated ? (self.ap ? "APSTA" : "STA") : self.ap ? "AP" : "NULL";
        status.powersave = "min_modem";
        return realm.fromHost(status);
      },
      getDetails(callback?: unknown): unknown {
        if (callback !== undefined && callback !== null && typeof callback !== "function") throw new realm.Error("Expecting callback function but got " + String(callback));
        const details = realm.fromHost(
          self.associated
            ? { ssid: self.ssid, password: self.password, status: "connected", authMode: self.networks[self.ssid] === "" ? "open" : "wpa2" }
            : { status: reasonName(self.lastReason) },
        );
        if (typeof callback === "function") self.after(0, () => self.call(callback as Listener, [details]));
        return details;
      },
      startAP(ssid: unknown, options?: unknown, callback?: unknown): void {
        checkCallback(callback);
        if (typeof ssid !== "string") throw new realm.Error("No SSID");
        if (options !== undefined && options !== null && typeof options !== "object") throw new realm.Error("Expecting Object, got " + typeName(options));
        let password = "";
        let authMode = "open";
        let channel = self.channel;
        if (options) {
          const o = options as Record<string, unknown>;
          if (typeof o.channel === "number" && o.channel === Math.floor(o.channel) && o.channel >= 1 && o.channel <= 13) channel = o.channel;
          if (o.password !== undefined) {
            if (typeof o.password !== "string" || o.password.length < 8) throw new realm.Error("Password must be string of at least 8 characters");
            password = o.password;
          }
          if (typeof o.authMode === "string") {
            if (["open", "wpa2", "wpa", "wpa_wpa2"].indexOf(o.authMode) < 0) throw new realm.Error("Unknown authMode value");
            authMode = o.authMode;
          } else authMode = password ? "wpa2" : "open";
          if (authMode !== "open" && !password) throw new realm.Error("Password not set but authMode not open");
          if (authMode === "open" && password) throw new realm.Error("Auth mode set to open but password supplied");
        }
        // jsvGetString into the driver's buffers: the SSID cut to 32 bytes, the password to 63
        self.ap = { ssid: ssid.slice(0, 32), password: password.slice(0, 63), authMode, channel };
        if (typeof callback === "function") self.after(100, () => self.call(callback as Listener, [null]));
      },
      stopAP(callback?: unknown): void {
        checkCallback(callback);
        self.ap = null;
        self.host.apStopped();
        if (typeof callback === "function") self.after(0, () => self.call(callback as Listener, []));
      },
      scan(callback: unknown): void {
        if (self.scanTimer !== undefined) throw new realm.Error("A scan is already in progress");
        if (typeof callback !== "function") throw new realm.Error("Expecting callback function but got " + String(callback));
        self.scanTimer = self.after(self.scanDelayMs, () => {
          self.scanTimer = undefined;
          const list = Object.keys(self.networks).map((name, i) => {
            const seen = self.seen[name] || { rssi: -60, channel: 6 };
            const mac = "a0:b1:c2:d3:" + (0xe4 + i).toString(16).slice(-2) + ":f5";
            return { rssi: seen.rssi, authMode: self.networks[name] === "" ? "open" : "wpa2", ssid: seen.hidden ? "" : name, mac, channel: String(seen.channel) };
          });
          // a vanished access point (drop()) is not heard
          self.call(callback as Listener, [realm.fromHost(list.filter((n, i) => self.apUp || Object.keys(self.networks)[i] !== self.ssid))]);
        });
      },
      getAPIP(callback?: unknown): unknown {
        if (callback !== undefined && callback !== null && typeof callback !== "function") throw new realm.Error("Expecting callback function but got " + String(callback));
        const info = realm.fromHost({ ip: self.apIp, netmask: "255.255.255.0", gw: self.apIp, mac: self.apMacAddress });
        if (typeof callback === "function") self.after(0, () => self.call(callback as Listener, [null, info]));
        return info;
      },
      getHostname(): string {
        return self.hostname;
      },
      setHostname(name: unknown, callback?: unknown): void {
        self.hostname = String(name).slice(0, 255);
        if (typeof callback === "function") self.after(0, () => self.call(callback as Listener, []));
      },
      on(event: unknown, fn: Listener): void {
        const name = String(event);
        self.listeners.set(name, (self.listeners.get(name) || []).concat([fn]));
      },
      removeListener(event: unknown, fn: Listener): void {
        const name = String(event);
        self.listeners.set(name, (self.listeners.get(name) || []).filter((f) => f !== fn));
      },
      removeAllListeners(event?: unknown): void {
        if (event === undefined) self.listeners = new Map();
        else self.listeners.delete(String(event));
      },
    });
    this.moduleObject = m;
    return m;
  }

  private after(ms: number, fn: () => void): number {
    return this.host.clock.add(fn, ms, false, true);
  }

  private cancelTimers(): void {
    if (this.attemptTimer !== undefined) this.host.clock.clear(this.attemptTimer, true);
    if (this.lossTimer !== undefined) this.host.clock.clear(this.lossTimer, true);
    this.attemptTimer = this.lossTimer = undefined;
  }

  private goSilent(): void {
    if (this.hasIp) {
      this.hasIp = false;
      this.host.linkLost();
    }
  }

  /** A firmware callback as a task; `this` is the module, as for jsiQueueObjectCallbacks. */
  private call(fn: Listener, args: unknown[]): void {
    this.host.runTask(() => fn.apply(this.moduleObject, args));
  }

  private emit(event: string, detail: Record<string, unknown>): void {
    const fns = this.listeners.get(event) || [];
    if (!fns.length || !this.realm) return;
    const value = this.realm.fromHost(detail);
    for (const fn of fns) this.call(fn, [value]);
  }

  /** esp_wifi_connect: one attempt, over after joinDelayMs. */
  private attemptJoin(): void {
    this.attemptTimer = this.after(this.joinDelayMs, () => {
      this.attemptTimer = undefined;
      const expected = this.networks[this.ssid];
      const inRange = this.apUp && expected !== undefined;
      if (inRange && (expected === "" || expected === this.password)) this.joined();
      else this.staDisconnected(inRange ? REASON.wrongPassword : REASON.noApFound, inRange);
    });
  }

  /** SYSTEM_EVENT_STA_CONNECTED, then SYSTEM_EVENT_STA_GOT_IP. */
  private joined(): void {
    this.associated = true;
    this.hasIp = true;
    this.emit("associated", { ssid: this.ssid, mac: this.apMac, channel: String(this.channel) });
    const cb = this.gotIp;
    this.gotIp = undefined;
    if (cb) this.call(cb, [null]);
    this.emit("connected", { ip: this.ip, netmask: this.netmask, gw: this.gw });
  }

  /** SYSTEM_EVENT_STA_DISCONNECTED: retry while retries are left, else report and stop. */
  private staDisconnected(reason: number, apSeen = reason !== REASON.noApFound): void {
    if (--this.retries > 0) {
      this.attemptJoin();
      return;
    }
    this.associated = false;
    this.hasIp = false;
    this.lastReason = reason;
    const onDisconnect = this.onDisconnect;
    this.onDisconnect = undefined;
    if (onDisconnect) this.call(onDisconnect, []);
    const msg = reasonName(reason);
    this.emit("disconnected", { ssid: this.ssid, mac: apSeen ? this.apMac : NO_MAC, reason: String(reason), msg });
    const cb = this.gotIp;
    this.gotIp = undefined;
    if (cb) this.call(cb, [msg]);
  }
}
