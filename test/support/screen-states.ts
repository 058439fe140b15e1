// Screens made by hand, one of each kind and its variants, for the display code's own tests:
// the QR code and page tests of test/screens.test.ts, the real interpreter's I2C check
// (test/screens-real.test.ts: its Linux build has no WiFi or button to drive the device with)
// and the benchmarks. Not the README's pictures: those come from driving the device into each
// state (tools/screens.ts).
import type { Screen } from "../../firmware/display/screens.ts";

export const NOW = 1000;
export const KINDE_LINK = "https://codepair.kinde.com/device?user_code=CSLDFDUU";

export function code(fields: Partial<Extract<Screen, { kind: "code" }>>): Screen {
  return Object.assign(
    { kind: "code", code: "ABCDE", uri: "https://simkl.com/pin", link: "", expiresAt: NOW + 600, lifetime: 900, page: 0, note: "" },
    fields,
  ) as Screen;
}

/** One screen of each kind and its variants, at NOW, in the firmware's words. */
export const SCREENS: Record<string, Screen> = {
  setup: { kind: "setup", problem: "clientId missing" },
  wifi: { kind: "wifi", network: "HomeNetwork" },
  "wifi-failed": { kind: "wifi-failed", network: "HomeNetwork", retryAt: NOW + 12 },
  requesting: { kind: "requesting", host: "api.simkl.com" },
  "code-simkl": code({}),
  "code-kinde-qr": code({ code: "CSLDFDUU", uri: "https://codepair.kinde.com/device", link: KINDE_LINK, expiresAt: NOW + 200, lifetime: 600 }),
  "code-kinde-text": code({ code: "CSLDFDUU", uri: "https://codepair.kinde.com/device", link: KINDE_LINK, lifetime: 600, page: 1 }),
  "code-oidc-qr": code({ code: "WDJB-MJHT", uri: "http://localhost:3000/device", link: "http://localhost:3000/device?user_code=WDJB-MJHT", expiresAt: NOW + 580 }),
  "code-slow-down": code({ note: "Slowing down" }),
  "code-network-trouble": code({ note: "Network trouble", expiresAt: NOW + 300 }),
  "code-nine-characters": code({ code: "K7QX2M9RT" }),
  "code-lowercase": code({ code: "wdjb-mjht", uri: "https://id.example.org/device" }),
  offline: { kind: "offline", reason: "No reply from the server", retryAt: NOW + 8 },
  approved: { kind: "approved" },
  paired: { kind: "paired", account: "Ada Lovelace" },
  "paired-long-name": { kind: "paired", account: "Augusta Ada King, Countess of Lovelace" },
  denied: { kind: "denied" },
  expired: { kind: "expired" },
  hold: { kind: "hold", startedAt: NOW - 1.2, holdFor: 3 },
  "hold-complete": { kind: "hold", startedAt: NOW - 3, holdFor: 3 },
  compacting: { kind: "compacting" },
  error: { kind: "error", reason: "Provider said invalid_request", hint: "Press to try again" },
};

