// The bundle on the real interpreter (when $ESPRUINO names one) pairs with the mock Simkl and
// the mock Auth0 over real sockets on loopback: its http client, its JSON, its timers. The
// Linux build has no WiFi: a stand-in module that reports "connected" is put in front.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockConfig } from "../host-sim/cli.ts";
import { startMockProviders, type MockProviders, type ProviderKind } from "../host-sim/providers/index.ts";
import { ESPRUINO } from "./support/espruino.ts";
import { firmwareBundle } from "./support/firmware.ts";

const WIFI = 'Modules.addCached("Wifi", "exports.connect=function(s,o,cb){setTimeout(function(){cb(null);},10);};exports.on=function(){};");\n';

interface Run {
  lines: string[];
  screens: { screen: string; texts: string[] }[];
}

/** Runs the bundle with `config` until `stop` says so (or 30 s); `onScreen` sees each screen line. */
function runDevice(code: string, config: object, onScreen: (s: { screen: string; texts: string[] }, run: Run) => boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "codepair-real-"));
  const file = join(dir, "device.js");
  writeFileSync(file, WIFI + `require("Storage").writeJSON("codepair.json", ${JSON.stringify(config)});\n` + code, "latin1");
  const child = spawn(ESPRUINO!, [file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const run: Run = { lines: [], screens: [] };
  return new Promise((resolve) => {
    let rest = "";
    const timer = setTimeout(() => child.kill(), 30000);
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (chunk: string) => {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const raw of parts) {
        const line = raw.replace(/\r/g, "").replace(/\x1b\[J/g, "").replace(/^>+/, "");
        run.lines.push(line);
        if (line.startsWith('{"screen"')) {
          const s = JSON.parse(line);
          run.screens.push(s);
          if (onScreen(s, run)) child.kill();
        }
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve(run);
    });
  });
}

describe.skipIf(!ESPRUINO)("pairing on the real interpreter", () => {
  let mock: MockProviders;
  let code = "";
  beforeAll(async () => {
    mock = await startMockProviders({ interval: 1 });
    code = await firmwareBundle();
  });
  afterAll(async () => {
    await mock.close();
  });

  for (const kind of ["simkl", "auth0"] as ProviderKind[]) {
    it(`${kind}: code on screen, approved, token kept, account shown; no poll after success`, async () => {
      const from = mock.requests.length;
      const run = await runDevice(code, mockConfig(kind, mock.base(kind)), (s) => {
        if (s.screen === "code") setTimeout(() => mock.provider(kind).approve(s.texts[0], { who: "Real Interpreter" }), 1500);
        return s.screen === "paired";
      });
      expect(run.lines.filter((l) => /Uncaught|Error/.test(l))).toEqual([]);
      expect(run.screens.map((s) => s.screen)).toEqual(["splash", "wifi", "requesting", "code", "approved", "paired"]);
      expect(run.screens[run.screens.length - 1].texts).toEqual(["Real Interpreter"]);
      const mine = mock.requests.slice(from).filter((r) => r.provider === kind);
      const polls = mine.filter((r) => r.endpoint === "poll");
      expect(polls.length).toBeGreaterThanOrEqual(2);
      expect(polls[polls.length - 1].outcome).toBe("success");
      // one interval (1 s here) at least between polls, and none sooner than that after the code
      for (let k = 1; k < polls.length; k++) expect(polls[k].at - polls[k - 1].at).toBeGreaterThanOrEqual(1000);
      expect(mine.map((r) => r.endpoint)).toEqual(["start", ...polls.map(() => "poll"), "userinfo"]);
    }, 40000);
  }
});
