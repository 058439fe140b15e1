// `npm test`: type-check, build (with the dialect gate), then every test, with what the tests
// need found or made first, so that the README's two commands are all the set-up:
// - the real Espruino interpreter, in its two kinds: $ESPRUINO (the stock ESP32-like build, what
//   a board with the released 2v29 does) and $ESPRUINO_CODEPAIR (the same with the codepair
//   patches: the codepair image), each used if set; otherwise built (or taken from the build
//   cache) from ../shared/espruino's source when it is at hand, by tools/espruino/build.sh;
//   otherwise the real-interpreter tests are skipped, and the run says so once, with how to
//   enable them. $ESPRUINO=none skips them on purpose.
// - strace, for the power-cut tests on the interpreter (tools/powercut.ts): installed with
//   apt-get when this user is root and it is missing.
// - Chromium for the page test: $CHROMIUM or /usr/bin/chromium; installed with apt-get when
//   this user is root and it is missing, else the one command to run is named.
// Extra arguments go to vitest (`npm test -- test/qr.test.ts`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** @param {string} name */
const bin = (name) => join(root, "node_modules/.bin", name);

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {import("node:child_process").SpawnSyncOptions} [opts]
 */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** @param {string} text */
function note(text) {
  process.stderr.write(`npm test: ${text}\n`);
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function ensureChromium() {
  const path = process.env.CHROMIUM || "/usr/bin/chromium";
  if (existsSync(path)) return;
  if (isRoot && spawnSync("sh", ["-c", "command -v apt-get"]).status === 0) {
    note("Chromium is missing (the page test drives it): installing Debian's chromium");
    const r = spawnSync("sh", ["-c", "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >&2"], { stdio: "inherit" });
    if (r.status === 0 && existsSync(path)) return;
  }
  note(`Chromium is missing at ${path}: the page test will fail. Install it with: sudo apt-get install chromium (or set CHROMIUM to a Chromium binary)`);
}

function ensureStrace() {
  if (spawnSync("sh", ["-c", "command -v strace"]).status === 0) return;
  if (isRoot && spawnSync("sh", ["-c", "command -v apt-get"]).status === 0) {
    note("strace is missing (the power-cut tests stop the interpreter with it): installing Debian's strace");
    spawnSync("sh", ["-c", "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends strace) >&2"], { stdio: "inherit" });
    if (spawnSync("sh", ["-c", "command -v strace"]).status === 0) return;
  }
  note("strace is missing: the power-cut tests will fail. Install it with: sudo apt-get install strace");
}

/**
 * The interpreters by kind (esp32like, codepair): the ones given, the others built.
 * @returns {Record<string, string | undefined>}
 */
function ensureEspruino() {
  /** @type {Record<string, string | undefined>} */
  const given = { esp32like: process.env.ESPRUINO, codepair: process.env.ESPRUINO_CODEPAIR };
  if (given.esp32like === "none") return {};
  const missing = Object.keys(given).filter((k) => !given[k]);
  if (!missing.length) return given;
  const source = process.env.ESPRUINO_SOURCE || join(root, "../shared/espruino/espruino-2v29-src.tar.xz");
  if (!existsSync(source)) return given;
  note(`building (or reusing) the ESP32-like Espruino interpreter (${missing.join(", ")}) from ${source}`);
  const args = [join(root, "tools/espruino/build.sh"), source, ...missing];
  if (isRoot) args.push("--install-deps");
  const r = spawnSync("bash", args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  if (r.status !== 0) {
    note("the interpreter could not be built (see above): the real-interpreter tests are skipped");
    return given;
  }
  const built = { ...given };
  for (const line of r.stdout.trim().split("\n")) {
    const [kind, path] = line.split(" ");
    if (kind in built && !built[kind]) built[kind] = path;
  }
  return built;
}

run(process.execPath, [bin("tsc"), "-p", "firmware/tsconfig.json"]);
run(process.execPath, [bin("tsc"), "-p", "tsconfig.json"]);
run(process.execPath, ["build.mjs"]);
ensureChromium();
const espruino = ensureEspruino();
if (espruino.esp32like || espruino.codepair) ensureStrace();
const env = { ...process.env };
for (const [kind, name] of [["esp32like", "ESPRUINO"], ["codepair", "ESPRUINO_CODEPAIR"]]) {
  if (espruino[kind]) {
    env[name] = espruino[kind];
    note(`real-interpreter tests (${kind}) run on ${espruino[kind]}`);
  } else {
    delete env[name];
  }
}
run(process.execPath, [bin("vitest"), "run", ...process.argv.slice(2)], { env });
