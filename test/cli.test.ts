// `npm start`'s simulator: boots the bundle in real time and draws the panel in the terminal.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { configurePanel, parseArgs } from "../host-sim/cli.ts";
import { Flash } from "../host-sim/storage.ts";
import { ROOT, firmwareBundle } from "./support/firmware.ts";

const TSX = join(ROOT, "node_modules/.bin/tsx");

let bundleFile = "";

/** The CLI on a bundle of the current sources (not whatever dist/ holds). */
function runCli(args: string[]) {
  return spawnSync(TSX, ["host-sim/cli.ts", "--bundle", bundleFile, ...args], { cwd: ROOT, encoding: "utf8", timeout: 20000 });
}

beforeAll(async () => {
  bundleFile = join(mkdtempSync(join(tmpdir(), "codepair-cli-")), "firmware.js");
  writeFileSync(bundleFile, await firmwareBundle());
});

describe("simulator CLI", () => {
  it("draws the splash in the terminal and exits when told to", () => {
    const run = runCli(["--exit-after", "0.3"]);
    expect(run.status).toBe(0);
    const lines = run.stdout.split("\n");
    // a bordered 128-column panel, 32 text rows of half blocks for 64 pixel rows
    expect(lines[0]).toBe("┌" + "─".repeat(128) + "┐");
    expect(lines[33]).toBe("└" + "─".repeat(128) + "┘");
    expect(lines.slice(1, 33).join("")).toMatch(/[▀▄█]/);
    expect(run.stdout).not.toContain("Uncaught");
  });

  it("draws a 32-row panel with --height 32, the device configured for it", () => {
    const run = runCli(["--height", "32", "--exit-after", "0.2"]);
    expect(run.status).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[17]).toBe("└" + "─".repeat(128) + "┘");
    // the splash's name in the top rows, not a 64-row image folded into 32
    expect(lines.slice(1, 5).join("")).toMatch(/[▀▄█]/);
    const flash = new Flash();
    configurePanel(flash, 32);
    expect(flash.get("codepair.json")).toBe("{display:{height:32}}"); // as the device's writeJSON writes it
    flash.set("codepair.json", "{display:{address:61},button:4,}"); // with readJSON's leniency
    configurePanel(flash, 32);
    expect(flash.get("codepair.json")).toBe("{display:{address:61,height:32},button:4}");
    const untouched = new Flash();
    configurePanel(untouched, 64);
    expect(untouched.get("codepair.json")).toBeUndefined();
  });

  it("says which --flash file is not a flash image, without a stack trace", () => {
    const bad = join(mkdtempSync(join(tmpdir(), "codepair-cli-")), "flash.json");
    writeFileSync(bad, "not json");
    const run = runCli(["--flash", bad, "--exit-after", "0.1"]);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(new RegExp(`^codepair simulator: ${bad} is not a simulator flash image`));
    expect(run.stderr).not.toContain("    at ");
  });

  it("refuses unknown options and bad values with a message", () => {
    const run = runCli(["--height", "48"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--height is 64 or 32");
    expect(() => parseArgs(["--frobnicate"])).toThrow(/unknown option --frobnicate/);
    expect(() => parseArgs(["--flash"])).toThrow(/--flash needs a value/);
    expect(parseArgs(["--height", "32"]).height).toBe(32);
  });
});
