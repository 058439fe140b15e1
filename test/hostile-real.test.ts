// Issue 19 items 1, 2 and 6 on the real interpreter ($ESPRUINO): firmware/net/http.ts against
// the hostile server. A head of 150 header lines of 1000 bytes ran 2v29's http client out of
// memory (OUT OF MEMORY, then "Execution Interrupted" for ever); each request it gave up on
// left its socket open and ~166 JsVars in use. Here: the head is refused at MAX_HEAD bytes, a
// request given up on is closed, and free JsVars come back to where they were.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFirmware } from "../build.mjs";
import { LIMITS } from "../firmware/pairing/profile.ts";
import { ESPRUINO, runLive } from "./support/espruino.ts";
import { hugeHead, startHostileServer, type HostileServer } from "./support/hostile-server.ts";

describe.skipIf(!ESPRUINO)("hostile replies on the real interpreter", () => {
  let server: HostileServer;
  let code = "";
  beforeAll(async () => {
    server = await startHostileServer({
      answer: (_e, _n, seen) => {
        if (seen.path.endsWith("?silent")) return { hold: true };
        if (seen.path.endsWith("?huge")) return { raw: hugeHead() };
        if (seen.path.endsWith("?retry")) return { status: 503, json: {}, headers: [["Retry-After", "9".repeat(70)]] };
        return undefined;
      },
    });
    const out = await bundleFirmware({ entry: "test/fixtures/hostile/net-entry.ts" });
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    code = out.code;
  });
  afterAll(async () => {
    await server.close();
  });

  it("time-outs close their sockets and a huge head is refused; free JsVars come back; a 70-digit Retry-After is a bounded wait", async () => {
    const lines = await runLive(code, {}, (line) => line === "DONE", 60000, `require("Storage").writeJSON("net.json", ${JSON.stringify({ port: server.port })});\n`);
    expect(lines.filter((l) => /OUT OF MEMORY|Uncaught|Interrupted|LOW_MEMORY/.test(l))).toEqual([]);
    const reply = (tag: string) => JSON.parse(lines.find((l) => l.startsWith("REPLY " + tag + " "))!.slice(("REPLY " + tag + " ").length));
    expect(reply("ok")).toMatchObject({ status: 200, body: { ok: true, members: { device_code: "dc-1" } } });
    expect(reply("silent")).toEqual({ status: 0, error: "timeout", retryAfter: -1, body: null });
    expect(reply("huge")).toEqual({ status: 0, error: "bad reply", retryAfter: -1, body: null });
    const mem = (tag: string) => lines.find((l) => l.startsWith("MEM " + tag + " "))!.split(" ").slice(2).map(Number);
    for (const tag of ["ok", "silent", "huge"]) {
      const [before, after] = mem(tag);
      // a few JsVars either way (the interpreter's own bookkeeping), never ~166 a request
      expect(Math.abs(after - before), tag + ": " + before + " -> " + after).toBeLessThanOrEqual(20);
    }
    // the server saw every socket of the 12 time-outs closed by the device
    expect(server.open()).toBe(0);
    expect(server.seen.filter((s) => s.path.endsWith("?silent")).length).toBe(12);
    expect(lines).toContain("WAIT 503 999999999 " + LIMITS.maxWait * 1000);
  }, 90000);
});
