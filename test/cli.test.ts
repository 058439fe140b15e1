// `npm start`'s simulator: boots the bundle in real time and draws the panel in the terminal.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_OF, configurePanel, mockConfig, parseArgs } from "../host-sim/cli.ts";
import { Flash } from "../host-sim/storage.ts";
import { startMockProviders } from "../host-sim/providers/index.ts";
import { ROOT, writeFirmware } from "./support/firmware.ts";

const TSX = join(ROOT, "node_modules/.bin/tsx");

let bundleFile = "";

/** The CLI on a bundle of the current sources (not whatever dist/ holds). */
function runCli(args: string[]) {
  return spawnSync(TSX, ["host-sim/cli.ts", "--bundle", bundleFile, ...args], { cwd: ROOT, encoding: "utf8", timeout: 20000 });
}

/** The CLI on a terminal (a pty from util-linux's `script`): the last frame it drew, and its status. */
function runCliOnTerminal(args: string[]) {
  const quote = (a: string) => "'" + a.replace(/'/g, "'\\''") + "'";
  const command = [TSX, "host-sim/cli.ts", "--bundle", bundleFile, ...args].map(quote).join(" ");
  const run = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: ROOT, encoding: "utf8", timeout: 20000 });
  const out = run.stdout.replace(/\r\n/g, "\n");
  return { status: run.status, stdout: out, lastFrame: out.slice(out.lastIndexOf("\x1b[H\x1b[2J") + "\x1b[H\x1b[2J".length) };
}

beforeAll(async () => {
  bundleFile = await writeFirmware(mkdtempSync(join(tmpdir(), "codepair-cli-")));
});

describe("simulator CLI", () => {
  it("draws the splash in the terminal and exits when told to", () => {
    const run = runCliOnTerminal(["--exit-after", "0.3"]);
    expect(run.status).toBe(0);
    const lines = run.lastFrame.split("\n");
    // a bordered 128-column panel, 32 text rows of half blocks for 64 pixel rows
    expect(lines[0]).toBe("┌" + "─".repeat(128) + "┐");
    expect(lines[33]).toBe("└" + "─".repeat(128) + "┘");
    expect(lines.slice(1, 33).join("")).toMatch(/[▀▄█]/);
    // the web page's address and the approval page's, under the panel
    expect(lines[34]).toMatch(/^Simulator page: http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(lines[35]).toMatch(/^Approve at http:\/\/127\.0\.0\.1:\d+\/simkl\/pin$/);
    expect(run.stdout).not.toContain("Uncaught");
  });

  it("into a pipe or a file it draws no panel: the page's and the approval page's addresses, once", () => {
    const run = runCli(["--exit-after", "1"]);
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/[┌▀▄█]/);
    const lines = run.stdout.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Simulator page: http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(lines[1]).toMatch(/^Approve at http:\/\/127\.0\.0\.1:\d+\/simkl\/pin$/);
  });

  it("draws a 32-row panel with --height 32, the device configured for it", () => {
    const run = runCliOnTerminal(["--height", "32", "--exit-after", "0.2"]);
    expect(run.status).toBe(0);
    const lines = run.lastFrame.split("\n");
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
    // a device config given as --flash: what a flash image is, and where a config goes
    const config = join(mkdtempSync(join(tmpdir(), "codepair-cli-")), "device.json");
    writeFileSync(config, JSON.stringify({ wifi: { ssid: "home" }, clientId: "x" }));
    const wrong = runCli(["--flash", config, "--exit-after", "0.1"]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr.trim()).toBe(
      `codepair simulator: ${config} is not a simulator flash image (its "wifi" is not base64 text): a flash image is a JSON object of` +
        " Storage file names and their contents in base64, as --flash writes it (a new file name starts an empty flash); a device config goes with --config FILE",
    );
  });

  it("refuses unknown options and bad values with a message", () => {
    const run = runCli(["--height", "48"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--height is 64 or 32");
    expect(() => parseArgs(["--frobnicate"])).toThrow(/unknown option --frobnicate/);
    expect(() => parseArgs(["--flash"])).toThrow(/--flash needs a value/);
    expect(parseArgs(["--height", "32"]).height).toBe(32);
    expect(parseArgs([]).port).toBe(0);
    expect(parseArgs(["--port", "8080"]).port).toBe(8080);
    expect(() => parseArgs(["--port", "http"])).toThrow(/--port is a port number/);
    expect(() => parseArgs(["--port", "65536"])).toThrow(/--port is a port number/);
    expect(parseArgs(["--provider", "rfc8628"]).provider).toBe("rfc8628");
    expect(() => parseArgs(["--provider", "github"])).toThrow(/--provider is one of simkl, kinde, auth0, rfc8628/);
    // a misspelt screen would be waited for in vain
    expect(() => parseArgs(["--exit-on", "pairedd"])).toThrow(/--exit-on takes a screen's name: splash, setup, wifi, .*paired.* \(not "pairedd"\)/);
    expect(parseArgs(["--exit-on", "paired"]).exitOn).toBe("paired");
    expect(() => parseArgs(["--approve-after", "soon"])).toThrow(/--approve-after takes seconds/);
    expect(() => parseArgs(["--config", "x.json", "--approve-after", "5"])).toThrow(/with --config the provider is real/);
    expect(parseArgs(["--approve-after", "5", "--approve-as", "Bob"])).toMatchObject({ approveAfter: 5, approveAs: "Bob" });
    const help = runCli(["--help"]);
    expect(help.status).toBe(0);
    for (const o of ["--exit-after", "--bundle", "--approve-after", "--approve-as", "--exit-on", "--timeout", "--height"]) expect(help.stdout).toContain(o);
  });

  it("the README's headless example pairs by itself with --approve-after, and prints each kind of line", { timeout: 60000 }, async () => {
    const run = await new Promise<{ status: number | null; stdout: string }>((done) => {
      const child = spawn(TSX, ["host-sim/cli.ts", "--bundle", bundleFile, "--headless", "--provider", "auth0", "--exit-on", "paired", "--timeout", "50", "--approve-after", "1", "--approve-as", "Bob Example"], { cwd: ROOT });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
      child.on("exit", (status) => done({ status, stdout }));
    });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const kinds = new Set(lines.map((l) => Object.keys(l).filter((k) => k !== "t")[0]));
    expect([...kinds].sort()).toEqual(["approve", "approved", "http", "mock", "screen", "storage"]);
    const code = lines.find((l) => l.screen === "code")!;
    expect(lines).toContainEqual({ t: expect.any(Number), approved: (code.texts as string[])[0], as: "Bob Example", ok: true });
    expect(lines[lines.length - 1]).toMatchObject({ screen: "paired", texts: ["Bob Example"] });
    // the mock's own log: the device's polls, pending until approved, never too soon
    const polls = lines.filter((l) => l.mock === "auth0" && l.path === "/oauth/token").map((l) => l.outcome);
    expect(polls[polls.length - 1]).toBe("success");
    expect(polls).not.toContain("slow_down");
  });

  it("configures a generic RFC 8628 device with explicit endpoints on the mock Kinde", () => {
    expect(MOCK_OF.rfc8628).toBe("kinde");
    const config = mockConfig("rfc8628", "http://127.0.0.1:9/kinde");
    expect(config).toMatchObject({
      provider: "rfc8628",
      endpoints: { device: "http://127.0.0.1:9/kinde/oauth2/device/auth", token: "http://127.0.0.1:9/kinde/oauth2/token", userinfo: "http://127.0.0.1:9/kinde/oauth2/v2/user_profile" },
    });
    expect(config.base).toBeUndefined();
    expect(mockConfig("auth0", "http://127.0.0.1:9/auth0")).toMatchObject({ provider: "auth0", base: "http://127.0.0.1:9/auth0", audience: "https://api.example.com" });
  });
});

/** The CLI run to its end, asynchronously; `onLine` sees each stdout line as it comes. */
function runCliAsync(args: string[], onLine: (line: string) => void): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, ["host-sim/cli.ts", "--bundle", bundleFile, ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    let rest = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop()!;
      lines.forEach(onLine);
    });
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("headless mode", () => {
  it("by default pairs with the built-in mock Simkl: one JSON object a line, and exits on the state asked for", async () => {
    const run = await runCliAsync(["--headless", "--exit-on", "code", "--timeout", "20"], () => {});
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines[0].approve).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/simkl\/pin$/);
    expect(lines.filter((l) => l.screen).map((l) => l.screen)).toEqual(["splash", "wifi", "requesting", "code"]);
    const start = lines.find((l) => l.http);
    expect(start).toMatchObject({ http: "GET", status: 200 });
    expect(start.url).toMatch(/\/simkl\/oauth\/pin\?client_id=codepair-sim&app-name=codepair&app-version=/);
    expect(lines.find((l) => l.screen === "code").texts[0]).toMatch(/^[A-Z0-9]{5}$/);
  }, 30000);

  it("--config: the device config's endpoints; approved from outside; storage writes by name; no secret in the output", async () => {
    const mock = await startMockProviders({ interval: 1 });
    try {
      const dir = mkdtempSync(join(tmpdir(), "codepair-cli-"));
      const file = join(dir, "device.json");
      const config = { wifi: { ssid: "home", password: "wifi-secret-password" }, provider: "auth0", clientId: "cid", base: mock.base("auth0"), audience: "https://api" };
      writeFileSync(file, JSON.stringify(config));
      const run = await runCliAsync(["--headless", "--config", file, "--exit-on", "paired", "--timeout", "25"], (line) => {
        const o = JSON.parse(line);
        if (o.screen === "code") mock.provider("auth0").approve(o.texts[0], { who: "Headless Person" });
      });
      expect(run.status).toBe(0);
      const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines.filter((l) => l.screen).map((l) => l.screen)).toEqual(["splash", "wifi", "requesting", "code", "approved", "paired"]);
      expect(lines[lines.length - 1]).toMatchObject({ screen: "paired", texts: ["Headless Person"] });
      // the token as soon as it came, then the record again with the account's name
      // (two slots, taken in turn)
      const write = (file: string) => expect.objectContaining({ storage: "write", file });
      expect(lines.filter((l) => l.storage)).toEqual([write("codepair.tok0"), write("codepair.tok1")]);
      expect(Object.keys(lines.find((l) => l.storage)).sort()).toEqual(["file", "storage", "t"]);
      const http = lines.filter((l) => l.http).map((l) => [l.http, l.url.replace(mock.base("auth0"), ""), l.status]);
      expect(http[0]).toEqual(["POST", "/oauth/device/code", 200]);
      expect(http[http.length - 1]).toEqual(["GET", "/userinfo", 200]);
      expect(http.slice(1, -1).every((h) => h[1] === "/oauth/token")).toBe(true);
      const secrets = ["wifi-secret-password", ...mock.provider("auth0").tokens().map((t) => t.value), ...mock.provider("auth0").codes().map((c) => c.deviceCode)];
      for (const s of secrets) expect(run.stdout + run.stderr).not.toContain(s);
    } finally {
      await mock.close();
    }
  }, 40000);

  it("--provider rfc8628 runs the device as a generic RFC 8628 client to its code", async () => {
    const run = await runCliAsync(["--headless", "--provider", "rfc8628", "--exit-on", "code", "--timeout", "20"], () => {});
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines[0].approve).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/kinde\/device$/);
    const start = lines.find((l) => l.http);
    expect(start).toMatchObject({ http: "POST", status: 200 });
    expect(start.url).toMatch(/\/kinde\/oauth2\/device\/auth$/);
    expect(lines.find((l) => l.screen === "code").texts[0]).toMatch(/^[A-Z0-9]{8}$/);
  }, 30000);

  it("exits with status 1 when the state waited for does not come in time", async () => {
    const run = await runCliAsync(["--headless", "--exit-on", "paired", "--timeout", "4"], () => {});
    expect(run.status).toBe(1);
  }, 20000);
});
