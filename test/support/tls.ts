// A TLS test bench: two CAs made at run time, a plain HTTP server that records what reaches it,
// and edges in front of it (host "localhost"): one with an RSA certificate from the first CA,
// one with an ECDSA certificate from it, and one whose certificate (same CA) is for another
// host name. Tests assert on what the edges and the server saw.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startEdge, type Edge } from "../../host-sim/providers/edge.ts";
import { issueServerCert, makeTestCa, type TestCa } from "../../host-sim/tls-certs.ts";

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TlsBench {
  /** the CA that signed the edges' certificates, and an unrelated one */
  ca: TestCa;
  other: TestCa;
  rsa: Edge;
  ecdsa: Edge;
  /** a certificate from `ca` for "other.example", served to "localhost" */
  wrongHost: Edge;
  /** requests that reached the server behind the edges */
  seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startTlsBench(): Promise<TlsBench> {
  const ca = makeTestCa("codepair test CA");
  const other = makeTestCa("codepair other CA");
  const seen: SeenRequest[] = [];
  const backend = http.createServer((req, res) => {
    seen.push({ method: req.method || "", url: req.url || "", headers: req.headers });
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"ok":1}');
    });
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
  const backendPort = (backend.address() as AddressInfo).port;
  const edge = async (certFor: string, ec: boolean): Promise<Edge> => {
    const c = issueServerCert(ca, [certFor], { ec });
    return startEdge({ host: "localhost", key: c.key, cert: c.cert, backendPort });
  };
  const rsa = await edge("localhost", false);
  const ecdsa = await edge("localhost", true);
  const wrongHost = await edge("other.example", false);
  return {
    ca,
    other,
    rsa,
    ecdsa,
    wrongHost,
    seen,
    close: async () => {
      await Promise.all([rsa.close(), ecdsa.close(), wrongHost.close()]);
      await new Promise<void>((r) => backend.close(() => r()));
    },
  };
}

/**
 * A program for the interpreter (and the simulated board) that makes one GET over https to
 * localhost:`port` with `ca` (a JS expression, or none) and prints what happens: `env` (the
 * TLS_VERIFY marker), `status`, `body`, `error code message` (before a reply), `caught message`,
 * then `done`.
 */
export function httpsProgram(port: number, ca?: string): string {
  return `
print("env " + process.env.TLS_VERIFY);
var opts = { host: "localhost", port: ${port}, path: "/tls", method: "GET", protocol: "https:", headers: { "User-Agent": "codepair-test/1" } };
${ca ? "opts.ca = " + ca + ";" : ""}
var body = "", answered = false;
try {
  var req = require("http").request(opts, function (res) {
    answered = true;
    print("status " + res.statusCode);
    res.on("data", function (d) { body += d; });
    res.on("close", function () { print("body " + body); print("done"); });
  });
  // after a reply, an error is the server's close_notify (see firmware/net/http.ts)
  req.on("error", function (e) { if (!answered) { print("error " + e.code + " " + e.message); print("done"); } });
  req.end();
} catch (e) { print("caught " + e.message); print("done"); }
`;
}

/** A byte string as a JS expression the interpreter reads back as the same bytes. */
export function bytesLiteral(bytes: string): string {
  return 'atob("' + Buffer.from(bytes, "latin1").toString("base64") + '")';
}
