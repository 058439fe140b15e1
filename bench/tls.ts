// Heap used by one TLS connection, measured on the codepair kind of the interpreter
// ($ESPRUINO_CODEPAIR), beside the heap the ESP32 image leaves free.
//
// How: on the ESP32 mbedTLS allocates from the system heap, apart from the JsVars; the
// ESP32-like builds do the same through a counting allocator with a limit
// (tools/espruino/patches/common/0004: ESPR_TLS_HEAP_LIMIT, which the environment variable of
// that name overrides). One HTTPS GET to an edge on loopback (ECDHE-RSA, an RSA 2048
// certificate from a test CA, TLS 1.2) is made with limits found by bisection: the smallest
// limit with which the reply arrives is the connection's peak heap, in bytes (mbedTLS's own
// allocations: record buffers, handshake, parsed certificates; malloc's overhead not counted).
// Done with no `ca`, with `ca` the test CA, and with the test CA and the default roots
// (tools/trust-roots.mjs). The ESP32's figures: 2v29 leaves 40000 bytes of heap free at boot,
// the codepair image 110000 (patches/codepair/0017), 40000 of them for ESP-IDF's WiFi and lwIP.
//
//   ESPRUINO_CODEPAIR=/path/to/run npx tsx bench/tls.ts
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startEdge } from "../host-sim/providers/edge.ts";
import { issueServerCert, makeTestCa } from "../host-sim/tls-certs.ts";
import { trustRootsBase64 } from "../tools/trust-roots.mjs";
import { ESPRUINO_CODEPAIR, runLive } from "../test/support/espruino.ts";

const ESP32_FREE = { stock: 40000, codepair: 110000 };

function program(port: number, caBase64: string): string {
  return `
var opts = { host: "localhost", port: ${port}, path: "/", method: "GET", protocol: "https:" };
if (${JSON.stringify(caBase64)}) opts.ca = atob(${JSON.stringify(caBase64)});
try {
  var req = require("http").request(opts, function (res) { print("RESULT ok"); });
  req.on("error", function (e) { print("RESULT error " + e.code); });
  req.end();
} catch (e) { print("RESULT thrown " + e.message); }
`;
}

export async function tlsBench(): Promise<void> {
  console.log("== TLS: heap for one connection");
  if (!ESPRUINO_CODEPAIR) {
    console.log("skipped: set ESPRUINO_CODEPAIR to the codepair kind (npm run espruino -- SOURCE codepair)");
    return;
  }
  const ca = makeTestCa("bench CA");
  const cert = issueServerCert(ca, ["localhost"]);
  const backend = http.createServer((req, res) => res.end("{}"));
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
  const edge = await startEdge({ host: "localhost", key: cert.key, cert: cert.cert, backendPort: (backend.address() as AddressInfo).port });
  const works = async (caBase64: string, limit: number): Promise<boolean> => {
    process.env.ESPR_TLS_HEAP_LIMIT = String(limit);
    const lines = await runLive(program(edge.port, caBase64), {}, (l) => l.startsWith("RESULT"), 60000, "", ESPRUINO_CODEPAIR);
    delete process.env.ESPR_TLS_HEAP_LIMIT;
    return lines.some((l) => l === "RESULT ok");
  };
  const testCa = Buffer.from(ca.der, "latin1");
  const sets: [string, string][] = [
    ["no ca (nothing verified)", ""],
    ["ca: the test CA", testCa.toString("base64")],
    ["ca: test CA + default roots", Buffer.concat([testCa, Buffer.from(trustRootsBase64(), "base64")]).toString("base64")],
  ];
  try {
    for (const [label, b64] of sets) {
      let lo = 1000; // fails
      let hi = 200000; // works
      if (!(await works(b64, hi))) {
        console.log(`${label.padEnd(30)} no reply even with ${hi} bytes`);
        continue;
      }
      while (hi - lo > 256) {
        const mid = Math.round((lo + hi) / 2);
        if (await works(b64, mid)) hi = mid;
        else lo = mid;
      }
      console.log(`${label.padEnd(30)} ${hi} bytes of heap at the peak (±256)`);
    }
    console.log(`ESP32 heap left free at boot: ${ESP32_FREE.stock} bytes on 2v29 (WiFi and lwIP included), ${ESP32_FREE.codepair} on the codepair image (${ESP32_FREE.codepair - ESP32_FREE.stock} of them for mbedTLS)`);
  } finally {
    await edge.close();
    backend.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  tlsBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
