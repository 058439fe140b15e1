// WiFi set-up's figures (issue 16): the page's size, the set-up code's size in the bundle, and
// — where $ESPRUINO names a Linux build of the interpreter — JsVars in use with the portal up,
// at its peak while the page is served and the form saved. Prints figures; asserts nothing.
//
//   npx tsx bench/setup.ts            (ESPRUINO=/path/to/espruino for the interpreter)
import net from "node:net";
import { resolve } from "node:path";
import { networksToList, setupPage } from "../firmware/setup/page.ts";
import { ESPRUINO, runLive } from "../test/support/espruino.ts";
import { get, postForm } from "../test/support/setup-client.ts";
import { portalProgram, setupBundle } from "../test/support/setup-device.ts";
import { firmwareBundle, firmwareModules, runFlashed } from "../test/support/firmware.ts";
import { flashForm } from "../build.mjs";

const ROOT = resolve(import.meta.dirname, "..");

async function main(): Promise<void> {
  console.log("== the set-up page");
  const names = (n: number, len: number) => Array.from({ length: n }, (_, i) => ({ ssid: ("net-" + i + "-").padEnd(len, "x"), rssi: -40 - 3 * i, authMode: i % 4 ? "wpa2" : "open" }));
  for (const [n, len, what] of [[0, 0, "no network heard"], [8, 12, "8 networks, 12-byte names"], [12, 32, "12 networks, 32-byte names (the most listed)"]] as const) {
    const page = setupPage(networksToList(names(n, len), 12), n ? "" : "Could not join home: wrong password");
    console.log(`${what.padEnd(46)} ${Buffer.byteLength(page)} bytes`);
  }

  console.log("== code size (as build.mjs writes them)");
  // set-up and the store are Storage modules of their own: the bundle holds only the life's part of set-up
  const device = await firmwareBundle();
  const modules = await firmwareModules();
  console.log(`the device's bundle (.bootcde)          ${Buffer.byteLength(device)} bytes (${flashForm(device).length} in flash form, as Storage holds it)`);
  for (const name of Object.keys(modules)) {
    console.log(`the Storage module ${name.padEnd(20)} ${Buffer.byteLength(modules[name])} bytes (${flashForm(modules[name]).length} in flash form; loaded only while it is used)`);
  }

  console.log("== real interpreter");
  if (!ESPRUINO) {
    console.log("skipped: set ESPRUINO to a Linux build of Espruino");
    return;
  }
  const bundle = await setupBundle();
  const port = await new Promise<number>((r) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
  // usage sampled when the portal is up and idle, inside the page's build (the scan's list
  // asked for), just after a reply is queued, and when the form is saved
  const probe =
    "var m0 = process.memory().usage;\n" +
    bundle +
    portalProgram(port, port + 1, "bench-password")
      .replace('print("READY");', 'var peak = 0; function sample(){ var u = process.memory().usage; if (u > peak) peak = u; } setTimeout(function () { print("USAGE idle " + process.memory().usage + " (before the bundle " + m0 + ")"); print("READY"); }, 300);')
      .replace("networks: function () {", "networks: function () { sample(); setTimeout(sample, 0);")
      .replace('save: function (c) {', "save: function (c) { sample(); setTimeout(sample, 0);")
      .replace('print("STOPPED");', 'print("STOPPED"); setTimeout(function () { print("USAGE peak " + peak + ", after set-up " + process.memory().usage + ", of " + process.memory().total); }, 300);');
  const lines: string[] = [];
  let ready: () => void = () => {};
  const isReady = new Promise<void>((r) => (ready = r));
  const done = runLive(probe, {}, (l) => {
    lines.push(l);
    if (l === "READY") ready();
    return l.startsWith("USAGE peak") ? 200 : false;
  }, 60000);
  await isReady;
  for (let i = 0; i < 3; i++) await get(port);
  await postForm(port, "ssid=&other=bench-net&password=bench-password");
  await done;
  for (const l of lines.filter((x) => x.startsWith("USAGE"))) console.log(l);
  await wholeDevice();
}

/**
 * The whole device in set-up mode on the interpreter: the firmware bundle with a config that
 * has no network, the WiFi module a stand-in with set-up's members (the Linux build has none),
 * the page served on the interpreter's port 80 (run as root), E.hwRand real, the bundle run
 * from .bootcde with set-up's module beside it, as the flash tool leaves them. JsVars sampled
 * every 20 ms from power-up to the save; the page fetched three times, then the form posted.
 */
async function wholeDevice(): Promise<void> {
  console.log("== the whole device in set-up mode (real interpreter, WiFi a stand-in)");
  const prelude =
    'var peak = 0; setInterval(function () { var u = process.memory().usage; if (u > peak) peak = u; }, 20);\n' +
    'setInterval(function () { print("USAGE now " + process.memory().usage + ", peak " + peak + " of " + process.memory().total); }, 1000);\n';
  const config = { provider: "simkl", clientId: "bench" };
  const lines: string[] = [];
  let up: () => void = () => {};
  const isUp = new Promise<void>((r) => (up = r));
  // as the flash tool leaves Storage: .bootcde (the sampler before the bundle) and set-up's own module beside it
  const done = runFlashed(config, (l) => {
    lines.push(l);
    if (l.startsWith("AP UP")) setTimeout(up, 500);
    return l === "AP DOWN" ? 1500 : false;
  }, 60000, prelude);
  await Promise.race([isUp, done]);
  for (let i = 0; i < 3; i++) await get(80);
  const idle = lines.filter((x) => x.startsWith("USAGE")).pop();
  await postForm(80, "ssid=home&other=&password=bench-password");
  await done;
  console.log("set-up up, page served 3 times: " + idle);
  console.log("after the save (set-up gone, joining): " + lines.filter((x) => x.startsWith("USAGE")).pop());
  if (process.env.BENCH_DEBUG) console.log(lines.join("\n"));
  console.log("screens: " + lines.filter((x) => x.startsWith('{"screen"')).map((x) => JSON.parse(x).screen).join(", "));
}

main();
