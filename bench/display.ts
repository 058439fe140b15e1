// Figures for the display: bundle bytes spent on fonts, the QR encoder and the screens; the
// time to encode the QR code and draw the code screen, in the simulator and — where $ESPRUINO
// names a Linux build of the interpreter — there; I2C bytes per frame, full and partial.
// Prints figures; asserts nothing.   npx tsx bench/display.ts
import { pathToFileURL } from "node:url";
import { bundleFirmware } from "../build.mjs";
import { ESPRUINO, runOnEspruino } from "../test/support/espruino.ts";
import { boardWithConfig } from "../test/support/firmware.ts";
import { NOW, SCREENS, code } from "../test/support/screen-states.ts";
import { median } from "./stats.ts";

const GROUPS: Record<string, RegExp> = {
  fonts: /\.font$/,
  "QR encoder": /display\/qr\.ts$/,
  "screens and layout": /display\/(screens|code|text|display)\.ts$/,
  "SSD1306 driver": /display\/ssd1306\.ts$/,
};

/** A different link each call, so each show() encodes a QR code anew. */
function linkNumber(i: number): string {
  return "https://codepair.kinde.com/device?user_code=" + (10000000 + i);
}

export async function displayBench(): Promise<void> {
  const main = await bundleFirmware();
  console.log("== display: bundle bytes (minified, of " + Buffer.byteLength(main.code) + ")");
  for (const name of Object.keys(GROUPS)) {
    let n = 0;
    for (const [file, bytes] of Object.entries(main.bytesByFile)) if (GROUPS[name].test(file)) n += bytes;
    console.log(`  ${name.padEnd(22)} ${n} bytes`);
  }

  const fixture = await bundleFirmware({ entry: "test/fixtures/display/entry.ts" });
  const board = boardWithConfig({ display: { height: 64 } });
  board.boot(fixture.code);
  const encodeAndDraw: number[] = [];
  const drawOnly: number[] = [];
  for (let i = 0; i < 200; i++) {
    const fresh = JSON.stringify(code({ code: "CSLDFDUU", uri: "https://codepair.kinde.com/device", link: linkNumber(i) }));
    let t = process.hrtime.bigint();
    board.evaluate(`show(${fresh}, ${NOW})`);
    encodeAndDraw.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    board.evaluate(`show(${fresh}, ${NOW + 60})`); // the bar moved: same QR code, drawn again
    drawOnly.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const unchanged: number[] = [];
  const kindeJson = JSON.stringify(SCREENS["code-kinde-qr"]);
  board.evaluate(`show(${kindeJson}, ${NOW})`);
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    board.evaluate(`show(${kindeJson}, ${NOW + 0.001 * i})`);
    unchanged.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log("== display: simulator (Node)");
  console.log(`  a tick that changes nothing on screen       ${median(unchanged).toFixed(3)} ms (QR code screen)`);
  console.log(`  code screen, QR encoded + drawn + flushed   ${median(encodeAndDraw).toFixed(2)} ms (median of 200)`);
  console.log(`  code screen redrawn (QR cached)             ${median(drawOnly).toFixed(2)} ms`);

  const frames = boardWithConfig({ display: { height: 64 } });
  frames.boot(fixture.code);
  frames.evaluate(`show(${JSON.stringify(SCREENS.paired)}, ${NOW})`);
  frames.display.resetStats();
  const kinde = SCREENS["code-kinde-qr"];
  frames.evaluate(`show(${JSON.stringify(kinde)}, ${NOW})`);
  const full = frames.display.stats;
  frames.display.resetStats();
  frames.evaluate(`show(${JSON.stringify(kinde)}, ${NOW + 9})`); // the bar moves; the page stays (10 s)
  const bar = frames.display.stats;
  console.log(`  I2C, paired -> code screen                  ${full.bytes} bytes (${full.dataBytes} of them pixels)`);
  console.log(`  I2C, the bar moves one pixel                ${bar.bytes} bytes (${bar.dataBytes} of them pixels)`);

  console.log("== display: real interpreter");
  if (!ESPRUINO) {
    console.log("  skipped: set ESPRUINO to a Linux build of Espruino");
    return;
  }
  const program =
    `require("Storage").writeJSON("codepair.json", {display: {height: 64}});\n` +
    "var m0 = process.memory().usage;\n" +
    fixture.code +
    `\nvar m1 = process.memory().usage, enc = [], draw = [];
for (var i = 0; i < 10; i++) {
  var s = ${JSON.stringify(code({ code: "CSLDFDUU", uri: "https://codepair.kinde.com/device", link: "" }))};
  s.link = "https://codepair.kinde.com/device?user_code=" + (10000000 + i);
  var t0 = getTime(); show(s, ${NOW}); var t1 = getTime(); show(s, ${NOW + 60}); var t2 = getTime();
  enc.push(t1 - t0); draw.push(t2 - t1);
}
var m2 = process.memory().usage, idle = [];
for (var j = 0; j < 20; j++) { var t3 = getTime(); show(s, ${NOW + 60} + j * 0.01); idle.push(getTime() - t3); }
function med(a) { a.sort(function (x, y) { return x - y; }); return a[a.length >> 1]; }
print("BENCH " + Math.round(med(enc) * 1e4) / 10 + " " + Math.round(med(draw) * 1e4) / 10 + " " + m0 + " " + m1 + " " + m2 + " " + Math.round(med(idle) * 1e5) / 100);
`;
  const out = runOnEspruino(program, 60000);
  const line = out.lines.find((l) => l.startsWith("BENCH "));
  if (!line) throw new Error("no figures from the interpreter:\n" + out.lines.join("\n"));
  const [enc, draw, m0, m1, m2, idle] = line.split(" ").slice(1).map(Number);
  console.log(`  interpreter ${ESPRUINO} (a PC, not an ESP32: compare runs, not devices)`);
  console.log(`  code screen, QR encoded + drawn + flushed   ${enc} ms (median of 10)`);
  console.log(`  code screen redrawn (QR cached)             ${draw} ms`);
  console.log(`  a tick that changes nothing on screen       ${idle} ms`);
  console.log(`  JsVars: ${m0} before the bundle, ${m1} after boot, ${m2} with a QR code screen up`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  displayBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
