// The set-up's captive portal (firmware/setup/) on the real interpreter ($ESPRUINO): the same
// phone's session as test/setup-portal.test.ts runs on the simulated board, here against the
// fixture bundle on Espruino 2v29 (its net server and dgram over loopback): the page, the
// name server, every bad input refused with nothing saved, a request that never ends timed
// out, the form saved in Storage and read back as the config's WiFi, the portal gone.
import dgram from "node:dgram";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { AP_ALPHABET, AP_PASSWORD_LENGTH, apName, wifiQrText } from "../firmware/setup/ap.ts";
import { ESPRUINO, runLive, runOnEspruino } from "./support/espruino.ts";
import { runFlashed } from "./support/firmware.ts";
import { get, postForm } from "./support/setup-client.ts";
import { exercisePortal, NEW_PASSWORD, portalProgram, setupBundle } from "./support/setup-device.ts";

/** A port free on loopback now, for TCP and for UDP. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket("udp4");
      u.once("error", () => resolve(false));
      u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

describe.skipIf(!ESPRUINO)("the set-up portal on the real interpreter", () => {
  it("serves the page and the name server, refuses bad input, saves the form, then is gone", async () => {
    const bundle = await setupBundle();
    const httpPort = await freePort();
    const dnsPort = await freePort();
    const lines: string[] = [];
    let ready: () => void = () => {};
    const isReady = new Promise<void>((r) => (ready = r));
    const done = runLive(bundle + portalProgram(httpPort, dnsPort, NEW_PASSWORD), {}, (line) => {
      lines.push(line);
      if (line === "READY") ready();
      return line === "STOPPED" ? 1500 : false;
    }, 90000);
    await isReady;
    await exercisePortal(httpPort, dnsPort, () => lines, null);
    await done;
  }, 120000);

  it("names the access point, draws its password from E.hwRand and writes the QR text as Node does", async () => {
    const bundle = await setupBundle();
    const name = 'we;ird:na,me\\"';
    const lines = runOnEspruino(
      bundle +
        `print(JSON.stringify([apName("24:0a:c4:12:ab:cd"), wifiQrText(${JSON.stringify(name)}, "p;a:s,s")]));` +
        `for (var i = 0; i < 5; i++) print("PW " + newApPassword(E.hwRand));`,
    ).lines;
    expect(JSON.parse(lines[0])).toEqual([apName("24:0a:c4:12:ab:cd"), wifiQrText(name, "p;a:s,s")]);
    const passwords = lines.filter((l) => l.startsWith("PW ")).map((l) => l.slice(3));
    expect(passwords.length).toBe(5);
    for (const p of passwords) expect(p).toMatch(new RegExp("^[" + AP_ALPHABET + "]{" + AP_PASSWORD_LENGTH + "}$"));
    expect(new Set(passwords).size).toBe(5);
  });

  it("the whole firmware, flashed as the flash tool leaves it, with no network: set-up loaded from its Storage module, the form saved, set-up gone", async () => {
    // the interpreter binds the page's port 80 and the name server's 53, as the device does
    const probe =
      // once the access point is down: which modules are still loaded, which network files are in Storage
      '(function(w){var stop=w.stopAP;w.stopAP=function(cb){stop(cb);setTimeout(function(){' +
      'print("CACHED "+Modules.getCached().join(","));print("SAVED "+require("Storage").list(/^codepair\\.wifi/).join(","));},500);};})(require("Wifi"));\n';
    const lines: string[] = [];
    let up: () => void = () => {};
    const isUp = new Promise<void>((r) => (up = r));
    const done = runFlashed({ provider: "simkl", clientId: "real-test" }, (line) => {
      lines.push(line);
      if (line.startsWith("AP UP ")) setTimeout(up, 500);
      return line.startsWith("SAVED") ? 1000 : false;
    }, 90000, probe);
    await Promise.race([isUp, done]);
    expect(lines).toContain("AP UP codepair-0002");
    expect(lines.some((l) => l.startsWith('{"screen":"wifi-setup"'))).toBe(true);
    const page = await get(80);
    expect(page && page.status).toBe(200);
    expect(page!.body).toContain("home");
    expect(page!.body).toContain("cafe");
    const saved = await postForm(80, "ssid=home&other=&password=" + encodeURIComponent(NEW_PASSWORD));
    expect(saved && saved.status).toBe(200);
    await done;
    expect(lines).toContain("AP DOWN");
    // set-up's code left memory once the network was saved; the network is in its record
    const cached = lines.find((l) => l.startsWith("CACHED "));
    expect(cached).toBeDefined();
    expect(cached).not.toContain("codepair-setup");
    expect(lines.find((l) => l.startsWith("SAVED "))).toMatch(/codepair\.wifi[01]/);
    // then the device joins the network saved
    expect(lines.some((l) => l.startsWith('{"screen":"wifi"') && l.indexOf("home") >= 0)).toBe(true);
    expect(lines.join("\n")).not.toContain(NEW_PASSWORD);
  }, 120000);
});
