// The set-up portal as a device program: the fixture bundle (test/fixtures/setup/entry.ts,
// through the dialect gate) and a program that starts the portal with a fixed scan, saves with
// firmware/store/wifi.ts, and prints what happened (never the password: whether it matched).
import { bundleFirmware } from "../../build.mjs";

let cached: Promise<string> | undefined;
export function setupBundle(): Promise<string> {
  if (!cached) {
    cached = bundleFirmware({ entry: "test/fixtures/setup/entry.ts" }).then((out: { ok: boolean; code: string; problems: unknown }) => {
      if (!out.ok) throw new Error("fixture does not build: " + JSON.stringify(out.problems));
      return out.code;
    });
  }
  return cached;
}

/** What the scan hears: a name to escape, an open network, a hidden one, a weaker copy. */
export const SCAN = [
  { ssid: 'Home <b>"5G"</b> & more', rssi: -70, authMode: "wpa2" },
  { ssid: "cafe", rssi: -40, authMode: "open" },
  { ssid: "", rssi: -30, authMode: "wpa2" },
  { ssid: "cafe", rssi: -80, authMode: "open" },
];

/** The config flashed before set-up: its WiFi is what set-up replaces. */
export const FLASHED = { wifi: { ssid: "old-net", password: "old-password" }, clientId: "abc" };

/**
 * The device's program after the bundle: the portal on `httpPort`/`dnsPort`, answering names
 * with 192.168.4.1; `expected` is the password the test will post (the device prints only
 * whether the saved one equals it).
 */
export function portalProgram(httpPort: number, dnsPort: number, expected: string): string {
  return `
var storage = require("Storage");
storage.writeJSON("codepair.json", ${JSON.stringify(FLASHED)});
var seen = ${JSON.stringify(SCAN)};
var portal = startPortal({
  ip: "192.168.4.1", httpPort: ${httpPort}, dnsPort: ${dnsPort},
  networks: function () { return networksToList(seen, 12); },
  message: function () { return ""; },
  save: function (c) { print("SAVE " + JSON.stringify(c.ssid)); return saveWifi(storage, c.ssid, c.password) ? "" : "Could not save."; },
  saved: function (c) {
    var w = loadWifi(storage);
    print("SAVED " + JSON.stringify(w.ssid) + " " + (w.password === ${JSON.stringify(expected)}));
    var config = readConfig(storage);
    print("CONFIG " + JSON.stringify(config.wifi.ssid) + " " + (config.wifi.password === ${JSON.stringify(expected)}) + " " + JSON.stringify(config.problem));
    portal.stop();
    print("STOPPED");
  }
});
print("READY");
`;
}

import { expect } from "vitest";
import { answersOf, dnsQuery, get, postForm, rawRequest, udpExchange, type RawReply } from "./setup-client.ts";

/** The password the scenario saves (a test's, made up here). */
export const NEW_PASSWORD = "correct horse: battery;";

const until = async (ok: () => boolean, limitMs: number): Promise<void> => {
  for (const end = Date.now() + limitMs; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
};

/**
 * What a phone does to the portal, and what must come of it: the page, the name server, every
 * bad input refused with nothing saved, a request that never ends timed out, then the form
 * saved and the portal gone. `lines` is the device's output so far; `unchanged` (where the test
 * can read the device's flash) says whether Storage is still as it was.
 */
export async function exercisePortal(httpPort: number, dnsPort: number, lines: () => string[], unchanged: (() => boolean) | null): Promise<void> {
  // a request that never ends, started first: it must be answered 408 and closed
  const slow = rawRequest(httpPort, ["GET / HTTP/1.1\r\nHost: x\r\n"], 0, 30000);

  const page = await get(httpPort, "/generate_204");
  expect(page && page.status).toBe(200);
  expect(page!.head).toMatch(/Content-Type: text\/html; charset=utf-8/);
  const body = page!.body;
  // strongest first, each name once, the hidden one not as a blank entry, names escaped
  expect(body.indexOf('value="cafe"')).toBeGreaterThan(0);
  expect(body.indexOf('value="cafe"')).toBeLessThan(body.indexOf("Home &#60;b&#62;&#34;5G&#34;&#60;/b&#62; &#38; more"));
  expect(body.split('value="cafe"').length).toBe(2);
  expect(body).not.toContain("<b>\"5G\"");
  expect(body).not.toMatch(/<script|<img|<link|src=|href=/i);
  expect(body).toContain('name="other"');
  expect(body).toContain('type="password"');

  // DNS: every A query answered with the device's address; AAAA: no answer; garbage: no reply
  const a = await udpExchange(dnsPort, dnsQuery(0x1234, "connectivitycheck.gstatic.com", 1));
  expect(a).not.toBeNull();
  expect(answersOf(a!)).toEqual({ id: 0x1234, flags: 0x8500, addresses: ["192.168.4.1"] });
  const aaaa = await udpExchange(dnsPort, dnsQuery(7, "captive.apple.com", 28));
  expect(answersOf(aaaa!)).toEqual({ id: 7, flags: 0x8500, addresses: [] });
  expect(await udpExchange(dnsPort, Buffer.from("not a query"), 500)).toBeNull();

  // bad input: each refused with a reason, nothing saved
  // one at a time: the portal serves CONNECTIONS at once and closes the rest at once
  const refusals: [() => Promise<RawReply | null>, number, RegExp][] = [
    [() => postForm(httpPort, "ssid=" + "x".repeat(33) + "&password=12345678"), 400, /at most 32 bytes/],
    [() => postForm(httpPort, "ssid=cafe&password=1234567"), 400, /at least 8 characters/],
    [() => postForm(httpPort, "ssid=cafe&password=" + "p".repeat(64)), 400, /at most 63 characters/],
    [() => postForm(httpPort, "ssid=cafe&password=12345678&admin=1"), 400, /should not have/],
    [() => postForm(httpPort, "ssid=cafe&ssid=home&password=12345678"), 400, /twice/],
    [() => postForm(httpPort, "ssid=%ZZ&password=12345678"), 400, /garbled/],
    [() => postForm(httpPort, "ssid=&other=&password=12345678"), 400, /Pick a network/],
    [() => postForm(httpPort, '{"ssid":"cafe"}', "application/json"), 400, /not the set-up form/],
    [() => rawRequest(httpPort, ["POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nssid=cafe"]), 413, /too long/],
    [() => rawRequest(httpPort, ["GET /" + "a".repeat(3000) + " HTTP/1.1\r\n\r\n"]), 431, /too long/],
    [() => rawRequest(httpPort, ["DELETE / HTTP/1.1\r\n\r\n"]), 405, /Only GET and POST/],
  ];
  for (const [reply, status, says] of refusals) {
    const r = await reply();
    expect(r && r.status).toBe(status);
    expect(r!.body).toMatch(says);
  }
  expect(lines().filter((l) => l.startsWith("SAVE"))).toEqual([]);
  if (unchanged) expect(unchanged()).toBe(true);

  const timedOut = await slow;
  expect(timedOut && timedOut.status).toBe(408);
  expect(timedOut!.ms).toBeGreaterThanOrEqual(9000);

  // the form, as a browser sends it (UTF-8, %-escaped, + for spaces)
  const form = new URLSearchParams({ ssid: "", other: "Café ☕", password: NEW_PASSWORD }).toString();
  const saved = await postForm(httpPort, form);
  expect(saved && saved.status).toBe(200);
  expect(saved!.body).toContain("Saved");
  expect(saved!.body).toContain("Café ☕");
  expect(saved!.body).not.toContain(NEW_PASSWORD);
  await until(() => lines().includes("STOPPED"), 10000);
  // the name as bytes: the UTF-8 of what was typed, one character a byte
  const bytes = JSON.stringify(Buffer.from("Café ☕", "utf8").toString("latin1"));
  const out = lines().filter((l) => /^(SAVE|SAVED|CONFIG|STOPPED)/.test(l));
  expect(out.length).toBe(4);
  expect(out[1]).toMatch(/^SAVED .* true$/);
  expect(out[2]).toMatch(/^CONFIG .* true ""$/);
  expect(out.join("\n")).not.toContain(NEW_PASSWORD);
  void bytes;
  // the portal is gone: nothing answers on either port
  expect(await get(httpPort)).toBeNull();
  expect(await udpExchange(dnsPort, dnsQuery(1, "example.com", 1), 500)).toBeNull();
}
