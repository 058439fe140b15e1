// The bundle on the real interpreter (when $ESPRUINO names one), flashed as the flash tool
// leaves it, pairs with the mock Simkl and the mock Auth0 over real sockets on loopback: its
// http client, its JSON, its timers. The Linux build has no WiFi: a stand-in module that joins
// at once is put in front.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockConfig, screenOf } from "../host-sim/cli.ts";
import { startMockProviders, type MockProviders, type ProviderKind } from "../host-sim/providers/index.ts";
import { ESPRUINO } from "./support/espruino.ts";
import { runFlashed } from "./support/firmware.ts";

interface Run {
  lines: string[];
  screens: { screen: string; texts: string[] }[];
}

/** Runs the firmware, flashed, with `config` until `onScreen` says stop (see runLive); it sees each screen line. */
async function runDevice(config: object, onScreen: (s: { screen: string; texts: string[] }) => boolean | number, prelude = ""): Promise<Run> {
  const screens: Run["screens"] = [];
  const lines = await runFlashed(
    config,
    (line) => {
      const s = screenOf(line);
      if (!s) return false;
      screens.push(s);
      return onScreen(s);
    },
    30000,
    prelude,
  );
  return { lines, screens };
}

/** Every 200 ms, the modules require() holds: `CACHED name,name`. */
const CACHED = 'setInterval(function () { print("CACHED " + Modules.getCached().join(",")); }, 200);\n';

describe.skipIf(!ESPRUINO)("pairing on the real interpreter", () => {
  let mock: MockProviders;
  beforeAll(async () => {
    mock = await startMockProviders({ interval: 1 });
  });
  afterAll(async () => {
    await mock.close();
  });

  for (const kind of ["simkl", "auth0"] as ProviderKind[]) {
    it(`${kind}: code on screen, approved, token kept, account shown; no poll after success`, async () => {
      const from = mock.requests.length;
      const run = await runDevice(
        mockConfig(kind, mock.base(kind)),
        (s) => {
          if (s.screen === "code") setTimeout(() => mock.provider(kind).approve(s.texts[0], { who: "Real Interpreter" }), 1500);
          // three more intervals after "paired": a poll left behind would show
          return s.screen === "paired" ? 3500 : false;
        },
        CACHED,
      );
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
      expect(mine.filter((r) => r.outcome === "poll_after_success")).toEqual([]);
      // the store module (config, token) is loaded for each use only: never held while the code
      // is up, nor once the token is saved
      const held: Record<string, string[]> = {};
      let screen = "";
      for (const line of run.lines) {
        const s = screenOf(line);
        if (s) screen = s.screen;
        else if (line.startsWith("CACHED ")) (held[screen] = held[screen] || []).push(line.slice(7));
      }
      expect(held.code.length).toBeGreaterThan(3);
      expect(held.paired.length).toBeGreaterThan(3);
      for (const state of Object.keys(held)) for (const names of held[state]) expect(names.split(","), state).not.toContain("codepair-store");
    }, 40000);
  }
});
