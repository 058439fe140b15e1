// WiFi set-up's figures (issue 16): the page's size, the set-up code's size in the bundle, and
// — where $ESPRUINO names a Linux build of the interpreter — JsVars in use with the portal up,
// at its peak while the page is served and the form saved. Prints figures; asserts nothing.
//
//   npx tsx bench/setup.ts            (ESPRUINO=/path/to/espruino for the interpreter)
import { build } from "esbuild";
import net from "node:net";
import { resolve } from "node:path";
import { ESPRUINO_MODULES, ESPRUINO_SYNTAX } from "../build.mjs";
import { fontPlugin } from "../tools/fontpack.mjs";
import { networksToList, setupPage } from "../firmware/setup/page.ts";
import { ESPRUINO, runLive } from "../test/support/espruino.ts";
import { get, postForm } from "../test/support/setup-client.ts";
import { portalProgram, setupBundle } from "../test/support/setup-device.ts";

const ROOT = resolve(import.meta.dirname, "..");

async function minifiedBytes(contents: string): Promise<number> {
  const out = await build({
    stdin: { contents, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    write: false,
    minify: true,
    format: "cjs",
    platform: "neutral",
    target: "es2015",
    supported: ESPRUINO_SYNTAX,
    external: ESPRUINO_MODULES,
    charset: "ascii",
    logLevel: "silent",
    plugins: [fontPlugin()],
    define: { __VERSION__: '"0"', __TRUST_ROOTS__: '""' },
  });
  return out.outputFiles[0].contents.length;
}

async function main(): Promise<void> {
  console.log("== the set-up page");
  const names = (n: number, len: number) => Array.from({ length: n }, (_, i) => ({ ssid: ("net-" + i + "-").padEnd(len, "x"), rssi: -40 - 3 * i, authMode: i % 4 ? "wpa2" : "open" }));
  for (const [n, len, what] of [[0, 0, "no network heard"], [8, 12, "8 networks, 12-byte names"], [12, 32, "12 networks, 32-byte names (the most listed)"]] as const) {
    const page = setupPage(networksToList(names(n, len), 12), n ? "" : "Could not join home: wrong password");
    console.log(`${what.padEnd(46)} ${Buffer.byteLength(page)} bytes`);
  }

  console.log("== code size (minified, as in the bundle)");
  // the device's bundle with and without the set-up reachable (until the device's states start
  // it, esbuild leaves it out of dist/firmware.js)
  const device = await minifiedBytes('import "./firmware/main";');
  const withSetup = await minifiedBytes('import "./firmware/main"; import { startSetup } from "./firmware/setup/session"; (global as any).setup = startSetup;');
  console.log(`the device's bundle                    ${device} bytes`);
  console.log(`  with the set-up in it                ${withSetup} bytes (+${withSetup - device})`);

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
}

main();
