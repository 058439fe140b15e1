// The device's config record in Storage: the board's wiring, the WiFi network, and the
// provider to pair with. Read at boot over the defaults; a wrong or missing provider field
// leaves `problem` naming it, for the setup screen. (Full validation of every field, with
// unknown fields reported, comes with the device-life work.)
import { stringOf as str } from "../json/reader";
import type { Provider } from "../pairing/profile";
import { isLoopback, parseUrl } from "../net/url";

export const CONFIG_FILE = "codepair.json";

export interface DisplayConfig {
  width: number;
  height: number;
  address: number;
  /** GPIO numbers */
  sda: number;
  scl: number;
}

export interface BoardConfig {
  display: DisplayConfig;
  /** GPIO of the button; 0 is the boot button of most ESP32 boards */
  button: number;
  wifi: { ssid: string; password: string };
  /** null when `problem` says why */
  provider: Provider | null;
  /**
   * The CA certificate that signed the provider's, as DER bytes (the config holds PEM; the
   * device's TLS parses only DER), or "". Espruino 2v29 passes it to mbedTLS but verifies
   * nothing (libs/network/network.c: MBEDTLS_SSL_VERIFY_NONE): see the README's security notes.
   */
  ca: string;
  /** "" or what is wrong, e.g. "clientId missing" */
  problem: string;
}

export function defaultConfig(): BoardConfig {
  return {
    display: { width: 128, height: 64, address: 0x3c, sda: 21, scl: 22 },
    button: 0,
    wifi: { ssid: "", password: "" },
    provider: null,
    ca: "",
    problem: "",
  };
}

/**
 * Presets: where each provider keeps its endpoints under its base URL, and its default
 * scope. Simkl: simkl.docs.apiary.io; Kinde: docs.kinde.com (device authorization flow);
 * Auth0: auth0.com/docs (device authorization flow; offline_access gives a refresh token).
 */
const PRESETS: { [name: string]: { kind: "simkl" | "rfc8628"; base: string; device: string; token: string; account: string; scope: string } } = {
  simkl: { kind: "simkl", base: "https://api.simkl.com", device: "/oauth/pin", token: "/oauth/pin/", account: "/users/settings", scope: "" },
  kinde: { kind: "rfc8628", base: "", device: "/oauth2/device/auth", token: "/oauth2/token", account: "/oauth2/v2/user_profile", scope: "openid profile email offline" },
  auth0: { kind: "rfc8628", base: "", device: "/oauth/device/code", token: "/oauth/token", account: "/userinfo", scope: "openid profile offline_access" },
  rfc8628: { kind: "rfc8628", base: "", device: "", token: "", account: "", scope: "openid profile offline_access" },
};

/** "" when `url` may be used, else what is wrong with it. */
function urlProblem(name: string, url: string): string {
  const u = parseUrl(url);
  if (!u) return name + " not a URL";
  if (!u.https && !isLoopback(u.host)) return name + " must be https";
  return "";
}

/** The DER bytes of a PEM certificate (RFC 7468), or "" if it is not one. */
export function derOf(pem: string): string {
  const begin = "-----BEGIN CERTIFICATE-----";
  const end = "-----END CERTIFICATE-----";
  const b = pem.indexOf(begin);
  const e = pem.indexOf(end);
  if (b < 0 || e < b) return "";
  const body = pem.substring(b + begin.length, e).replace(/[\s]+/g, "");
  if (!body || !/^[A-Za-z0-9+\/]+=*$/.test(body)) return "";
  try {
    return atob(body);
  } catch (err) {
    return "";
  }
}

/** The provider a stored config names, or what is wrong with it. */
export function readProvider(stored: any): Provider | string {
  const name = stored.provider === undefined ? "simkl" : stored.provider;
  const preset = typeof name === "string" && Object.prototype.hasOwnProperty.call(PRESETS, name) ? PRESETS[name] : null;
  if (!preset) return "provider unknown";
  const clientId = str(stored.clientId);
  if (!clientId) return "clientId missing";
  const base = str(stored.base) || preset.base;
  const ends = stored.endpoints && typeof stored.endpoints === "object" ? stored.endpoints : {};
  if (preset.device && !base) return "base missing";
  const device = str(ends.device) || (preset.device ? base + preset.device : "");
  const token = str(ends.token) || (preset.token ? base + preset.token : "");
  const account = str(ends.userinfo) || (preset.account ? base + preset.account : "");
  if (!device) return "endpoints.device missing";
  if (!token) return "endpoints.token missing";
  const problem =
    (base && urlProblem("base", base)) ||
    urlProblem("endpoints.device", device) ||
    urlProblem("endpoints.token", token) ||
    (account && urlProblem("endpoints.userinfo", account));
  if (problem) return problem;
  return {
    kind: preset.kind,
    name: name,
    clientId: clientId,
    device: device,
    token: token,
    account: account,
    scope: typeof stored.scope === "string" ? stored.scope : preset.scope,
    audience: str(stored.audience),
  };
}

/** The stored config over the defaults; a missing or unreadable record gives the defaults. */
export function readConfig(storage: StorageModule): BoardConfig {
  const config = defaultConfig();
  const stored = storage.readJSON(CONFIG_FILE, true);
  if (!stored || typeof stored !== "object") {
    config.problem = "no config";
    return config;
  }
  const d = stored.display;
  if (d && typeof d === "object") {
    if (d.height === 32 || d.height === 64) config.display.height = d.height;
    if (d.address === 0x3c || d.address === 0x3d) config.display.address = d.address;
    if (typeof d.sda === "number") config.display.sda = d.sda;
    if (typeof d.scl === "number") config.display.scl = d.scl;
  }
  if (typeof stored.button === "number") config.button = stored.button;
  const w = stored.wifi && typeof stored.wifi === "object" ? stored.wifi : {};
  config.wifi.ssid = str(w.ssid);
  config.wifi.password = str(w.password);
  const ca = str(stored.ca);
  if (ca) {
    config.ca = derOf(ca);
    if (!config.ca) config.problem = "ca not a PEM certificate";
  }
  const provider = readProvider(stored);
  if (typeof provider === "string") config.problem = config.problem || provider;
  else config.provider = provider;
  if (!config.problem && !config.wifi.ssid) config.problem = "wifi.ssid missing";
  return config;
}
