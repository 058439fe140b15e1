// The QR encoder on the real interpreter ($ESPRUINO): the same bits as in Node, byte for byte,
// and the picture that Espruino's own Graphics.drawImage makes of it decodes with jsQR.
// Without $ESPRUINO these tests are reported as skipped.
import { describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { encodeQr } from "../firmware/display/qr.ts";
import { readQr } from "./support/camera.ts";
import { ESPRUINO, hex, runOnEspruino } from "./support/espruino.ts";

const LINK = "https://kinde.example/device?user_code=WDJB-MJHT&lang=en-GB&src=codepair-oled";

/** A JavaScript string literal of a byte string, bytes outside printable ASCII as \xNN. */
function literal(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c >= 32 && c < 127 && ch !== '"' && ch !== "\\" ? ch : "\\x" + (256 + c).toString(16).slice(1);
  }
  return out + '"';
}

const HEX = 'function hex(u) { var s = ""; for (var i = 0; i < u.length; i++) s += (256 + u[i]).toString(16).substr(1); return s; }\n';

async function encoderBundle(): Promise<string> {
  const out = await bundleFirmware({ entry: "test/fixtures/qr/expose.ts" });
  expect(out.problems).toEqual([]);
  return out.code;
}

describe.skipIf(!ESPRUINO)("QR encoder on the real interpreter ($ESPRUINO)", () => {
  it("encodes to the same bits as Node for links of every version and level, and null past capacity", async () => {
    const cases: [string, number][] = [];
    for (const n of [1, 7, 8, 14, 17, 18]) cases.push([LINK.slice(0, n), 1]);
    for (const n of [15, 20, 26, 32, 33]) cases.push([LINK.slice(0, n), 2]);
    for (const n of [1, 20, 24, 25, 32, 33, 42, 43, 48, 53, 54]) cases.push([LINK.slice(0, n), 3]);
    cases.push([Buffer.from("https://auth.example/d?c=ÄÖÜ-€", "utf8").toString("latin1"), 3]);
    let bytes = "";
    for (let b = 0; b < 256; b += 5) bytes += String.fromCharCode(b);
    cases.push([bytes.slice(0, 52), 3]);
    const program =
      (await encoderBundle()) +
      HEX +
      cases.map(([s, max], i) => `var q = encodeQr(${literal(s)}, ${max}); print("QR ${i} " + (q ? q.version + " " + q.level + " " + q.size + " " + hex(q.bits) : "null"));`).join("\n");
    const real = runOnEspruino(program);
    expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
    expect(real.status).toBe(0);
    const expected = cases.map(([s, max], i) => {
      const q = encodeQr(s, max);
      return `QR ${i} ` + (q ? `${q.version} ${q.level} ${q.size} ${hex(q.bits)}` : "null");
    });
    expect(expected.filter((l) => l.endsWith("null")).length).toBe(3);
    expect(real.lines.filter((l) => l.startsWith("QR "))).toEqual(expected);
  });

  it("drawn inverted by Graphics.drawImage at scale 2 on a lit 64×64 square, it decodes to the link", async () => {
    const links = [LINK.slice(0, 17), LINK.slice(0, 26), LINK.slice(0, 48), LINK.slice(0, 53)];
    const program =
      (await encoderBundle()) +
      HEX +
      `var g = Graphics.createArrayBuffer(64, 64, 1);
${JSON.stringify(links)}.forEach(function (s) {
  var q = encodeQr(s, 3), at = (64 - 2 * q.size) >> 1;
  g.clear(); g.setColor(1); g.fillRect(0, 0, 63, 63);
  g.drawImage(qrImage(q), at, at, {scale: 2});
  print("OLED " + hex(new Uint8Array(g.buffer)));
});`;
    const real = runOnEspruino(program);
    expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
    const frames = real.lines.filter((l) => l.startsWith("OLED ")).map((l) => Buffer.from(l.slice(5), "hex"));
    expect(frames.length).toBe(links.length);
    frames.forEach((frame, i) => {
      // Rows of 64 bits, MSB first; a lit pixel is light to the camera.
      const lit = new Uint8Array(64 * 64);
      for (let p = 0; p < 64 * 64; p++) lit[p] = (frame[p >> 3] >> (7 - (p & 7))) & 1;
      expect(readQr(lit, 64, 64)?.data, links[i]).toBe(links[i]);
    });
  });
});
