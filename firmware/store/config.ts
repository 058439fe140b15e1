// The device's config record in Storage (`codepair.json`): the board's wiring, the WiFi network,
// and the provider to pair with. Its fields are written once, in `configSchema()` below: each
// one's kind, default and limits, and, in its doc comment, its help text (`@default` where the
// default is not a value). From the schema come the defaults (`defaultConfig`), the device's
// check (`checkConfig`: every field checked at boot over the defaults, a wrong or missing one
// named in `problem` for the setup screen and the console, unknown fields reported and ignored),
// the flash tool's check (the same `checkConfig`, and the schema's names for its "did you mean"),
// and the README's config table (tools/config-schema.ts writes it; test/config-schema.test.ts
// fails when the README's differs). The schema is made when asked, at boot, so it holds no
// JsVars once the config is read, and its help texts are comments: the bundle carries none.
import { stringOf as str } from "../json/reader";
import type { Provider } from "../pairing/profile";
import { isLoopback, parseUrl } from "../net/url";
import { withSavedWifi } from "./wifi";

export const CONFIG_FILE = "codepair.json";
/** A press held this long (ms) forgets the token and pairs again, unless the config says otherwise. */
export const LONG_PRESS = 3000;

/** What a field holds. */
export const enum Kind {
  Text,
  /** a whole number */
  Whole,
  /** true or false */
  Bool,
  /** PEM text (one certificate or more), or a list of such texts: read as DER bytes */
  Pem,
}

/** One field of the config: what it holds, its default, its limits. */
export interface Field<K extends Kind = Kind> {
  kind: K;
  dflt?: string | number | boolean;
  /** Whole: the range. Text: with `min`, "" or min..max characters; else at most `max` bytes */
  min?: number;
  max?: number;
  /** the values allowed */
  of?: (string | number)[];
  /** Text: "" is missing */
  need?: boolean;
  /** Text: printable ASCII only (RFC 6749 Appendix A.1: client_id = *VSCHAR) */
  ascii?: boolean;
  /** Text: a URL, https:// (http:// only to loopback); `bare`: without ? or # */
  url?: boolean;
  bare?: boolean;
  /** Whole: must differ from this field of the same group */
  unlike?: string;
}

/**
 * Fields under one name (`wifi`: the config's `wifi` object). `flat`: its fields sit at the
 * level above (the provider's). `rule`: reads the group's fields as one, once each is of the
 * right kind; it gives the group's value, or the first thing wrong.
 */
export interface Group<F = { [name: string]: Field | Group }, R = unknown> {
  fields: F;
  flat?: boolean;
  rule?: (stored: any) => R | string;
}

function text(limits: Omit<Field, "kind">): Field<Kind.Text> {
  const f = limits as Field<Kind.Text>;
  f.kind = Kind.Text;
  return f;
}
/** A whole number in min..max, or one of `of` */
function whole(dflt: number, min: number, max: number, of: number[] | null, unlike?: string): Field<Kind.Whole> {
  return { kind: Kind.Whole, dflt: dflt, min: min, max: max, of: of as number[], unlike: unlike };
}
function group<F>(fields: F): { fields: F };
function group<F, R>(fields: F, rule: (stored: any) => R | string): { fields: F; flat: true; rule: (stored: any) => R | string };
function group(fields: any, rule?: any): Group {
  return rule ? { fields: fields, flat: true, rule: rule } : { fields: fields };
}

/**
 * The config's fields, in the order they are checked (and problems listed). Each doc comment
 * is the README's help text for the field.
 */
/** IEEE 802.11: an SSID is 0..32 bytes. */
export const SSID_MAX = 32;
/** IEEE 802.11i: a WPA2 passphrase is 8..63 characters (none: an open network). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 63;

export function configSchema() {
  return group({
    wifi: group({
      /**
       * the network's name (its SSID: IEEE 802.11 counts it in bytes)
       * @default none: WiFi set-up from a phone (below)
       */
      ssid: text({ max: SSID_MAX }),
      /** the network's WPA2 passphrase; none for an open network */
      password: text({ min: PASSWORD_MIN, max: PASSWORD_MAX }),
    }),
    provider: group(
      {
        /** the provider's preset, or `rfc8628` for any RFC 8628 server (see [Pairing](#pairing)); matched as written, so `Kinde` is refused */
        provider: text({ dflt: "simkl", of: Object.keys(presets()) }),
        /** the client (app) id issued by the provider */
        clientId: text({ need: true, ascii: true }),
        /**
         * the provider's base URL (a Kinde or Auth0 tenant): the preset's endpoints go under it
         * @default Simkl: `https://api.simkl.com`
         */
        base: text({ url: true, bare: true }),
        /**
         * the scope asked for
         * @default the preset's (see [Pairing](#pairing))
         */
        scope: text({}),
        /**
         * Auth0: the API's identifier
         * @default none
         */
        audience: text({}),
        endpoints: group({
          /**
           * the device authorization endpoint (RFC 8628 §3.1): overrides the preset's
           * @default the preset's, under `base`
           */
          device: text({ url: true }),
          /**
           * the token endpoint (RFC 8628 §3.4): overrides the preset's
           * @default the preset's, under `base`
           */
          token: text({ url: true }),
          /**
           * the account's endpoint (OpenID Connect userinfo; optional): overrides the preset's
           * @default the preset's, under `base`
           */
          userinfo: text({ url: true }),
        }),
      },
      readProvider,
    ),
    /**
     * the certificates to trust, e.g. the provider's current and next root; they replace the
     * default roots. Only on the codepair image: on 2v29 as released it is a setup error. See
     * the security notes
     * @default the default roots
     */
    ca: { kind: Kind.Pem } as Field<Kind.Pem>,
    display: group({
      /** the panel's width in pixels */
      width: whole(128, 0, 0, [128]),
      /** the panel's height in pixels */
      height: whole(64, 0, 0, [64, 32]),
      /** the panel's I2C address: 60 (0x3C), or 61 (0x3D) with its address jumper set (SSD1306 datasheet §8.1.5) */
      address: whole(0x3c, 0, 0, [0x3c, 0x3d]),
      /** the GPIO of I2C's SDA (the ESP32's GPIOs 34..39 are inputs only) */
      sda: whole(21, 0, 33, null),
      /** the GPIO of I2C's SCL */
      scl: whole(22, 0, 33, null, "sda"),
    }),
    button: group({
      /** the button's GPIO (0: the BOOT button of most ESP32 boards); 34..39 need a pull-up resistor */
      pin: whole(0, 0, 39, null),
      /** how long (ms) the button is held to forget the account and pair again */
      longPress: whole(LONG_PRESS, 1000, 30000, null),
    }),
    /** keep Espruino's telnet console on port 23 (see the security notes) */
    telnet: { kind: Kind.Bool, dflt: false } as Field<Kind.Bool>,
  });
}

type Schema = ReturnType<typeof configSchema>["fields"];
/** The value a field or group holds once read: a group with a rule, what the rule reads or null. */
type ValueOf<N> = N extends { rule: (stored: any) => infer R }
  ? Exclude<R, string> | null
  : N extends { fields: infer F }
    ? { [K in keyof F]: ValueOf<F[K]> }
    : N extends Field<Kind.Whole>
    ? number
    : N extends Field<Kind.Bool>
      ? boolean
      : string;
export type DisplayConfig = ValueOf<Schema["display"]>;

/** The config as the device uses it: the schema's values, and what is wrong. */
export type BoardConfig = { [K in keyof Schema]: ValueOf<Schema[K]> } & {
  /** "" or the first thing wrong, e.g. "clientId missing" */
  problem: string;
  /** lines for the console at boot: unknown fields (ignored) and every problem */
  report: string[];
};

export function defaultConfig(): BoardConfig {
  return configOf({}, []);
}

/**
 * Presets: where each provider keeps its endpoints under its base URL (none: the config's
 * `endpoints` say), and its default scope. Simkl (simkl.docs.apiary.io) pairs by its PIN flow,
 * the others by RFC 8628: Kinde (docs.kinde.com, device authorization flow), Auth0 (auth0.com/docs,
 * device authorization flow; offline_access gives a refresh token).
 */
function presets(): { [name: string]: { base?: string; device?: string; token?: string; account?: string; scope: string } } {
  return {
    simkl: { base: "https://api.simkl.com", device: "/oauth/pin", token: "/oauth/pin/", account: "/users/settings", scope: "" },
    kinde: { device: "/oauth2/device/auth", token: "/oauth2/token", account: "/oauth2/v2/user_profile", scope: "openid profile email offline" },
    auth0: { device: "/oauth/device/code", token: "/oauth/token", account: "/userinfo", scope: "openid profile offline_access" },
    rfc8628: { scope: "openid profile offline_access" },
  };
}

/** "" when `url` may be used, else what is wrong with it. */
function urlProblem(name: string, url: string): string {
  const u = parseUrl(url);
  if (!u) return name + " not a URL";
  if (!u.https && !isLoopback(u.host)) return name + " must be https";
  return "";
}

/** "" when text `v` is within the limits of field `f` (named `path`), else the first thing wrong (URLs aside). */
function limitProblem(f: Field, path: string, v: any): string {
  if (f.of && f.of.indexOf(v) < 0) return path + " must be " + f.of.join(", ");
  if (!v) return f.need ? path + " missing" : "";
  if (f.ascii && !/^[ -~]+$/.test(v)) return path + " must be printable ASCII";
  // endpoints are appended to the base: a query or fragment in it would swallow them
  if (f.bare && /[?#]/.test(v)) return path + " must not have ? or #";
  if (f.min && (v.length < f.min || v.length > f.max!)) return path + " must be " + f.min + ".." + f.max + " characters";
  if (!f.min && f.max && v.length > f.max) return path + " longer than " + f.max + " bytes";
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

const PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
const PEM_END = "-----END CERTIFICATE-----";

/**
 * The DER bytes of every certificate of a PEM text (RFC 7468: one block or more), one after
 * another, or "" when there is none or one is broken.
 */
export function dersOf(pem: string): string {
  let out = "";
  let rest = pem;
  for (;;) {
    const b = rest.indexOf(PEM_BEGIN);
    if (b < 0) return out;
    const der = derOf(rest.substr(b));
    if (!der) return "";
    out += der;
    rest = rest.substr(rest.indexOf(PEM_END, b) + 1);
  }
}

/** The DER bytes of a PEM certificate (RFC 7468), or "" if it is not one. */
export function derOf(pem: string): string {
  const b = pem.indexOf(PEM_BEGIN);
  const e = pem.indexOf(PEM_END);
  if (b < 0 || e < b) return "";
  const body = pem.substring(b + PEM_BEGIN.length, e).replace(/[\s]+/g, "");
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
  const f = configSchema().fields.provider.fields;
  const name = stored.provider === undefined ? f.provider.dflt : stored.provider;
  const clientId = str(stored.clientId);
  // the screen and the console say what the name must be (a name is matched as written: "Kinde" is not "kinde")
  let problem = limitProblem(f.provider, "provider", name) || limitProblem(f.clientId, "clientId", clientId);
  if (problem) return problem;
  const preset = presets()[name];
  const base = str(stored.base) || preset.base;
  problem = limitProblem(f.base, "base", base);
  if (problem) return problem;
  const ends = stored.endpoints && typeof stored.endpoints === "object" ? stored.endpoints : {};
  if (preset.device && !base) return "base missing";
  const device = str(ends.device) || (preset.device ? base + preset.device : "");
  const token = str(ends.token) || (preset.token ? base + preset.token : "");
  const account = str(ends.userinfo) || (preset.account ? base + preset.account : "");
  if (!device) return "endpoints.device missing";
  if (!token) return "endpoints.token missing";
  problem =
    (base && urlProblem("base", base)) ||
    urlProblem("endpoints.device", device) ||
    urlProblem("endpoints.token", token) ||
    (account && urlProblem("endpoints.userinfo", account));
  if (problem) return problem;
  return {
    kind: name === "simkl" ? "simkl" : "rfc8628",
    name: name,
    clientId: clientId,
    device: device,
    token: token,
    account: account,
    scope: typeof stored.scope === "string" ? stored.scope : preset.scope,
    audience: str(stored.audience),
  };
}

/** The field or group called `name` in `g`, looking into its flat groups too; null if none. */
export function fieldOf(g: Group, name: string): Field | Group | null {
  const all: any = g.fields;
  const names = Object.keys(all);
  let found = null;
  for (let i = 0; i < names.length; i++) {
    const f = all[names[i]];
    if (f.flat) found = found || fieldOf(f, name);
    else if (names[i] === name) found = f;
  }
  return found;
}

/** Dotted names of the fields of `stored` that group `g` does not list. */
function unknownIn(stored: any, g: Group, prefix: string, out: string[]): void {
  const keys = Object.keys(stored);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const f: any = fieldOf(g, k);
    if (!f) out.push(prefix + k);
    else if (f.fields && stored[k] && typeof stored[k] === "object") unknownIn(stored[k], f, prefix + k + ".", out);
  }
}

function isObject(v: any): boolean {
  return v && typeof v === "object" && !Array.isArray(v);
}

/** The value of field `f` (named `path`) in `v`, over its default; a problem if it is not one. */
function readField(f: Field, path: string, v: any, problems: string[]): any {
  if (v === undefined) return f.dflt === undefined ? "" : f.dflt;
  if (f.kind === Kind.Pem) {
    // one PEM text with one certificate or more, or a list of them
    const cas = Array.isArray(v) ? v : [v];
    let ders = "";
    for (let i = 0; i < cas.length; i++) {
      if (typeof cas[i] !== "string") {
        problems.push(path + " must be PEM text or a list of it");
        break;
      }
      const der = cas[i] ? dersOf(cas[i]) : "";
      if (cas[i] && !der) {
        problems.push(path + " not a PEM certificate");
        break;
      }
      ders += der;
    }
    return ders;
  }
  if (f.kind === Kind.Text) {
    if (typeof v === "string") return v;
    problems.push(path + " must be text");
    return "";
  }
  if (f.kind === Kind.Bool) {
    if (v === true || v === false) return v;
    problems.push(path + " must be true or false");
    return f.dflt;
  }
  if (typeof v === "number" && v === Math.floor(v) && (f.of ? f.of.indexOf(v) >= 0 : v >= f.min! && v <= f.max!)) return v;
  problems.push(path + " must be " + (f.of ? f.of.join(" or ") : f.min + ".." + f.max));
  return f.dflt;
}

/**
 * The values of group `g`'s fields in `stored` (an object), read in the schema's order over
 * their defaults; what is wrong goes to `problems`. Text limits are checked once the group's
 * fields are read (a text that is missing is not said to be when its group already had a
 * problem), except in a group with a rule, which checks them itself (URLs are the rule's).
 */
function readGroup(g: Group, stored: any, prefix: string, problems: string[]): any {
  const out: any = {};
  const all: any = g.fields;
  const names = Object.keys(all);
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const f = all[name];
    const path = prefix + name;
    if (!f.fields) {
      out[name] = readField(f, path, stored[name], problems);
      if (f.unlike && out[name] === out[f.unlike]) problems.push(prefix + f.unlike + " and " + path + " must differ");
      continue;
    }
    const said = problems.length;
    let v = f.flat ? stored : stored[name];
    if (v === undefined) v = {};
    else if (!isObject(v)) {
      problems.push(path + " must be an object");
      v = {};
    }
    const values = readGroup(f, v, f.flat ? prefix : path + ".", problems);
    if (f.rule) {
      const r = problems.length > said ? "" : f.rule(v);
      if (typeof r === "string" && r) problems.push(r);
      out[name] = typeof r === "string" ? null : r;
      continue;
    }
    const fields = Object.keys(f.fields);
    for (let k = 0; k < fields.length; k++) {
      const field = f.fields[fields[k]];
      const text = values[fields[k]];
      const p = field.kind === Kind.Text ? limitProblem(field, path + "." + fields[k], text) : "";
      if (p && (text || problems.length === said || !stored[name])) problems.push(p);
    }
    out[name] = values;
  }
  return out;
}

/** The config's values in `stored` (an object), over the defaults; problems go to `problems`. */
function configOf(stored: any, problems: string[]): BoardConfig {
  const config = readGroup(configSchema(), stored, "", problems);
  config.problem = "";
  config.report = [];
  return config;
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
  let problems: string[] = [];
  const unknown: string[] = [];
  const config = configOf(isObject(stored) ? stored : {}, problems);
  if (isObject(stored)) unknownIn(stored, configSchema(), "", unknown);
  else problems = [stored === undefined ? "no config" : "config not a JSON object"];
  config.problem = problems.length ? problems[0] : "";
  return { config: config, problems: problems, unknown: unknown };
}

/**
 * What is wrong with `value` as the config's section `name` (e.g. "wifi") on its own, in the
 * device's words, as checkConfig says it: for changing one section (WiFi set-up) without the rest.
 */
export function checkSection(name: string, value: any): string[] {
  const problems: string[] = [];
  const one: any = {};
  one[name] = (configSchema().fields as any)[name];
  const stored: any = {};
  stored[name] = value;
  readGroup({ fields: one }, stored, "", problems);
  return problems;
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
