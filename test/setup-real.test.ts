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
});
