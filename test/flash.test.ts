// `npm run flash`: the config checked with the device's rules before anything is sent, and
// the upload text (what --dry-run writes) putting the config and the bundle in Storage byte for
// byte: run against a fake Storage always, and against the real interpreter when $ESPRUINO names it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { crc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { checkConfig } from "../firmware/store/config.ts";
import { flashForm } from "../build.mjs";
import { CHUNK, expectedReport, uploadText } from "../tools/flash.ts";
import { ESPRUINO, cleanLine, espruinoBoard, outputLines } from "./support/espruino.ts";
import { ROOT, firmwareBundle, firmwareModules } from "./support/firmware.ts";
import { WIFI_SLOTS } from "../firmware/store/wifi.ts";

const TSX = join(ROOT, "node_modules/.bin/tsx");
const PASSWORD = "Tr0ub4dor&3-wifi";
const GOOD = {
  wifi: { ssid: "Café ☕ net", password: PASSWORD },
  provider: "auth0",
  clientId: "client-1",
  base: "https://tenant.example.com",
  display: { height: 32, address: 0x3d },
  button: { pin: 27, longPress: 2000 },
};

let dir = "";
let goodConfig = "";
/** the current firmware, built from the sources: the bytes Storage is to hold (its flash form) */
let firmware: Buffer;
let firmwareFile = "";
/** the firmware's Storage modules (their flash form), written beside the bundles as build.mjs writes them (text) */
let modules: Record<string, Buffer> = {};
/** a bundle whose flash form holds every byte value, the ones a console or a JS string could trip on among them, and a length that fills no chunk */
let allBytes: Buffer;
let allBytesFile = "";

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function flash(args: string[], env?: NodeJS.ProcessEnv) {
  const run = spawnSync(TSX, ["tools/flash.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 60000, env: env || process.env });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, all: run.stdout + run.stderr };
}

/** A dry run of `config` with `bundle`: the tool's run and the text it wrote. */
function dryRun(config: string, bundleFile: string, name: string) {
  const out = join(dir, name);
  const run = flash(["--config", config, "--bundle", bundleFile, "--dry-run", out]);
  return { run, out, text: existsSync(out) ? readFileSync(out, "latin1") : "" };
}

/** The stored bytes of codepair.json for a config: compact JSON, UTF-8. */
function storedConfig(config: object): Buffer {
  return Buffer.from(JSON.stringify(config), "utf8");
}

interface Evaluated {
  files: Map<string, Buffer>;
  calls: string[];
  printed: string[];
}

/**
 * Runs an upload text against a fake Storage with Espruino's rules for write(name, data,
 * offset, size): size makes a new file of that size, erased (0xFF); a write at an offset goes
 * into the file as it is and only onto erased bytes; data is bytes (no character above 255).
 */
function evaluate(text: string): Evaluated {
  const files = new Map<string, Buffer>();
  const calls: string[] = [];
  const printed: string[] = [];
  const bytes = (s: string): Buffer => {
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) throw new Error("not a byte string");
    return Buffer.from(s, "latin1");
  };
  const Storage = {
    write(name: string, data: string, offset?: number, size?: number) {
      calls.push("write " + name);
      const d = bytes(data);
      if (offset === undefined) {
        files.set(name, d);
        return true;
      }
      if (size !== undefined) files.set(name, Buffer.alloc(size, 0xff));
      const f = files.get(name);
      if (!f) throw new Error("write at an offset into no file: " + name);
      if (offset + d.length > f.length) throw new Error("write past the end of " + name);
      if (f.subarray(offset, offset + d.length).some((b) => b !== 0xff)) throw new Error("write onto written flash in " + name);
      d.copy(f, offset);
      return true;
    },
    read(name: string) {
      const f = files.get(name);
      return f ? f.toString("latin1") : undefined;
    },
    erase(name: string) {
      files.delete(name);
    },
  };
  runInNewContext(text, {
    require: (m: string) => {
      if (m !== "Storage") throw new Error("module " + m);
      return Storage;
    },
    atob: (s: string) => Buffer.from(s, "base64").toString("latin1"),
    E: { CRC32: (s: string) => crc32(bytes(s)) },
    print: (...a: unknown[]) => printed.push(a.join(" ")),
    process: { env: { BOARD: "ESP32", VERSION: "2v29" } },
    reset: () => calls.push("reset"),
    load: () => calls.push("load"),
  });
  return { files, calls, printed };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "codepair-flash-test-"));
  goodConfig = file("device.json", JSON.stringify(GOOD, null, 2));
  // as build.mjs writes dist/firmware.js; Storage is to hold its flash form
  const text = await firmwareBundle();
  firmwareFile = file("firmware.js", text);
  firmware = flashForm(text);
  const built = await firmwareModules();
  for (const name of Object.keys(built)) {
    file(name + ".js", built[name]);
    modules[name] = flashForm(built[name]);
  }
  // code whose flash form holds every byte value: a literal's raw string (the quotes a
  // console or a JS string could trip on among them, and a length that fills no chunk)
  const parts: number[] = [];
  for (let round = 0; round < 9; round++) for (let b = 0; b < 256; b++) parts.push(round % 2 ? 255 - b : b);
  for (const c of '\r\n\x10\x1b\x03"\'\\`${}</script>\n\r') parts.push(c.charCodeAt(0));
  const allText = "var s=" + JSON.stringify(Buffer.from(parts).toString("latin1")).replace(/[\x7f-\xff]/g, (c) => "\\x" + c.charCodeAt(0).toString(16)) + ";\n";
  allBytes = flashForm(allText);
  for (let b = 0; b < 256; b++) expect(allBytes.includes(b)).toBe(true);
  allBytesFile = file("all-bytes.js", allText);
});

describe("flash: the config is checked before anything is written", () => {
  it("refuses a config with problems, lists every one, and writes nothing", () => {
    const bad = { wifi: { ssid: "net", password: "short" }, provider: "auth0", display: { address: 0x3e }, button: { pin: "x" } };
    const problems = checkConfig(bad).problems;
    expect(problems.length).toBeGreaterThanOrEqual(4);
    const { run, out } = dryRun(file("bad.json", JSON.stringify(bad)), firmwareFile, "bad-out.js");
    expect(run.status).toBe(1);
    for (const p of problems) expect(run.stderr).toContain("  - " + p);
    expect(run.stderr).toContain("nothing sent");
    expect(existsSync(out)).toBe(false);
    expect(run.stdout).not.toContain("dry run");
  });

  it("refuses a file that is not JSON without quoting it (it may hold the password)", () => {
    const { run, out } = dryRun(file("broken.json", `{"wifi":{"ssid":"net","password":"${PASSWORD}" x}}`), firmwareFile, "broken-out.js");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/not valid JSON \(line 1, column \d+\)/);
    expect(run.all).not.toContain(PASSWORD);
    expect(existsSync(out)).toBe(false);
  });

  it("warns of unknown fields and goes on, naming the field a typo is close to", () => {
    const config = file("typo.json", JSON.stringify({ ...GOOD, wifi: { ssid: GOOD.wifi.ssid, pasword: PASSWORD }, colour: "red" }));
    const { run, text } = dryRun(config, firmwareFile, "typo-out.js");
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("unknown field wifi.pasword (the device ignores it; did you mean wifi.password?: without it the network is taken for an open one)");
    expect(run.stderr).toContain("unknown field colour (the device ignores it)");
    expect(text).toContain('require("Storage").write(".bootcde"');
    // no wifi.password: the tool does not say the file holds one
    expect(run.stdout).toContain("the config gives no wifi.password: the device takes the network for an open one; owner-only");
    expect(run.stdout).not.toContain("holds the WiFi password");
    const good = dryRun(goodConfig, firmwareFile, "good-out.js");
    expect(good.run.stdout).toContain("it holds the WiFi password, base64-encoded; owner-only");
  });

  it("needs --port unless it is a dry run, and a bundle", () => {
    const noPort = flash(["--config", goodConfig, "--bundle", firmwareFile]);
    expect(noPort.status).toBe(2);
    expect(noPort.stderr).toContain("--port PATH is required");
    const noBundle = flash(["--config", goodConfig, "--bundle", join(dir, "none.js"), "--dry-run", join(dir, "none-out.js")]);
    expect(noBundle.status).toBe(1);
    expect(noBundle.stderr).toContain("not found");
    expect(existsSync(join(dir, "none-out.js"))).toBe(false);
  });
});

describe("flash --dry-run: what would be sent", () => {
  it("is the tool's upload text, as the espruino CLI passes it on, and never shows the WiFi password", () => {
    const { run, text } = dryRun(goodConfig, firmwareFile, "good-out.js");
    expect(run.status).toBe(0);
    // the CLI (its -o) changed nothing: no minification, module code, reset or clock of its own
    expect(text).toBe(uploadText(storedConfig(GOOD), firmware, modules, true));
    expect(text.split("\n")[0]).toBe("reset();");
    expect(run.stdout).toContain('WiFi "Café ☕ net" (password set)');
    expect(run.all).not.toContain(PASSWORD);
    expect(run.all).not.toMatch(/[A-Za-z0-9+\/]{40,}/); // nor the config's base64
    // every line a statement of its own, ASCII only: nothing for the console to mangle
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(text.split("\n").every((l) => l.length <= 1200)).toBe(true);
  });

  it("puts the config and the bundle in Storage byte for byte, then starts codepair", () => {
    for (const [bundle, bundleFile] of [
      [firmware, firmwareFile],
      [allBytes, allBytesFile],
    ] as const) {
      const { run, text } = dryRun(goodConfig, bundleFile, "eval-out.js");
      expect(run.status).toBe(0);
      const result = evaluate(text);
      expect(result.files.get(".bootcde")!.equals(bundle)).toBe(true);
      expect(Object.keys(modules).length).toBeGreaterThan(0);
      for (const name of Object.keys(modules)) expect(result.files.get(name)!.equals(modules[name])).toBe(true);
      const stored = result.files.get("codepair.json")!;
      expect(stored.equals(storedConfig(GOOD))).toBe(true);
      // the device's readJSON takes the bytes as they are: the SSID as its UTF-8 bytes
      expect(JSON.parse(stored.toString("latin1")).wifi.ssid).toBe(Buffer.from(GOOD.wifi.ssid, "utf8").toString("latin1"));
      expect(result.calls[0]).toBe("reset");
      expect(result.calls[result.calls.length - 1]).toBe("load");
      expect(result.calls.filter((c) => c === "write .bootcde").length).toBe(Math.ceil(bundle.length / CHUNK));
      expect(result.printed).toEqual(["ESP32 2v29", "codepair-flash " + expectedReport(stored, bundle, modules)]);
    }
  });

  it("does not start codepair when Storage does not hold what was sent", () => {
    const { text } = dryRun(goodConfig, allBytesFile, "tamper-out.js");
    const lines = text.split("\n");
    const i = lines.findIndex((l) => l.startsWith('require("Storage").write(".bootcde"'));
    const at = lines[i].indexOf('atob("') + 6;
    lines[i] = lines[i].slice(0, at) + (lines[i][at] === "A" ? "B" : "A") + lines[i].slice(at + 1); // one byte changed
    const result = evaluate(lines.join("\n"));
    expect(result.calls).not.toContain("load");
    expect(result.printed[1]).toMatch(/^codepair-flash \.bootcde /);
    expect(result.printed[2]).toContain("codepair not started");
  });

  it("a config with no network: sent (the device starts WiFi set-up), and a network set up before is kept", () => {
    const makers = { provider: "simkl", clientId: "client-1" };
    const { run, text } = dryRun(file("maker.json", JSON.stringify(makers)), firmwareFile, "maker-out.js");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("config: no WiFi network: the device starts WiFi set-up from a phone");
    for (const name of WIFI_SLOTS) expect(text).not.toContain(`erase(${JSON.stringify(name)})`);
    // a config that names a network is the newer word: the network set up before goes
    const good = dryRun(goodConfig, firmwareFile, "named-out.js");
    for (const name of WIFI_SLOTS) expect(good.text).toContain(`erase(${JSON.stringify(name)})`);
  });

  it("refuses a bundle that is not JavaScript (its flash form cannot be made), and sends nothing", () => {
    const broken = mkdtempSync(join(dir, "broken-"));
    const bundleFile = join(broken, "firmware.js");
    writeFileSync(bundleFile, "var s = 'never closed;\n");
    for (const name of Object.keys(modules)) writeFileSync(join(broken, name + ".js"), "exports.x = 1;\n");
    const out = join(broken, "out.js");
    const run = flash(["--config", goodConfig, "--bundle", bundleFile, "--dry-run", out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(bundleFile + ": the flash form is made of JavaScript, and this does not parse");
    expect(run.stderr).toContain("nothing sent");
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a bundle whose modules are not beside it, and sends nothing", () => {
    const lone = mkdtempSync(join(dir, "lone-"));
    const bundleFile = join(lone, "firmware.js");
    writeFileSync(bundleFile, readFileSync(firmwareFile));
    const out = join(lone, "out.js");
    const run = flash(["--config", goodConfig, "--bundle", bundleFile, "--dry-run", out]);
    expect(run.status).toBe(1);
    for (const name of Object.keys(modules)) expect(run.stderr).toContain(`${name}.js not found`);
    expect(run.stderr).toContain("nothing sent");
    expect(existsSync(out)).toBe(false);
  });

  it("fetches nothing from the network (connections and DNS look-ups are caught and logged)", () => {
    const guard = file(
      "no-network.cjs",
      `const fs = require("fs"), net = require("net"), dns = require("dns");
const log = (what) => fs.appendFileSync(process.env.FLASH_NET_LOG, what + "\\n");
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const o = Array.isArray(args[0]) ? args[0][0] : args[0];
  const port = typeof o === "object" && o ? o.port : o;
  const local = (typeof o === "object" && o && o.path) || (typeof o === "string" && !/^\\d+$/.test(o));
  if (port !== undefined && !local) {
    log("connect " + (typeof o === "object" && o ? o.host : args[1]) + ":" + port);
    process.nextTick(() => this.destroy(new Error("network use blocked by the test")));
    return this;
  }
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function (host, ...rest) {
  log("lookup " + host);
  const cb = rest[rest.length - 1];
  process.nextTick(() => cb(Object.assign(new Error("blocked"), { code: "ENOTFOUND" })));
};
`,
    );
    const env = (logFile: string) => ({ ...process.env, FLASH_NET_LOG: logFile, NODE_OPTIONS: `${process.env.NODE_OPTIONS || ""} --require ${guard}` });

    // the guard sees what the CLI looks up: told of no built-in modules, it fetches Storage online
    const control = file("control.log", "");
    const noModules = file("no-modules.json", JSON.stringify({ info: { binary_version: "2v29" } }));
    const upload = file("upload.js", 'require("Storage").write("a","b");\n');
    const cli = join(ROOT, "node_modules/espruino/bin/espruino-cli.js");
    spawnSync(process.execPath, [cli, "--board", noModules, "--no-ble", "-o", join(dir, "control-out.js"), upload], { env: env(control), timeout: 60000 });
    expect(readFileSync(control, "utf8")).toMatch(/espruino\.com/);

    const logFile = file("dry.log", "");
    const out = join(dir, "guarded-out.js");
    const run = flash(["--config", goodConfig, "--bundle", firmwareFile, "--dry-run", out], env(logFile));
    expect(run.status).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(logFile, "utf8")).toBe("");
  });
});

/** Runs a program file on the interpreter in `cwd` (its Storage there) until `stop` says so for a line. */
function runIn(cwd: string, program: string, stop: (line: string) => boolean, limitMs = 20000): Promise<string[]> {
  return new Promise((done) => {
    const child = spawn(ESPRUINO!, [program], { cwd, stdio: ["ignore", "pipe", "ignore"] });
    let all = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (chunk: string) => {
      all += chunk;
      if (outputLines(all).some(stop)) child.kill("SIGKILL");
    });
    child.on("exit", () => {
      clearTimeout(timer);
      done(outputLines(all));
    });
  });
}

/** What the interpreter's Storage in `cwd` holds: .bootcde's bytes and the config as readJSON reads it. */
async function readBack(cwd: string): Promise<{ boot: Buffer; config: any; raw: Buffer }> {
  const program = join(cwd, "read-back.js");
  writeFileSync(
    program,
    `var S=require("Storage"),b=S.read(".bootcde")||"",c=S.read("codepair.json")||"";
for(var i=0;i<b.length;i+=600)print("BOOT "+btoa(b.substr(i,600)));
print("RAW "+btoa(c));print("JSON "+JSON.stringify(S.readJSON("codepair.json",true)));print("END");`,
  );
  const lines = await runIn(cwd, program, (l) => l === "END");
  const boot = Buffer.concat(lines.filter((l) => l.startsWith("BOOT ")).map((l) => Buffer.from(l.slice(5), "base64")));
  const raw = Buffer.from(lines.find((l) => l.startsWith("RAW "))!.slice(4), "base64");
  // Espruino writes bytes above 127 as \u00XX: parsed back, one character a byte
  const config = JSON.parse(lines.find((l) => l.startsWith("JSON "))!.slice(5));
  return { boot, config, raw };
}

describe.skipIf(!ESPRUINO)("flash on the real interpreter", () => {
  // What the board reads back from the config's UTF-8 bytes ("Café ☕ net"): the device's
  // build has no Unicode strings, so one character a byte; the plain Linux build reads them
  // as UTF-8 text. Asked of the interpreter, so the test holds on either build.
  const deviceView = () => JSON.parse(storedConfig(GOOD).toString(espruinoBoard() === "LINUX" ? "utf8" : "latin1"));

  it("the dry-run file writes both files byte for byte and boots into codepair", async () => {
    for (const [bundle, bundleFile, boots] of [
      [firmware, firmwareFile, true],
      [allBytes, allBytesFile, false],
    ] as const) {
      const { text, out } = dryRun(goodConfig, bundleFile, "real-out.js");
      expect(text).not.toBe("");
      const cwd = mkdtempSync(join(dir, "board-"));
      const report = "codepair-flash " + expectedReport(storedConfig(GOOD), bundle, modules);
      const lines = await runIn(cwd, out, (l) => (boots ? l.startsWith('{"screen":"splash"') : l === report));
      expect(lines).toContain(report);
      if (boots) expect(lines.some((l) => l.startsWith('{"screen":"splash"'))).toBe(true);
      const back = await readBack(cwd);
      expect(back.boot.equals(bundle)).toBe(true);
      expect(back.raw.equals(storedConfig(GOOD))).toBe(true);
      expect(back.config).toEqual(deviceView());
    }
  });

  it("sends through the espruino CLI to a board's console (the interpreter's REPL over TCP)", async () => {
    const cwd = mkdtempSync(join(dir, "tcp-board-"));
    // The board is up and idle at its prompt before the tool connects, as a real board is: a
    // tool's Ctrl-C arriving while the Linux build is still starting is not what a board meets.
    const board = spawn(ESPRUINO!, [], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    const consoleSeen: string[] = [];
    let boardErr = "";
    board.stdout!.on("data", (d: Buffer) => consoleSeen.push(d.toString("latin1")));
    board.stderr!.on("data", (d: Buffer) => (boardErr += d.toString("latin1")));
    const boardEnd = new Promise<string>((r) => board.on("exit", (code, signal) => r(`board exited: code ${code}, signal ${signal}; stderr ${boardErr.slice(-300)}`)));
    await new Promise<void>((ready, fail) => {
      const wait = setInterval(() => {
        if (/\n>$/.test(consoleSeen.join(""))) {
          clearInterval(wait);
          ready();
        } else if (board.exitCode !== null || board.signalCode !== null) {
          clearInterval(wait);
          fail(new Error("the board did not start: " + boardErr));
        }
      }, 50);
    });
    const server: Server = createServer((socket) => {
      board.stdout!.pipe(socket);
      socket.pipe(board.stdin!);
      socket.on("error", () => {});
      // The tool hangs up as soon as the board's report checks out, while the board is still
      // loading codepair (seconds under qemu): the board runs on until it has drawn its splash
      // (or 30 s). The interpreter outlives a SIGTERM while its console is open; its flash
      // file is written through.
      socket.on("close", () => {
        const started = Date.now();
        const stop = setInterval(() => {
          if (consoleSeen.join("").includes('{"screen":"splash"') || Date.now() - started > 30000) {
            clearInterval(stop);
            board.kill("SIGKILL");
          }
        }, 100);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const run = await new Promise<{ status: number | null; all: string }>((done) => {
      const child = spawn(TSX, ["tools/flash.ts", "--config", goodConfig, "--bundle", firmwareFile, "--port", `tcp://127.0.0.1:${port}`], { cwd: ROOT });
      let all = "";
      child.stdout.on("data", (d: Buffer) => (all += d.toString("latin1")));
      child.stderr.on("data", (d: Buffer) => (all += d.toString("latin1")));
      child.on("exit", (status) => done({ status, all }));
    });
    server.close();
    const ended = await boardEnd;
    expect(run.status, run.all + "\n" + ended).toBe(0);
    expect(run.all).toContain(`codepair.json, ${Object.keys(modules).join(", ")} and .bootcde checked`);
    expect(run.all).not.toContain(PASSWORD);
    // the board ran the text line by line and booted into codepair
    const said = consoleSeen.join("").split("\n").map(cleanLine);
    expect(said).toContain("codepair-flash " + expectedReport(storedConfig(GOOD), firmware, modules));
    expect(said.some((l) => l.startsWith('{"screen":"splash"')), said.slice(-4).join("\n")).toBe(true);
    const back = await readBack(cwd);
    expect(back.boot.equals(firmware)).toBe(true);
    expect(back.config).toEqual(deviceView());
  }, 90000);
});
