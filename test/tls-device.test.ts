// The firmware over TLS, through an edge that behaves as the providers' (host-sim/providers/
// edge.ts) in front of the mock providers: on the simulated board in each mode, and on both
// kinds of the real interpreter. The codepair image pairs end to end with each provider; the
// stock interpreter is refused by the edge and the screen says why; a server the device must not
// trust gets no byte of application data and the screen says why; `ca` holds two certificates;
// a `ca` on an interpreter that cannot verify is a setup error.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mockConfig, screenOf } from "../host-sim/cli.ts";
import { Board } from "../host-sim/board.ts";
import type { Interpreter } from "../host-sim/http.ts";
import { startEdge, type Edge } from "../host-sim/providers/edge.ts";
import { startMockProviders, type MockProviders, type ProviderKind } from "../host-sim/providers/index.ts";
import { issueServerCert, makeTestCa, type ServerCert, type TestCa } from "../host-sim/tls-certs.ts";
import { ESPRUINO, ESPRUINO_CODEPAIR } from "./support/espruino.ts";
import { runFlashed } from "./support/firmware.ts";
import { bootDevice } from "./support/pairing.ts";

const PROVIDERS: ProviderKind[] = ["simkl", "kinde", "auth0"];

interface Setup {
  ca: TestCa;
  other: TestCa;
  /** for "localhost" from `ca`; and from `ca` for another host */
  cert: ServerCert;
  wrongCert: ServerCert;
}

interface Seen {
  screens: { screen: string; texts: string[] }[];
  lines: string[];
  edge: Edge;
  /** requests that reached the mock providers */
  requests: number;
}

/** Runs the device (`engine`) against an edge for the mock providers until `stop` says so. */
type Engine = (
  kind: Interpreter,
  provider: ProviderKind,
  opts: { ca?: string | string[]; cert: ServerCert; heapLimit?: number },
  stop: (s: { screen: string; texts: string[] }, mock: MockProviders) => boolean,
) => Promise<Seen>;

async function withEdge<T>(mock: MockProviders, cert: ServerCert, fn: (edge: Edge) => Promise<T>): Promise<{ edge: Edge; result: T }> {
  const port = Number(new URL(mock.base("simkl")).port);
  const edge = await startEdge({ host: "localhost", key: cert.key, cert: cert.cert, backendPort: port });
  try {
    return { edge, result: await fn(edge) };
  } finally {
    await edge.close();
  }
}

function configFor(provider: ProviderKind, edge: Edge, ca: string | string[] | undefined): Record<string, unknown> {
  const config: Record<string, unknown> = Object.assign({}, mockConfig(provider, edge.url + "/" + provider));
  if (ca !== undefined) config.ca = ca;
  return config;
}

/** The simulated board, in real time. */
const simulated: Engine = async (kind, provider, opts, stop) => {
  const board = new Board({ interpreter: kind });
  const mock = await startMockProviders({ now: () => board.clock.now, interval: 1 });
  const screens: Seen["screens"] = [];
  try {
    const { edge } = await withEdge(mock, opts.cert, async (edge) => {
      const device = await bootDevice(board, configFor(provider, edge, opts.ca), mock);
      let done = false;
      for (let k = 0; k < 400 && !done; k++) {
        await device.run(500);
        for (const s of device.screens.slice(screens.length)) {
          screens.push({ screen: s.screen, texts: s.texts });
          if (stop(s, mock)) done = true;
        }
      }
    });
    return { screens, lines: board.console.lines.slice(), edge, requests: mock.requests.length };
  } finally {
    board.powerOff();
    await mock.close();
  }
};

/** The real interpreter of that kind. */
const real: Engine = async (kind, provider, opts, stop) => {
  const mock = await startMockProviders({ interval: 1 });
  const screens: Seen["screens"] = [];
  // mbedTLS's heap on the ESP32-like builds (patches/common/0004), for the interpreter started here
  if (opts.heapLimit) process.env.ESPR_TLS_HEAP_LIMIT = String(opts.heapLimit);
  try {
    const { edge, result } = await withEdge(mock, opts.cert, (edge) =>
      runFlashed(
        configFor(provider, edge, opts.ca),
        (line) => {
          const s = screenOf(line);
          if (!s) return false;
          screens.push(s);
          // a little longer: the console lines that follow a screen
          return stop(s, mock) ? 500 : false;
        },
        60000,
        "",
        kind === "stock" ? ESPRUINO : ESPRUINO_CODEPAIR,
      ),
    );
    return { screens, lines: result, edge, requests: mock.requests.length };
  } finally {
    delete process.env.ESPR_TLS_HEAP_LIMIT;
    await mock.close();
  }
};

/** Approves the code when it shows; stops at `last`. */
function pairUntil(last: string): (s: { screen: string; texts: string[] }, mock: MockProviders) => boolean {
  let approved = false;
  return (s, mock) => {
    if (s.screen === "code" && !approved) {
      approved = true;
      const code = s.texts[0];
      setTimeout(() => {
        for (const p of PROVIDERS) mock.provider(p).approve(code, { who: "Edge Tester" });
      }, 1200);
    }
    return s.screen === last || s.screen === "error" || s.screen === "setup";
  };
}

const stopAt = (screen: string) => (s: { screen: string }) => s.screen === screen || s.screen === "error" || s.screen === "setup";

function cases(engine: Engine, setup: () => Setup): void {
  for (const provider of PROVIDERS) {
    it(`codepair pairs through the edge with ${provider}, the server verified against ca`, async () => {
      const t = setup();
      const seen = await engine("codepair", provider, { ca: t.ca.cert, cert: t.cert }, pairUntil("paired"));
      expect(seen.screens.map((s) => s.screen)).toEqual(["splash", "wifi", "requesting", "code", "approved", "paired"]);
      expect(seen.screens[seen.screens.length - 1].texts).toEqual(["Edge Tester"]);
      expect(seen.edge.connections.length).toBeGreaterThanOrEqual(3);
      for (const c of seen.edge.connections) expect(c).toMatchObject({ servername: "localhost", refused: false, protocol: "TLSv1.2" });
      expect(seen.lines.filter((l) => /not authenticated|Uncaught/.test(l))).toEqual([]);
    }, 90000);
  }

  it("stock: the edge refuses it, nothing reaches the provider, the screen says why; the console says the server is not authenticated", async () => {
    const t = setup();
    const seen = await engine("stock", "auth0", { cert: t.cert }, stopAt("error"));
    expect(seen.screens.map((s) => s.screen)).toEqual(["splash", "wifi", "requesting", "error"]);
    expect(seen.screens[3].texts).toEqual(["Server refused this Espruino (no server name)", "Flash the codepair image"]);
    expect(seen.edge.connections.map((c) => [c.servername, c.refused, c.appBytes])).toEqual([["mbed TLS Server 1", true, 0]]);
    expect(seen.requests).toBe(0);
    expect(seen.lines).toContain("codepair: TLS: this Espruino verifies no certificate: localhost is not authenticated (flash the codepair image)");
  }, 90000);

  it("codepair, a server certificate from another CA: not trusted, and no byte of the request is sent", async () => {
    const t = setup();
    const seen = await engine("codepair", "kinde", { ca: t.other.cert, cert: t.cert }, stopAt("error"));
    expect(seen.screens.map((s) => s.screen)).toEqual(["splash", "wifi", "requesting", "error"]);
    expect(seen.screens[3].texts).toEqual(["Server certificate not trusted", "Check ca in the config"]);
    expect(seen.edge.connections.map((c) => [c.servername, c.appBytes])).toEqual([["localhost", 0]]);
    expect(seen.requests).toBe(0);
  }, 90000);

  it("codepair, a trusted certificate for another host: refused, and no byte of the request is sent", async () => {
    const t = setup();
    const seen = await engine("codepair", "simkl", { ca: t.ca.cert, cert: t.wrongCert }, stopAt("error"));
    expect(seen.screens[seen.screens.length - 1].texts).toEqual(["Certificate is for another host", "Check the URL and ca"]);
    expect(seen.edge.connections.map((c) => c.appBytes)).toEqual([0]);
    expect(seen.requests).toBe(0);
  }, 90000);

  it("codepair without ca trusts the default roots only: a test CA's server is not trusted", async () => {
    const t = setup();
    const seen = await engine("codepair", "simkl", { cert: t.cert }, stopAt("error"));
    expect(seen.screens[seen.screens.length - 1].texts).toEqual(["Server certificate not trusted", "Check ca in the config"]);
    expect(seen.edge.connections.map((c) => c.appBytes)).toEqual([0]);
    expect(seen.requests).toBe(0);
  }, 90000);

  it("codepair, ca with two certificates works with either: one PEM text (right one second) and a list (right one first)", async () => {
    const t = setup();
    for (const ca of [t.other.cert + t.ca.cert, [t.ca.cert, t.other.cert]]) {
      const seen = await engine("codepair", "auth0", { ca, cert: t.cert }, stopAt("code"));
      expect(seen.screens.map((s) => s.screen)).toEqual(["splash", "wifi", "requesting", "code"]);
      expect(seen.requests).toBe(1);
    }
  }, 120000);

  it("stock with ca in the config: a setup error naming the cause, and no request", async () => {
    const t = setup();
    const seen = await engine("stock", "simkl", { ca: t.ca.cert, cert: t.cert }, stopAt("setup"));
    expect(seen.screens.map((s) => s.screen)).toEqual(["splash", "setup"]);
    expect(seen.screens[1].texts).toEqual(["ca set, but this Espruino cannot verify"]);
    expect(seen.lines).toContain("codepair: config: ca set, but this Espruino cannot verify: flash the codepair image (README, Security notes) or remove ca");
    expect(seen.edge.connections).toEqual([]);
  }, 90000);
}

let shared: Setup | undefined;
function setup(): Setup {
  if (!shared) {
    const ca = makeTestCa("codepair device test CA");
    shared = {
      ca,
      other: makeTestCa("codepair unrelated CA"),
      cert: issueServerCert(ca, ["localhost"]),
      wrongCert: issueServerCert(ca, ["other.example"]),
    };
  }
  return shared;
}

describe("the device over TLS, in the simulator", () => {
  cases(simulated, setup);
});

describe.skipIf(!ESPRUINO || !ESPRUINO_CODEPAIR)("the device over TLS, on the real interpreter", () => {
  cases(real, setup);

  it("codepair, out of memory for the handshake: a screen that says so", async () => {
    const t = setup();
    // less heap for mbedTLS than one connection's record buffers
    const seen = await real("codepair", "simkl", { ca: t.ca.cert, cert: t.cert, heapLimit: 20000 }, stopAt("error"));
    expect(seen.screens[seen.screens.length - 1].texts).toEqual(["Out of memory for a secure connection", "Press to retry"]);
    expect(seen.requests).toBe(0);
  }, 90000);
});
