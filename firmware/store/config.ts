// The device's config record in Storage: the board's wiring, the WiFi network, and the
// provider to pair with. Every field is checked at boot over the defaults: a wrong or missing
// one is named in `problem` (the setup screen and the console say it), unknown fields are
// reported and ignored. `checkConfig` is the one set of rules: the device's, and the flash
// tool's before anything is sent.
import { stringOf as str } from "../json/reader";
import type { Provider } from "../pairing/profile";
import { isLoopback, parseUrl } from "../net/url";
import { withSavedWifi } from "./wifi";

export const CONFIG_FILE = "codepair.json";
/** A press held this long (ms) forgets the token and pairs again, unless the config says otherwise. */
export const LONG_PRESS = 3000;

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
  /** GPIO of the button (0: the boot button of most ESP32 boards), and the hold that re-pairs, ms */
  button: { pin: number; longPress: number };
  wifi: { ssid: string; password: string };
  /** null when `problem` says why */
  provider: Provider | null;
  /**
   * The certificates to trust (the provider's root, and its next one), as DER bytes one after
   * another (the config holds PEM; the device's TLS parses only DER), or "": the default roots
   * on the codepair image (net/tls.ts). Espruino 2v29 verifies nothing: see the README's
   * security notes.
   */
  ca: string;
  /** the ESP32's telnet console on port 23 stays on (default: switched off at boot) */
  telnet: boolean;
  /** "" or the first thing wrong, e.g. "clientId missing" */
  problem: string;
  /** lines for the console at boot: unknown fields (ignored) and every problem */
  report: string[];
}

export function defaultConfig(): BoardConfig {
  return {
    display: { width: 128, height: 64, address: 0x3c, sda: 21, scl: 22 },
    button: { pin: 0, longPress: LONG_PRESS },
    wifi: { ssid: "", password: "" },
    provider: null,
    ca: "",
    telnet: false,
    problem: "",
    report: [],
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

/**
 * The length a DER value's header says it has (X.690 §8.1.3: short form, or long form in 1..4
 * bytes), header included; -1 when the header is not one.
 */
function derLength(der: string): number {
  if (der.length < 2) return -1;
  const first = der.charCodeAt(1);
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n < 1 || n > 4 || der.length < 2 + n) return -1;
  let len = 0;
  for (let k = 0; k < n; k++) len = len * 256 + der.charCodeAt(2 + k);
  return 2 + n + len;
}

/**
 * The DER bytes of every certificate of a PEM text (RFC 7468: one block or more), one after
 * another, or "" when there is none or one is broken.
 */
export function dersOf(pem: string): string {
  const begin = "-----BEGIN CERTIFICATE-----";
  let out = "";
  let rest = pem;
  for (;;) {
    const b = rest.indexOf(begin);
    if (b < 0) return out;
    const der = derOf(rest.substr(b));
    if (!der) return "";
    out += der;
    rest = rest.substr(rest.indexOf("-----END CERTIFICATE-----", b) + 1);
  }
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
  let der = "";
  try {
    der = atob(body);
  } catch (err) {
    return "";
  }
  // an X.509 certificate is one DER SEQUENCE (RFC 5280 §4.1) whose length is all the bytes
  return der.charCodeAt(0) === 0x30 && derLength(der) === der.length ? der : "";
}

/** The provider a stored config names, or what is wrong with it. */
export function readProvider(stored: any): Provider | string {
  const name = stored.provider === undefined ? "simkl" : stored.provider;
  const preset = typeof name === "string" && Object.prototype.hasOwnProperty.call(PRESETS, name) ? PRESETS[name] : null;
  // the screen and the console say what the name must be (a name is matched as written: "Kinde" is not "kinde")
  if (!preset) return "provider must be " + Object.keys(PRESETS).join(", ");
  const clientId = str(stored.clientId);
  if (!clientId) return "clientId missing";
  // RFC 6749 Appendix A.1: client_id = *VSCHAR; Simkl sends it in a header as it is
  if (!/^[ -~]+$/.test(clientId)) return "clientId must be printable ASCII";
  const base = str(stored.base) || preset.base;
  // endpoints are appended to the base: a query or fragment in it would swallow them
  if (/[?#]/.test(base)) return "base must not have ? or #";
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

/** The fields a config may hold: 1 a value, an object the fields inside it. */
export const FIELDS: { [name: string]: any } = {
  wifi: { ssid: 1, password: 1 },
  provider: 1,
  clientId: 1,
  base: 1,
  endpoints: { device: 1, token: 1, userinfo: 1 },
  scope: 1,
  audience: 1,
  ca: 1,
  display: { width: 1, height: 1, address: 1, sda: 1, scl: 1 },
  button: { pin: 1, longPress: 1 },
  telnet: 1,
};

/** Dotted names of the fields of `stored` that `fields` does not list. */
function unknownIn(stored: any, fields: any, prefix: string, out: string[]): void {
  const keys = Object.keys(stored);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const f = Object.prototype.hasOwnProperty.call(fields, k) ? fields[k] : 0;
    if (!f) out.push(prefix + k);
    else if (f !== 1 && stored[k] && typeof stored[k] === "object") unknownIn(stored[k], f, prefix + k + ".", out);
  }
}

export interface ConfigCheck {
  config: BoardConfig;
  /** everything wrong, in the order of the fields; config.problem is the first */
  problems: string[];
  /** fields not known (ignored), dotted: "wifi.pasword" */
  unknown: string[];
}

/** A stored config checked field by field over the defaults. */
export function checkConfig(stored: any): ConfigCheck {
  const config = defaultConfig();
  const problems: string[] = [];
  const unknown: string[] = [];
  const result = { config: config, problems: problems, unknown: unknown };
  if (!stored || typeof stored !== "object" || Array.isArray(stored)) {
    config.problem = stored === undefined ? "no config" : "config not a JSON object";
    problems.push(config.problem);
    return result;
  }
  unknownIn(stored, FIELDS, "", unknown);
  /** The object at `name`, {} if absent; a problem if it is something else. */
  const part = (name: string): any => {
    const v = stored[name];
    if (v === undefined) return {};
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
    problems.push(name + " must be an object");
    return {};
  };
  /** A whole number from `allowed` (a list) or in min..max, else the default and a problem. */
  const whole = (o: any, path: string, name: string, dflt: number, min: number, max: number, allowed: number[] | null): number => {
    const v = o[name];
    if (v === undefined) return dflt;
    if (typeof v === "number" && v === Math.floor(v) && (allowed ? allowed.indexOf(v) >= 0 : v >= min && v <= max)) return v;
    problems.push(path + name + " must be " + (allowed ? allowed.join(" or ") : min + ".." + max));
    return dflt;
  };
  /** Text, "" if absent; a problem if not text. */
  const text = (o: any, path: string, name: string): string => {
    const v = o[name];
    if (v === undefined || typeof v === "string") return v || "";
    problems.push(path + name + " must be text");
    return "";
  };

  const said = problems.length;
  const w = part("wifi");
  config.wifi.ssid = text(w, "wifi.", "ssid");
  config.wifi.password = text(w, "wifi.", "password");
  // IEEE 802.11: an SSID is at most 32 bytes; a WPA2 passphrase 8..63 characters (or none: open)
  if (!config.wifi.ssid) {
    if (problems.length === said || !stored.wifi) problems.push("wifi.ssid missing");
  }
  else if (config.wifi.ssid.length > 32) problems.push("wifi.ssid longer than 32 bytes");
  const pw = config.wifi.password.length;
  if (pw && (pw < 8 || pw > 63)) problems.push("wifi.password must be 8..63 characters");

  // the provider's fields: each must be text; then the provider as a whole
  const before = problems.length;
  const names = ["provider", "clientId", "base", "scope", "audience"];
  for (let i = 0; i < names.length; i++) text(stored, "", names[i]);
  const ends = part("endpoints");
  text(ends, "endpoints.", "device");
  text(ends, "endpoints.", "token");
  text(ends, "endpoints.", "userinfo");
  const provider = problems.length > before ? "" : readProvider(stored);
  if (typeof provider !== "string") config.provider = provider;
  else if (provider) problems.push(provider);

  // one PEM text with one certificate or more, or a list of them
  const caField = stored.ca;
  const cas = Array.isArray(caField) ? caField : [caField === undefined ? "" : caField];
  for (let i = 0; i < cas.length; i++) {
    if (typeof cas[i] !== "string") {
      problems.push("ca must be PEM text or a list of it");
      break;
    }
    const der = cas[i] ? dersOf(cas[i]) : "";
    if (cas[i] && !der) {
      problems.push("ca not a PEM certificate");
      break;
    }
    config.ca += der;
  }

  const d = part("display");
  const shown = config.display;
  shown.width = whole(d, "display.", "width", 128, 0, 0, [128]);
  shown.height = whole(d, "display.", "height", 64, 0, 0, [64, 32]);
  // SSD1306 datasheet §8.1.5: the slave address is 0x3C, or 0x3D with SA0 high
  shown.address = whole(d, "display.", "address", 0x3c, 0, 0, [0x3c, 0x3d]);
  // the ESP32's GPIOs are 0..39; 34..39 are inputs only, no use for I2C
  shown.sda = whole(d, "display.", "sda", 21, 0, 33, null);
  shown.scl = whole(d, "display.", "scl", 22, 0, 33, null);
  if (shown.sda === shown.scl) problems.push("display.sda and display.scl must differ");

  const b = part("button");
  config.button.pin = whole(b, "button.", "pin", 0, 0, 39, null);
  config.button.longPress = whole(b, "button.", "longPress", LONG_PRESS, 1000, 30000, null);

  const t = stored.telnet;
  if (t !== undefined && t !== true && t !== false) problems.push("telnet must be true or false");
  config.telnet = t === true;

  config.problem = problems.length ? problems[0] : "";
  return result;
}

/** The config in Storage, checked; its report names the unknown fields and every problem. */
export function readConfig(storage: StorageModule): BoardConfig {
  // the network saved by set-up, if any, in place of the config's (store/wifi.ts)
  const c = checkConfig(withSavedWifi(storage, storage.readJSON(CONFIG_FILE, true)));
  const report = c.config.report;
  for (let i = 0; i < c.unknown.length; i++) report.push("unknown field " + c.unknown[i] + " (ignored)");
  for (let i = 0; i < c.problems.length; i++) report.push(c.problems[i]);
  return c.config;
}
