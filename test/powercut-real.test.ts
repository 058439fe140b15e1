// Power cuts on the real interpreter (tools/powercut.ts): the interpreter is stopped before its
// N-th write to its flash file during a token save, then booted again, and every file checked.
// On the codepair image (ESPRUINO_CODEPAIR, tools/espruino/patches/codepair) a cut anywhere in a
// save, compacting or not, loses nothing and damages nothing, and the firmware comes up paired.
// On the stock ESP32-like build (ESPRUINO) a plain save is as safe, and a cut while compaction
// moves files loses what the README says it can (until the pages that held the old copies are
// erased too); once only trash is left to erase, nothing is lost.
// A sample of cut points runs here (the first writes, points through the moving phase, which
// include every kind of loss measured on the stock build, and the end); `npm run powercut`
// sweeps every point.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cutAt, flashAfterCut, isClean, makeScene, removeScene, SCENE_CONFIG, type CutResult, type Scene } from "../tools/powercut.ts";
import { ESPRUINO } from "./support/espruino.ts";
import { runFlashed } from "./support/firmware.ts";
import { screenOf } from "../host-sim/cli.ts";

const CODEPAIR = process.env.ESPRUINO_CODEPAIR || undefined;

/** A full page erase on the Linux build is one write of a page (1 KB) of 0xFF. */
const PAGE = 1024;

/**
 * The compacting save's writes: where the tail (the run of page erases after the last moved
 * data, before the new record is written) begins, from the uncut run's write sizes.
 */
function tailStart(scene: Scene): number {
  const sizes = scene.uncut.sizes;
  let end = sizes.length;
  while (end > 0 && sizes[end - 1] !== PAGE) end--; // the record's own writes
  let start = end;
  while (start > 0 && sizes[start - 1] === PAGE) start--;
  return start + 1; // 1-based
}

/** The sample: the first six writes, every `step`-th through the moving phase, three in the tail, the last three. */
function samplePoints(scene: Scene, step: number): number[] {
  const tail = tailStart(scene);
  const points = new Set<number>();
  for (let n = 1; n <= 6; n++) points.add(n);
  for (let n = 7; n < tail; n += step) points.add(n);
  points.add(tail - 1);
  points.add(tail);
  points.add(Math.floor((tail + scene.writes) / 2));
  for (let n = scene.writes - 2; n <= scene.writes; n++) points.add(n);
  return [...points].filter((n) => n >= 1 && n <= scene.writes).sort((a, b) => a - b);
}

/** What a cut can do on the stock build, as the README says: each loss is one of these. */
function stockLoss(r: CutResult): string {
  if (isClean(r)) return "none";
  if (r.corrupt && r.config === "lost" && r.boot === "lost" && r.slot1 === "lost" && r.token === "lost") return "wiped";
  if (!r.corrupt && r.boot === "lost" && r.token === "lost" && r.config !== "ok") return "config damaged, the rest lost";
  if (!r.corrupt && r.boot === "lost" && r.token === "lost" && r.config === "ok") return ".bootcde and the token lost";
  return "other: " + JSON.stringify(r);
}

describe.skipIf(!ESPRUINO)("power cuts in a token save on the stock ESP32-like build", () => {
  let plain: Scene;
  let compacting: Scene;
  beforeAll(async () => {
    plain = await makeScene(ESPRUINO!, false);
    compacting = await makeScene(ESPRUINO!, true);
  }, 300000);
  afterAll(() => {
    if (plain) removeScene(plain);
    if (compacting) removeScene(compacting);
  });

  it("the cut falls just before the N-th write to the flash file, through qemu: that write never lands, the one before did", () => {
    const base = readFileSync(plain.base);
    const sizes = plain.uncut.sizes;
    expect(flashAfterCut(plain, 1).equals(base)).toBe(true);
    // after a cut before write 2, the flash differs from the base in at most the first write's bytes
    const after1 = flashAfterCut(plain, 2);
    let changed = 0;
    for (let i = 0; i < base.length; i++) if (base[i] !== after1[i]) changed++;
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThanOrEqual(sizes[0]);
    // and a cut before the last write leaves the flash different from the uncut run's only in that write's bytes
    const last = flashAfterCut(plain, plain.writes);
    const whole = flashAfterCut(plain, plain.writes + 1);
    let differ = 0;
    for (let i = 0; i < base.length; i++) if (last[i] !== whole[i]) differ++;
    expect(differ).toBeGreaterThan(0);
    expect(differ).toBeLessThanOrEqual(sizes[sizes.length - 1]);
  }, 120000);

  it("a save that does not compact: a cut before any of its writes leaves every file and a record", async () => {
    expect(plain.uncut.printed).toContain("saved true");
    expect(plain.writes).toBeGreaterThanOrEqual(3);
    for (let n = 1; n <= plain.writes; n++) {
      const r = await cutAt(plain, n);
      expect(isClean(r), JSON.stringify(r)).toBe(true);
    }
  }, 300000);

  it("a compacting save: a cut while files move loses what the README says; late in the erasing of trash, nothing", async () => {
    expect(compacting.uncut.printed).toContain("saved true");
    const tail = tailStart(compacting);
    const seen: Record<string, number[]> = {};
    for (const n of samplePoints(compacting, 12)) {
      const r = await cutAt(compacting, n);
      const loss = stockLoss(r);
      (seen[loss] = seen[loss] || []).push(n);
      // deep in the tail, where the pages erased held only trash, a cut loses nothing
      if (n > (tail + compacting.writes) / 2 - 1) expect(loss, `cut ${n}`).toBe("none");
    }
    console.log(`stock compacting save, ${compacting.writes} writes (tail from ${tail}): ${JSON.stringify(seen)}`);
    expect(Object.keys(seen).filter((k) => k.startsWith("other"))).toEqual([]);
    // the losses measured on 2v29 (the README's list), each at least once in the sample
    expect(seen["wiped"] || []).not.toEqual([]);
    expect(seen["config damaged, the rest lost"] || []).not.toEqual([]);
    expect(seen[".bootcde and the token lost"] || []).not.toEqual([]);
  }, 600000);
});

describe.skipIf(!CODEPAIR)("power cuts in a token save on the codepair image", () => {
  let plain: Scene;
  let compacting: Scene;
  beforeAll(async () => {
    plain = await makeScene(CODEPAIR!, false);
    compacting = await makeScene(CODEPAIR!, true);
  }, 300000);
  afterAll(() => {
    if (plain) removeScene(plain);
    if (compacting) removeScene(compacting);
  });

  it("a save that does not compact: every cut leaves every file and a record", async () => {
    expect(plain.uncut.printed).toContain("saved true");
    for (let n = 1; n <= plain.writes; n++) {
      const r = await cutAt(plain, n);
      expect(isClean(r), JSON.stringify(r)).toBe(true);
    }
  }, 300000);

  it("a compacting save: no cut loses or damages a file, and the firmware comes up paired", async () => {
    expect(compacting.uncut.printed).toContain("saved true");
    const points = samplePoints(compacting, 12);
    const results: CutResult[] = [];
    for (const n of points) {
      // the firmware booted from Storage at a few points: the first, the moving phase's middle, the last
      const paired = n === points[0] || n === points[Math.floor(points.length / 2)] || n === points[points.length - 1];
      results.push(await cutAt(compacting, n, { paired }));
    }
    expect(results.filter((r) => !isClean(r))).toEqual([]);
    expect(results.filter((r) => r.paired === true).length).toBe(3);
    // the cut before the first write leaves the acknowledged record; no cut leaves a record other than the two
    expect(results[0].token).toBe("previous");
    expect(results.every((r) => r.token === "previous" || r.token === "new")).toBe(true);
  }, 600000);
});

describe.skipIf(!ESPRUINO)("the firmware compacts a near-full Storage at boot, on the interpreter", () => {
  it("shows Keep power on, compacts before WiFi, and leaves no trash", async () => {
    // trash up to 50 KB from the end (less than an eighth of Storage free), then the firmware
    const prelude =
      'var S=require("Storage");S.write("junk","x",0,S.getFree()-32-50000);S.erase("junk");' +
      'setTimeout(function(){print("STATS "+JSON.stringify(S.getStats()));},4000);\n';
    const lines = await runFlashed(SCENE_CONFIG, (l) => l.startsWith("STATS "), 30000, prelude);
    const screens = lines.map((l) => screenOf(l)).filter((s) => s !== undefined).map((s) => s!.screen);
    expect(screens.slice(0, 3)).toEqual(["splash", "compacting", "wifi"]);
    const stats = JSON.parse(lines.find((l) => l.startsWith("STATS "))!.slice(6));
    expect(stats.trashBytes).toBe(0);
    expect(stats.freeBytes).toBeGreaterThan(stats.totalBytes / 2);
  }, 60000);
});
