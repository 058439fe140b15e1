// E.qrSymbol, the codepair image's QR code symbol in C (tools/espruino/patches/codepair/
// 0020-qr-native.patch), against the firmware's JavaScript encoder (firmware/display/qr.ts,
// which test/qr.test.ts holds to the `qrcode` package module for module, and test/qr-real.test.ts
// shows to make the same bits on the interpreter as in Node):
// - on the real codepair interpreter ($ESPRUINO_CODEPAIR): for every length that versions 1-3 at
//   levels L, M, Q, H hold, in byte mode (random bytes), alphanumeric mode and mixed segments
//   (random texts), the symbol of every mask and of the mask the image chooses equals, module for
//   module, the JavaScript encoder's; the chosen mask is the one the JavaScript chooses; jsQR reads
//   the symbols back; the firmware's qrJob takes one step there and its code is Node's;
// - the dialect gate refuses E.qrSymbol without a feature test (2v29 as released lacks it);
// - the simulator's E has qrSymbol only on a board running the codepair image, with the same
//   symbols and errors.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { checkBundle } from "../dialect/gate.mjs";
import { encodeQr, qrCapacity, qrCodewords, qrDataLength, qrFinish, qrSegments, qrSymbolJob, type QrCode, type QrPlan } from "../firmware/display/qr.ts";
import { readQr } from "./support/camera.ts";
import { ESPRUINO_CODEPAIR, outputLines, runOnSimulator } from "./support/espruino.ts";

const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const OTHER = "abcdefghijklmnopqrstuvwxyz?&=_~#@!";

/** A fixed pseudo-random sequence (the same cases every run), in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Bits that `text`'s segments take (§7.4: header, count, data; at versions 1-9). */
function segmentsBits(plan: Pick<QrPlan, "segments">): number {
  let bits = 0;
  for (const s of plan.segments) {
    const n = s.end - s.start;
    bits += s.alphanumeric ? 13 + 11 * (n >> 1) + 6 * (n & 1) : 12 + 8 * n;
  }
  return bits;
}

/**
 * The cases: for each version 1-3 and level L, M, Q, H, every length it holds of random bytes
 * (one byte segment), of random alphanumeric characters, and of random texts mixing runs of
 * both (the segments that make the fewest bits, as the firmware splits a link).
 */
function cases(): QrPlan[] {
  const rnd = random(0x5eed);
  const pick = (set: string) => set[Math.floor(rnd() * set.length)];
  const out: QrPlan[] = [];
  for (let version = 1; version <= 3; version++) {
    for (let level = 0; level < 4; level++) {
      const room = qrDataLength(version, level) * 8;
      for (let n = 1; n <= qrCapacity(version, level); n++) {
        let text = "";
        for (let i = 0; i < n; i++) text += String.fromCharCode(Math.floor(rnd() * 256));
        out.push({ text, segments: [{ alphanumeric: false, start: 0, end: n }], version, level, mask: -1 });
      }
      for (const mixed of [false, true]) {
        for (let n = 1; ; n++) {
          let text = "";
          // mixed: runs of 1-12 characters of one set, then of the other
          for (let run = 0, inSet = rnd() < 0.5; text.length < n; run--) {
            if (run <= 0) {
              run = 1 + Math.floor(rnd() * 12);
              inSet = !inSet;
            }
            text += pick(!mixed || inSet ? ALPHANUMERIC : OTHER);
          }
          const plan: QrPlan = { text, segments: qrSegments(text, true), version, level, mask: -1 };
          if (segmentsBits(plan) > room) break;
          out.push(plan);
        }
      }
    }
  }
  return out;
}

function hexOf(bytes: ArrayLike<number>): string {
  return Buffer.from(Uint8Array.from(bytes as ArrayLike<number>)).toString("hex");
}

/** The firmware's JavaScript encoder, here in Node (no E): the symbol of `plan` with `mask`. */
function jsSymbol(plan: QrPlan, mask: number): QrCode {
  return qrFinish(qrSymbolJob(qrCodewords(plan), plan.version, plan.level, mask));
}

/** Output lines of `code` run as a file on the codepair interpreter (outputs of megabytes). */
function runOnCodepair(code: string, timeoutMs = 120000): { lines: string[]; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "codepair-qrnative-"));
  try {
    const file = join(dir, "program.js");
    writeFileSync(file, code, "latin1");
    const run = spawnSync(ESPRUINO_CODEPAIR as string, [file], { cwd: dir, timeout: timeoutMs, input: "", encoding: "latin1", maxBuffer: 64 << 20 });
    return { lines: outputLines(run.stdout || ""), status: run.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The symbol as jsQR sees it on paper: 2 px a module, a 4-module light quiet zone. */
function decode(bits: Buffer, size: number): string | null {
  const quiet = 4;
  const width = size + 2 * quiet;
  const light = new Uint8Array(width * width).fill(1);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const k = y * size + x;
      if ((bits[k >> 3] >> (7 - (k & 7))) & 1) light[(y + quiet) * width + x + quiet] = 0;
    }
  }
  const read = readQr(light, width, width, { scale: 2 });
  return read ? Buffer.from(read.binaryData).toString("latin1") : null;
}

async function bundle(entry: string): Promise<string> {
  const out = await bundleFirmware({ entry });
  expect(out.problems).toEqual([]);
  return out.code;
}

const HEX = 'function hex(u) { var s = ""; for (var i = 0; i < u.length; i++) s += (256 + u[i]).toString(16).substr(1); return s; }\n';

describe.skipIf(!ESPRUINO_CODEPAIR)("E.qrSymbol on the real codepair interpreter ($ESPRUINO_CODEPAIR)", () => {
  it("makes the JavaScript encoder's symbol, module for module, for every length, level, mode and mask; chooses its mask; jsQR reads them", async () => {
    const plans = cases();
    expect(plans.length).toBeGreaterThan(700);
    // the interpreter makes each case's data codewords (the firmware's JavaScript) and the
    // symbols of mask -1 (its choice) and 0-7 in C; a run a chunk of cases (the interpreter's
    // memory holds the program's text)
    const encoder = await bundle("test/fixtures/qr/expose.ts");
    const got: string[] = [];
    for (let from = 0; from < plans.length; from += 120) {
      const chunk = plans.slice(from, from + 120);
      const program =
        encoder +
        `var plans = ${JSON.stringify(chunk.map((p) => [p.text, p.segments.map((s) => [s.alphanumeric ? 1 : 0, s.start, s.end]), p.version, p.level]))};
plans.forEach(function (p, i) {
  var plan = { text: p[0], segments: p[1].map(function (s) { return { alphanumeric: !!s[0], start: s[1], end: s[2] }; }), version: p[2], level: p[3], mask: -1 };
  var data = qrCodewords(plan), out = [];
  for (var m = -1; m < 8; m++) { var q = E.qrSymbol(data, plan.version, plan.level, m); out.push(q.mask + ":" + q.size + ":" + btoa(E.toString(q.bits))); }
  print("Q " + (${from} + i) + " " + out.join(" "));
});
print("DONE " + plans.length);`;
      const real = runOnCodepair(program);
      expect(real.lines.filter((l) => /Uncaught|Error|memory/i.test(l))).toEqual([]);
      expect(real.lines).toContain(`DONE ${chunk.length}`);
      got.push(...real.lines.filter((l) => l.startsWith("Q ")));
    }
    expect(got.length).toBe(plans.length);
    let decoded = 0;
    const modes = new Set<string>();
    plans.forEach((plan, i) => {
      const symbols = got[i].split(" ").slice(2);
      const name = `${JSON.stringify(plan.text)} ${plan.version}-${"LMQH"[plan.level]}`;
      for (let m = -1; m < 8; m++) {
        const js = jsSymbol(plan, m);
        // the mask (the chosen one for -1), the size and every module
        expect(symbols[m + 1], `${name} mask ${m}`).toBe(`${js.mask}:${js.size}:${Buffer.from(js.bits).toString("base64")}`);
      }
      // jsQR reads the chosen symbol, and one of the forced masks (each mask every 8 cases)
      for (const m of [-1, i % 8]) {
        const [, size, bits] = symbols[m + 1].split(":");
        expect(decode(Buffer.from(bits, "base64"), Number(size)), `${name} mask ${m}`).toBe(plan.text);
        decoded++;
      }
      modes.add(plan.segments.map((s) => (s.alphanumeric ? "A" : "B")).join(""));
    });
    expect(decoded).toBe(2 * plans.length);
    // byte only, alphanumeric only, and mixed splits were all among them
    expect(modes.has("B") && modes.has("A") && [...modes].some((m) => m.length >= 3)).toBe(true);
  }, 300000);

  it("chooses the mask the interpreter's own JavaScript steps choose, with the same modules", async () => {
    // the largest of each version and level, on the same interpreter both ways
    const largest: QrPlan[] = [];
    const all = cases();
    for (let v = 1; v <= 3; v++) for (let l = 0; l < 4; l++) largest.push(all.filter((p) => p.version === v && p.level === l && !p.segments[0].alphanumeric && p.segments.length === 1).pop() as QrPlan);
    const program =
      (await bundle("test/fixtures/qr/expose.ts")) +
      HEX +
      `${JSON.stringify(largest)}.forEach(function (plan) {
  var data = qrCodewords(plan), c = E.qrSymbol(data, plan.version, plan.level, -1), js = qrFinish(qrSymbolJob(data, plan.version, plan.level, -1));
  print("BOTH " + c.mask + " " + hex(c.bits) + " " + js.mask + " " + hex(js.bits));
});`;
    const real = runOnCodepair(program);
    expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
    const both = real.lines.filter((l) => l.startsWith("BOTH "));
    expect(both.length).toBe(12);
    for (const line of both) {
      const [, cMask, cBits, jsMask, jsBits] = line.split(" ");
      expect(cMask).toBe(jsMask);
      expect(cBits).toBe(jsBits);
    }
    // and the masks chosen are not all one
    expect(new Set(both.map((l) => l.split(" ")[1])).size).toBeGreaterThan(1);
  }, 120000);

  it("the firmware's qrJob uses it there: one step, and the code is the one Node's JavaScript makes", async () => {
    const links = ["https://kinde.example/device?user_code=WDJB-MJHT&lang=en-GB".slice(0, 53), "HTTPS://LOGIN.YOTOPLAY.COM/activate?user_code=ABCD-EFGH", "https://a.example/d"];
    const program =
      (await bundle("test/fixtures/qr/expose.ts")) +
      HEX +
      `${JSON.stringify(links)}.forEach(function (s) {
  var job = qrJob(qrPlan(s, 3, true)), steps = 1;
  while (!job.step()) steps++;
  print("JOB " + steps + " " + job.qr.version + " " + job.qr.level + " " + job.qr.size + " " + job.qr.mask + " " + hex(job.qr.bits));
});`;
    const real = runOnCodepair(program);
    expect(real.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
    expect(real.lines.filter((l) => l.startsWith("JOB "))).toEqual(
      links.map((s) => {
        const plan = qrPlanOf(s);
        const q = qrFinish(qrSymbolJob(qrCodewords(plan), plan.version, plan.level, -1));
        return `JOB 1 ${q.version} ${q.level} ${q.size} ${q.mask} ${hexOf(q.bits)}`;
      }),
    );
  }, 60000);

  it("refuses what is not the data codewords of a symbol, as the simulator does", () => {
    const program = `[[19, 1, 0, -1], [19, 2, 0, -1], [19, 1, 0, 8], [16, 4, 0, -1], [26, 3, 3, -2]].forEach(function (c) {
  try { var q = E.qrSymbol(new Uint8Array(c[0]), c[1], c[2], c[3]); print("OK " + q.size + " " + q.mask); } catch (e) { print("ERR " + e.message); }
});
// not a typed array: a plain array of 19 bytes, and an object that would expand to 2e9 bytes
[[${JSON.stringify(new Array(19).fill(0))}], [[{ data: 0, count: 2e9 }]]].forEach(function (c) {
  try { E.qrSymbol(c[0], 1, 0, -1); print("OK"); } catch (e) { print("ERR " + e.message); }
});`;
    const real = runOnCodepair(program).lines.filter((l) => /^(OK|ERR) /.test(l));
    const sim = runOnSimulator(program, { interpreter: "codepair" }).lines.filter((l) => /^(OK|ERR) /.test(l));
    expect(real.length).toBe(7);
    expect(real[0]).toMatch(/^OK 21 [0-7]$/);
    expect(real.slice(1).every((l) => l.startsWith("ERR E.qrSymbol: "))).toBe(true);
    expect(sim).toEqual(real);
  });
});

/** The plan the firmware makes of a link: the strongest level, alphanumeric runs as their own segments. */
function qrPlanOf(link: string): QrPlan {
  const segments = qrSegments(link, true);
  for (let level = 3; level >= 0; level--) {
    for (let version = 1; version <= 3; version++) {
      if (segmentsBits({ segments }) <= qrDataLength(version, level) * 8) return { text: link, segments, version, level, mask: -1 };
    }
  }
  throw new Error("does not fit: " + link);
}

describe("E.qrSymbol outside the codepair image", () => {
  const gate = (body: string) => checkBundle(`(function(){\n${body}\n})();\n`, "").filter((v) => v.rule === "member");

  it("the dialect gate refuses it without a feature test (2v29 as released lacks it), and allows it behind one", () => {
    expect(gate("var q = E.qrSymbol(new Uint8Array(19), 1, 0, -1);").map((v) => v.message)).toEqual([
      expect.stringContaining("E.qrSymbol is only in the codepair image"),
    ]);
    expect(gate("var f = E.qrSymbol; print(f(new Uint8Array(19), 1, 0, -1));").length).toBe(1);
    expect(gate("if (E.qrSymbol) print(E.qrSymbol(new Uint8Array(19), 1, 0, -1));")).toEqual([]);
    expect(gate('if (typeof E !== "undefined" && E.qrSymbol) { var f = E.qrSymbol; var job = function () { return f(new Uint8Array(19), 1, 0, -1); }; }')).toEqual([]);
    // a test of it does not make its branch dead code: a missing member there is still refused
    expect(gate("if (E.qrSymbol) print(Math.trunc(1.5));").map((v) => v.message)).toEqual([expect.stringContaining("Math.trunc is missing on the device")]);
  });

  it("the simulator has it only when the board runs the codepair image, making the JavaScript encoder's symbols", () => {
    const probe = 'print("TYPE " + typeof E.qrSymbol);';
    expect(runOnSimulator(probe).lines).toContain("TYPE undefined");
    expect(runOnSimulator(probe, { interpreter: "stock" }).lines).toContain("TYPE undefined");
    expect(runOnSimulator(probe, { interpreter: "codepair" }).lines).toContain("TYPE function");
    const plans = cases().filter((_, i) => i % 37 === 0);
    const program =
      HEX +
      plans
        .map((p) => {
          const data = JSON.stringify(Array.from(qrCodewords(p)));
          return `var q = E.qrSymbol(new Uint8Array(${data}), ${p.version}, ${p.level}, -1), r = E.qrSymbol(new Uint8Array(${data}), ${p.version}, ${p.level}, 5); print("SIM " + q.size + " " + q.mask + " " + hex(q.bits) + " " + r.mask + " " + hex(r.bits) + " " + (q.bits instanceof Uint8Array));`;
        })
        .join("\n");
    const sim = runOnSimulator(program, { interpreter: "codepair" }).lines.filter((l) => l.startsWith("SIM "));
    expect(sim).toEqual(
      plans.map((p) => {
        const q = jsSymbol(p, -1);
        const r = jsSymbol(p, 5);
        return `SIM ${q.size} ${q.mask} ${hexOf(q.bits)} 5 ${hexOf(r.bits)} true`;
      }),
    );
  });

  it("in Node (no E) the firmware builds the code with its JavaScript steps, a step at a time", () => {
    const link = "https://kinde.example/device?user_code=WDJB-MJHT";
    const plan = qrPlanOf(link);
    let steps = 0;
    const job = qrSymbolJob(qrCodewords(plan), plan.version, plan.level, -1);
    while (!job.step()) steps++;
    expect(steps).toBeGreaterThan(8);
    expect(hexOf((encodeQr(link, 3) as QrCode).bits)).toBe(hexOf(qrFinish(qrSymbolJob(qrCodewords({ text: link, segments: [{ alphanumeric: false, start: 0, end: link.length }], version: 3, level: 0, mask: -1 }), 3, 0, -1)).bits));
  });
});
