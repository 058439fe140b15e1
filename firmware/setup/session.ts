// One WiFi set-up, from its start to the network saved: the station stops, the networks in
// range are scanned (before the access point, so the radio is on when the password's random
// numbers are drawn: the ESP32's RNG is truly random only with the radio running), a fresh
// password is made, the access point starts as codepair-XXXX, and the portal serves the page
// on port 80 with the name server on 53. Once the form is saved and its reply has gone out,
// the portal and the access point are stopped before the caller hears of it: nothing of
// set-up listens any more when the device joins the home network.
import { apName, apOptions, newApPassword, wifiQrText } from "./ap";
import type { WifiChoice } from "./form";
import { networksToList, type ScannedNetwork } from "./page";
import { startPortal, type Portal } from "./portal";
import { saveWifi } from "../store/wifi";

/** The most networks the page lists. */
export const LISTED = 12;

export interface SetupSession {
  /** the access point's name and password, and the page's address: what the panel shows */
  ssid: string;
  password: string;
  ip: string;
  /** the text of the QR code that joins the access point */
  qr: string;
  /** ends set-up without a network saved: portal and access point gone */
  stop(): void;
}

/**
 * Starts set-up. `message`: why set-up is up (why the last join failed), for the page.
 * `ready` gets the session once the access point is up, or null when it could not start.
 * `saved` gets the network once it is in flash and set-up has ended.
 */
export function startSetup(message: string, ready: (s: SetupSession | null) => void, saved: (c: WifiChoice) => void): void {
  const wifi: WifiModule = require("Wifi");
  const storage = require("Storage");
  let networks: ScannedNetwork[] = [];
  let portal: Portal | null = null;
  let over = false;
  const stop = (): void => {
    over = true;
    if (portal) portal.stop();
    portal = null;
    wifi.stopAP();
  };
  const up = (): void => {
    if (over) return;
    const password = newApPassword(E.hwRand);
    const ssid = apName(wifi.getAPIP().mac);
    wifi.startAP(ssid, apOptions(password), (err: string | null) => {
      if (over) return;
      if (err) return ready(null);
      const ip = wifi.getAPIP().ip;
      portal = startPortal({
        ip: ip,
        httpPort: 80,
        dnsPort: 53,
        networks: () => networks,
        message: () => message,
        save: (c: WifiChoice) => (saveWifi(storage, c.ssid, c.password) ? "" : "The device could not keep the network in its flash. Try again."),
        saved: (c: WifiChoice) => {
          stop();
          saved(c);
        },
      });
      ready({ ssid: ssid, password: password, ip: ip, qr: wifiQrText(ssid, password), stop: stop });
    });
  };
  // the station stops trying (a join in progress, or its retries) while set-up is up
  wifi.disconnect();
  try {
    wifi.scan((list) => {
      networks = networksToList(list || [], LISTED);
      up();
    });
  } catch (err) {
    // a scan already running: set up without a list (the page's field takes any name)
    up();
  }
}
