// The set-up's pieces that need no board (firmware/setup/): the access point's name and
// password, the WiFi QR code's text, the form reader, the page, the name server's replies;
// and the network saved as a two-slot record (firmware/store/wifi.ts) on the simulated board,
// with a power cut at every byte of saving it.
import { describe, expect, it } from "vitest";
import jsQR from "jsqr";
import { AP_ALPHABET, AP_PASSWORD_LENGTH, apName, apOptions, newApPassword, wifiQrText } from "../firmware/setup/ap.ts";
import { dnsReply } from "../firmware/setup/dns.ts";
import { formDecode, readForm } from "../firmware/setup/form.ts";
import { escapeHtml, networksToList, setupPage } from "../firmware/setup/page.ts";
import { encodeQr } from "../firmware/display/qr.ts";
import { CONFIG_FILE } from "../firmware/store/config.ts";
import { WIFI_SLOTS } from "../firmware/store/wifi.ts";
import { Board } from "../host-sim/board.ts";
import { Flash } from "../host-sim/storage.ts";
import { answersOf, dnsQuery } from "./support/setup-client.ts";
import { setupBundle } from "./support/setup-device.ts";

/** ZXing's reading of a WIFI: text (WifiResultParser): fields up to an unescaped ';', '\' escapes. */
function parseWifiQr(text: string): Record<string, string> {
  expect(text.startsWith("WIFI:")).toBe(true);
  const out: Record<string, string> = {};
  let i = 5;
  while (i < text.length && text[i] !== ";") {
    const colon = text.indexOf(":", i);
    const key = text.slice(i, colon);
    let v = "";
    i = colon + 1;
    while (i < text.length && text[i] !== ";") {
      if (text[i] === "\\") i++;
      v += text[i++];
    }
    out[key] = v;
    i++;
  }
  return out;
}

describe("the access point", () => {
  it("is named codepair- and the last four hex digits of the MAC", () => {
    expect(apName("24:0a:c4:12:ab:cd")).toBe("codepair-ABCD");
    expect(apName("24:0A:C4:00:00:02")).toBe("codepair-0002");
  });

  it("gets a password of 10 characters from the alphabet without look-alikes, every character used", () => {
    expect(AP_ALPHABET).not.toMatch(/[01ilo]/);
    expect(AP_PASSWORD_LENGTH).toBeGreaterThanOrEqual(8);
    const counts: Record<string, number> = {};
    let state = 12345;
    // a stand-in for E.hwRand: any int32, negative ones too
    const rand = (): number => (state = (Math.imul(state, 1103515245) + 12345) | 0);
    for (let k = 0; k < 2000; k++) {
      const pw = newApPassword(rand);
      expect(pw).toMatch(new RegExp("^[" + AP_ALPHABET + "]{" + AP_PASSWORD_LENGTH + "}$"));
      for (const c of pw) counts[c] = (counts[c] || 0) + 1;
    }
    expect(Object.keys(counts).sort().join("")).toBe(AP_ALPHABET.split("").sort().join(""));
    // a 5-bit value past the alphabet (31) is drawn again, not folded onto a character
    const all31 = (): number => 0x7fffffff;
    let calls = 0;
    const mostly31 = (): number => (++calls % 2 ? all31() : 0);
    expect(newApPassword(mostly31)).toBe(AP_ALPHABET[0].repeat(AP_PASSWORD_LENGTH));
  });

  it("starts with options far inside what the driver takes", () => {
    const o = apOptions("abcdefghjk");
    expect(o).toEqual({ password: "abcdefghjk", authMode: "wpa2", channel: 6 });
  });

  it("is in a QR code a phone reads as the network: name and password escaped", () => {
    for (const [ssid, pw] of [["codepair-ABCD", "abcdefghjk"], ['we;ird:na,me\\"', 'p;a:s,s\\"word']]) {
      const text = wifiQrText(ssid, pw);
      expect(parseWifiQr(text)).toEqual({ T: "WPA", S: ssid, P: pw });
    }
    expect(wifiQrText("a;b", "c:d")).toBe("WIFI:T:WPA;S:a\\;b;P:c\\:d;;");
  });

  it("fits the panel's QR code (version 3 at most) with a real name and password, and decodes back", () => {
    const text = wifiQrText(apName("24:0a:c4:12:ab:cd"), newApPassword(() => 0x12345678));
    expect(text.length).toBe(41);
    const qr = encodeQr(text, 3)!;
    // version 3 at level M (1), as firmware/setup/ap.ts says
    expect([qr.version, qr.level]).toEqual([3, 1]);
    // draw it 4 px a module with a quiet zone and read it with a real decoder
    const n = qr.size;
    const scale = 4;
    const w = (n + 8) * scale;
    const rgba = new Uint8ClampedArray(w * w * 4).fill(255);
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++)
        if ((qr.bits[(y * n + x) >> 3] >> (7 - ((y * n + x) & 7))) & 1)
          for (let dy = 0; dy < scale; dy++)
            for (let dx = 0; dx < scale; dx++) {
              const o = (((y + 4) * scale + dy) * w + (x + 4) * scale + dx) * 4;
              rgba[o] = rgba[o + 1] = rgba[o + 2] = 0;
            }
    expect(jsQR(rgba, w, w)!.data).toBe(text);
  });
});

describe("the form", () => {
  it("decodes %-escapes as bytes and + as a space", () => {
    expect(formDecode("Caf%C3%A9+%E2%98%95")).toBe("Caf\xc3\xa9 \xe2\x98\x95");
    expect(formDecode("%4")).toBeNull();
    expect(formDecode("%G0")).toBeNull();
  });

  it("takes a listed network, or another by name; an open network has no password", () => {
    expect(readForm("ssid=home&other=&password=12345678")).toEqual({ ssid: "home", password: "12345678" });
    expect(readForm("ssid=&other=hidden+net&password=")).toEqual({ ssid: "hidden net", password: "" });
    expect(readForm("ssid=cafe")).toEqual({ ssid: "cafe", password: "" });
    expect(readForm("ssid=" + "x".repeat(32) + "&password=" + "p".repeat(63))).toEqual({ ssid: "x".repeat(32), password: "p".repeat(63) });
  });

  it("refuses names over 32 bytes (counted in UTF-8), passwords of 1-7 or over 63, unknown or doubled fields", () => {
    // 11 three-byte characters: 11 characters, 33 bytes
    expect(readForm("ssid=" + "%E2%98%95".repeat(11))).toMatch(/32 bytes/);
    for (const n of [1, 7]) expect(readForm("ssid=a&password=" + "p".repeat(n))).toMatch(/at least 8/);
    expect(readForm("ssid=a&password=" + "p".repeat(64))).toMatch(/at most 63/);
    expect(readForm("ssid=a&x=1")).toMatch(/should not have/);
    expect(readForm("ssid=a&ssid=b")).toMatch(/twice/);
    expect(readForm("")).toMatch(/Pick a network/);
    expect(readForm("ssid=&other=")).toMatch(/Pick a network/);
  });
});

describe("the page", () => {
  const scan = [
    { ssid: "b<weak>", rssi: -85, authMode: "wpa2" },
    { ssid: "", rssi: -20, authMode: "wpa2" },
    { ssid: "strong & open", rssi: -40, authMode: "open" },
    { ssid: "b<weak>", rssi: -60, authMode: "wpa2" },
  ];

  it("lists named networks strongest first, each once, escaped", () => {
    expect(networksToList(scan, 10).map((n) => n.ssid)).toEqual(["strong & open", "b<weak>"]);
    expect(networksToList(scan, 1).map((n) => n.ssid)).toEqual(["strong & open"]);
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;");
    const page = setupPage(networksToList(scan, 10), "Could not join <home>: wrong password");
    expect(page.indexOf("strong &#38; open")).toBeLessThan(page.indexOf("b&#60;weak&#62;"));
    expect(page).toContain("Could not join &#60;home&#62;: wrong password");
    expect(page).not.toContain("<weak>");
  });

  it("is small, ASCII, one document with nothing fetched and no script", () => {
    const page = setupPage(networksToList(scan, 10), "");
    expect(page.length).toBeLessThan(3000);
    expect(page).toMatch(/^[\x20-\x7e]*$/);
    expect(page).not.toMatch(/<script|src=|href=|url\(/i);
    expect(page).toContain('<meta name="viewport"');
    expect(page).toContain('<form method="post" action="/">');
  });
});

describe("the name server", () => {
  const q = (name: string, type: number): string => dnsQuery(0xbeef, name, type).toString("latin1");

  it("answers every A query with the device's address, echoing the question, and AAAA with no data", () => {
    const a = Buffer.from(dnsReply(q("connectivitycheck.gstatic.com", 1), "192.168.4.1"), "latin1");
    expect(answersOf(a)).toEqual({ id: 0xbeef, flags: 0x8500, addresses: ["192.168.4.1"] });
    const question = dnsQuery(0xbeef, "connectivitycheck.gstatic.com", 1).subarray(12);
    expect(a.subarray(12, 12 + question.length)).toEqual(question);
    expect(answersOf(Buffer.from(dnsReply(q("captive.apple.com", 28), "192.168.4.1"), "latin1")).addresses).toEqual([]);
    // RD not asked: not echoed
    const noRd = Buffer.from(q("x.y", 1), "latin1");
    noRd[2] = 0;
    expect(Buffer.from(dnsReply(noRd.toString("latin1"), "10.0.0.1"), "latin1").readUInt16BE(2)).toBe(0x8400);
  });

  it("drops what is not one well-formed standard query", () => {
    const ok = dnsQuery(1, "a.b", 1);
    const variant = (f: (b: Buffer) => void): string => {
      const b = Buffer.from(ok);
      f(b);
      return b.toString("latin1");
    };
    expect(dnsReply("short", "1.2.3.4")).toBe("");
    expect(dnsReply(variant((b) => (b[2] = 0x81)), "1.2.3.4")).toBe(""); // a response, not a query
    expect(dnsReply(variant((b) => (b[2] = 0x29)), "1.2.3.4")).toBe(""); // opcode 5 (update)
    expect(dnsReply(variant((b) => (b[5] = 2)), "1.2.3.4")).toBe(""); // two questions
    expect(dnsReply(variant((b) => (b[12] = 0xc0)), "1.2.3.4")).toBe(""); // a pointer in the question
    expect(dnsReply(ok.subarray(0, ok.length - 2).toString("latin1"), "1.2.3.4")).toBe(""); // cut short
    expect(dnsReply("\0".repeat(600), "1.2.3.4")).toBe("");
  });
});

describe("the network saved by set-up (store/wifi.ts)", () => {
  const FLASHED = JSON.stringify({ wifi: { ssid: "old-net", password: "old-password" }, clientId: "abc" });
  const program = (ssid: string, pw: string): string =>
    `var s = require("Storage"); print("BEFORE " + JSON.stringify(readConfig(s).wifi.ssid)); print("OK " + saveWifi(s, ${JSON.stringify(ssid)}, ${JSON.stringify(pw)}));` +
    ` var c = readConfig(s); print("AFTER " + JSON.stringify(c.wifi.ssid) + " " + (c.wifi.password === ${JSON.stringify(pw)}) + " " + JSON.stringify(c.problem));`;

  it("replaces the config's WiFi and nothing else; a second save goes into the other slot", async () => {
    const bundle = await setupBundle();
    const flash = new Flash();
    flash.set(CONFIG_FILE, FLASHED);
    const board = new Board({ flash });
    board.boot(bundle + program("new-net", "new-password"));
    expect(board.console.lines).toEqual(['BEFORE "old-net"', "OK true", 'AFTER "new-net" true ""']);
    expect(flash.get(CONFIG_FILE)).toBe(FLASHED);
    expect(flash.names().filter((n) => WIFI_SLOTS.includes(n))).toEqual([WIFI_SLOTS[0]]);
    board.boot(bundle + program("third", ""));
    expect(board.console.lines.slice(-2)).toEqual(["OK true", 'AFTER "third" true ""']);
    expect(flash.names().filter((n) => WIFI_SLOTS.includes(n)).sort()).toEqual(WIFI_SLOTS);
  });

  it("leaves the old network or the new one after a power cut at any byte of saving, never a config error", async () => {
    const bundle = await setupBundle();
    const results = { old: 0, fresh: 0 };
    let size = 0;
    for (let n = 0; ; n++) {
      const flash = new Flash();
      flash.set(CONFIG_FILE, FLASHED);
      // a first save, so the cut one has a record before it (the other slot)
      const first = new Board({ flash });
      first.boot(bundle + program("first-net", "first-password"));
      flash.cutPowerAfter(n);
      const board = new Board({ flash });
      board.boot(bundle + program("second-net", "second-password"));
      const cut = !board.powered;
      flash.cutPowerAfter(undefined);
      const after = new Board({ flash });
      after.boot(bundle + `var c = readConfig(require("Storage")); print(JSON.stringify([c.wifi.ssid, c.wifi.password.length, c.problem]));`);
      const [ssid, pwLength, problem] = JSON.parse(after.console.lines[0]);
      expect(problem).toBe("");
      expect([JSON.stringify([ssid, pwLength]), cut]).toSatisfy(([v]: [string]) => v === JSON.stringify(["first-net", 14]) || v === JSON.stringify(["second-net", 15]));
      if (ssid === "first-net") results.old++;
      else results.fresh++;
      if (!cut) {
        size = n;
        expect(ssid).toBe("second-net");
        break;
      }
    }
    expect(size).toBeGreaterThan(40);
    expect(results.old).toBe(size);
    console.log(`wifi save power-cut sweep: ${size + 1} cut points: ${results.old} left the old network, ${results.fresh} the new one, none a broken config`);
  });
});
