// The config's fields are written once, in firmware/store/config.ts `configSchema()`: the
// README's config table is written from it (tools/config-schema.ts), the device checks by it,
// and the flash tool suggests its names. Here: the README's table is the schema's, every field
// has its help text, and the limits the table states are the ones the device enforces.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkConfig, checkSection, defaultConfig, Kind } from "../firmware/store/config.ts";
import { README, allowed, configTable, namesBeside, readmeWithTable, schemaFields } from "../tools/config-schema.ts";

const GOOD = { wifi: { ssid: "home", password: "correct horse" }, provider: "simkl", clientId: "cid" };

/** `GOOD` with the dotted field `name` set to `value`. */
function withField(name: string, value: unknown): Record<string, unknown> {
  const c = JSON.parse(JSON.stringify(GOOD));
  const keys = name.split(".");
  let o = c;
  for (const k of keys.slice(0, -1)) o = o[k] = o[k] || {};
  o[keys[keys.length - 1]] = value;
  return c;
}

describe("config schema", () => {
  it("the README's config table is the one written from the schema (npx tsx tools/config-schema.ts writes it)", () => {
    const readme = readFileSync(README, "utf8");
    expect(readme).toContain(configTable());
    expect(readmeWithTable(readme)).toBe(readme);
    // a table edited by hand is told apart
    const edited = readme.replace("| `telnet` | `false` |", "| `telnet` | `true` |");
    expect(edited).not.toBe(readme);
    expect(readmeWithTable(edited)).not.toBe(edited);
  });

  it("every field has its help text, and its default in the table is the device's", () => {
    const fields = schemaFields();
    expect(fields.map((d) => d.name)).toEqual([
      "wifi.ssid", "wifi.password", "provider", "clientId", "base", "scope", "audience",
      "endpoints.device", "endpoints.token", "endpoints.userinfo", "ca",
      "display.width", "display.height", "display.address", "display.sda", "display.scl",
      "button.pin", "button.longPress", "telnet",
    ]);
    for (const d of fields) expect(d.help, d.name).not.toBe("");
    // where the table shows a value as the default, it is what the device takes without the field
    const c = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
    for (const d of fields.filter((x) => x.field.dflt !== undefined && !x.dflt)) {
      const [a, b] = d.name.split(".");
      if (b) expect(c[a][b], d.name).toBe(d.field.dflt);
      else if (a !== "provider") expect(c[a], d.name).toBe(d.field.dflt);
    }
    expect(checkConfig({ ...GOOD, provider: undefined }).config.provider!.name).toBe(fields.find((d) => d.name === "provider")!.field.dflt);
  });

  it("the limits the table states are the device's: each end taken, one past it refused", () => {
    let checked = 0;
    for (const { name, field } of schemaFields()) {
      let good: unknown[] = [];
      let bad: unknown[] = [];
      if (field.kind === Kind.Whole) {
        good = field.of ? field.of : [field.min, field.max];
        bad = field.of ? [Math.max(...(field.of as number[])) + 1, 1.5] : [field.min! - 1, field.max! + 1, 1.5];
      } else if (field.kind === Kind.Text && field.max) {
        good = [field.min || 1, field.max].map((n) => "x".repeat(n));
        bad = [field.max + 1].concat(field.min ? [field.min - 1] : []).map((n) => "x".repeat(n));
      } else continue;
      const words = allowed(field, name);
      for (const v of good) {
        expect(checkConfig(withField(name, v)).problems, `${name} = ${v}`).toEqual([]);
        if (typeof v === "number") expect(words).toContain(String(v));
      }
      for (const v of bad) {
        const p = checkConfig(withField(name, v)).problems;
        expect(p.length, `${name} = ${v}`).toBe(1);
        expect(p[0].startsWith(name + " "), p[0]).toBe(true);
      }
      checked++;
    }
    expect(checked).toBe(9);
  });

  it("the flash tool's suggestions are the schema's names at the field's level", () => {
    expect(namesBeside("wifi.pasword")).toEqual(["ssid", "password"]);
    expect(namesBeside("display.colour")).toEqual(["width", "height", "address", "sda", "scl"]);
    expect(namesBeside("clientid")).toEqual(["wifi", "provider", "clientId", "base", "scope", "audience", "endpoints", "ca", "display", "button", "telnet"]);
    expect(namesBeside("nothing.here")).toEqual([]);
  });
});

describe("one section on its own", () => {
  it("the WiFi section is checked alone as checkConfig checks it in a whole config", () => {
    const cases: unknown[] = [undefined, "home", null, {}, { ssid: "" }, { ssid: "home" }, { ssid: "x".repeat(33), password: 5 }, { password: "short" }, { ssid: "home", password: "correct horse" }];
    for (const wifi of cases) {
      const whole = checkConfig({ ...GOOD, wifi }).problems;
      expect(checkSection("wifi", wifi), JSON.stringify(wifi)).toEqual(whole);
    }
    expect(checkSection("wifi", { password: "short" })).toEqual(["wifi.password must be 8..63 characters"]);
    expect(checkSection("wifi", { ssid: "home" })).toEqual([]);
  });
});
