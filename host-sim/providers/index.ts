// Mock OAuth device flow providers on loopback: Simkl's PIN flow, Kinde's and Auth0's RFC 8628,
// each under its own path prefix of one node:http server, with an approval page a person (or a
// test) fills in and fault switches that damage replies the way networks and servers do.
//
//   const mock = await startMockProviders({ now: () => board.clock.now });
//   device config base: mock.base("auth0")            → http://127.0.0.1:PORT/auth0
//   a person approves:  mock.base("auth0") + "/activate"  (or mock.provider("auth0").approve(code))
//   a fault:            mock.provider("auth0").fault({ on: "poll", kind: "retry_after", status: 503 })
//                       or POST {base}/_mock/fault {"on":"poll","kind":"hold"}; POST {base}/_mock/clear

import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { auth0Dialect } from "./auth0.ts";
import { checkFault, FaultQueue } from "./faults.ts";
import type { DeviceFlow } from "./flow.ts";
import { kindeDialect } from "./kinde.ts";
import { DEFAULT_WHO } from "./pages.ts";
import { html, json, parseBody, type Ctx, type Provider, type Reply } from "./reply.ts";
import { createRfc8628 } from "./rfc8628.ts";
import { createSimkl } from "./simkl.ts";
import type { MockOptions, MockProvider, MockProviders, MockRequest, ProviderKind } from "./types.ts";

export type * from "./types.ts";

const KINDS: ProviderKind[] = ["simkl", "kinde", "auth0"];
/** Request bodies beyond this are refused with 413. */
const BODY_LIMIT = 64 * 1024;
/** The "huge" fault's body size: 1 MiB. */
export const HUGE_BYTES = 1 << 20;
const JSON_TYPE = "application/json; charset=utf-8";
/** The form of a request whose body was over BODY_LIMIT. */
const TOO_LARGE: Record<string, unknown> = Object.freeze({});

function send(res: ServerResponse, r: Reply): void {
  const body = Buffer.from(r.body, "utf8");
  // RFC 6749 §5.1: token replies carry Cache-Control: no-store; harmless on the rest
  res.writeHead(r.status, { "Content-Type": r.type, "Content-Length": String(body.length), "Cache-Control": "no-store", ...r.headers });
  res.end(body);
}

/** A JSON object reply grown to HUGE_BYTES by a "padding" member: still valid JSON, same meaning. */
function padded(body: string): string {
  let base = "{}";
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === "object" && !Array.isArray(v)) base = JSON.stringify(v);
  } catch {
    // an empty or non-JSON reply is padded as {}
  }
  const head = base.slice(0, -1) + (base.length > 2 ? "," : "") + '"padding":"';
  return head + "x".repeat(Math.max(0, HUGE_BYTES - Buffer.byteLength(head) - 2)) + '"}';
}

/** Numbers given as strings (an HTML form's) become numbers. */
function numbers(form: Record<string, unknown>): Record<string, unknown> {
  const out = { ...form };
  for (const k of ["times", "status", "retryAfter"]) if (typeof out[k] === "string" && out[k] !== "") out[k] = Number(out[k]);
  return out;
}

function indexPage(url: string): Reply {
  const links = KINDS.map((k) => {
    const page = k === "simkl" ? "/pin" : k === "kinde" ? "/device" : "/activate";
    return "<li><a href=\"/" + k + page + "\">" + k + "</a>: base " + url + "/" + k + "</li>";
  }).join("\n");
  return html(200, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Mock providers</title></head><body>\n<h1>Mock providers</h1>\n<ul>\n" + links + "\n</ul>\n</body></html>\n", "page");
}

export async function startMockProviders(opts: MockOptions = {}): Promise<MockProviders> {
  const now = opts.now ?? Date.now;
  const interval = opts.interval ?? 5;
  const tokenLifetime = opts.tokenLifetime ?? 86400;
  const made: Record<ProviderKind, { provider: Provider; flow: DeviceFlow }> = {
    simkl: createSimkl({ expiresIn: opts.expiresIn ?? 900, interval }),
    kinde: createRfc8628(kindeDialect(), { expiresIn: opts.expiresIn ?? 600, interval, tokenLifetime }),
    auth0: createRfc8628(auth0Dialect({ rotateRefresh: !!opts.rotateRefresh, requireAudience: !!opts.requireAudience }), {
      expiresIn: opts.expiresIn ?? 900,
      interval,
      tokenLifetime,
    }),
  };
  const faults: Record<ProviderKind, FaultQueue> = { simkl: new FaultQueue(), kinde: new FaultQueue(), auth0: new FaultQueue() };
  const requests: MockRequest[] = [];
  const held = new Set<ServerResponse>();
  let url = "";

  /** POST {base}/_mock/fault (a Fault as JSON or form fields), POST {base}/_mock/clear. */
  const control = (kind: ProviderKind, ctx: Ctx): Reply => {
    if (ctx.method === "POST" && ctx.path === "/_mock/clear") {
      faults[kind].clear();
      return json(200, { ok: true }, "control");
    }
    if (ctx.method === "POST" && ctx.path === "/_mock/fault") {
      try {
        faults[kind].add(checkFault(numbers(ctx.form)));
        return json(200, { ok: true }, "control");
      } catch (e) {
        return json(400, { error: (e as Error).message }, "bad_request");
      }
    }
    return json(404, { error: "not_found" }, "not_found");
  };

  const serve = (req: IncomingMessage, res: ServerResponse, body: string | null): void => {
    const u = new URL(req.url ?? "/", "http://127.0.0.1");
    const parts = u.pathname.split("/");
    const kind = parts[1] as ProviderKind;
    const known = KINDS.includes(kind);
    const path = known ? "/" + parts.slice(2).join("/") : u.pathname;
    const ctx: Ctx = {
      method: req.method ?? "GET",
      path,
      query: Object.fromEntries(u.searchParams),
      form: body === null ? TOO_LARGE : parseBody(req.headers["content-type"], body),
      header: (name) => {
        const v = req.headers[name.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      now: now(),
      base: (known && opts.publicBase && opts.publicBase[kind]) || url + "/" + kind,
      prefix: "/" + kind,
    };
    const entry: MockRequest = { provider: known ? kind : "", method: ctx.method, path, query: ctx.query, form: ctx.form, status: 0, at: ctx.now, endpoint: "unknown", outcome: "" };
    requests.push(entry);
    const answer = (r: Reply): void => {
      entry.status = r.status;
      entry.outcome ||= r.outcome;
      send(res, r);
      if (opts.onAnswer) opts.onAnswer(entry);
    };

    try {
      if (!known) return answer(u.pathname === "/" ? indexPage(url) : json(404, { error: "not_found" }, "not_found"));
      if (ctx.form === TOO_LARGE) return answer(json(413, { error: "request_too_large" }, "bad_request"));
      if (path.startsWith("/_mock/")) {
        entry.endpoint = "control";
        return answer(control(kind, ctx));
      }
      const p = made[kind].provider;
      entry.endpoint = p.endpoint(ctx);
      const f = faults[kind].take(entry.endpoint);
      if (!f) return answer(p.handle(ctx));

      entry.fault = f.kind;
      switch (f.kind) {
        case "slow_down":
          return answer(p.slowDown(ctx));
        case "huge": {
          const r = p.handle(ctx);
          return answer({ ...r, body: padded(r.body), type: JSON_TYPE });
        }
      }
      entry.outcome = "fault:" + f.kind;
      switch (f.kind) {
        case "status":
          // as a gateway in front of the provider answers: a short HTML page, not JSON
          return answer(html(f.status, "<html><body><h1>" + f.status + " " + STATUS_CODES[f.status] + "</h1></body></html>\n", ""));
        case "retry_after":
          return answer(json(f.status, { error: f.status === 429 ? "too_many_requests" : "temporarily_unavailable", error_description: "Retry after " + f.retryAfter + " s" }, "", { "Retry-After": String(f.retryAfter) }));
        case "hold":
          // no reply until the client gives up and closes the connection
          held.add(res);
          res.on("close", () => held.delete(res));
          return;
        case "truncate": {
          // a Content-Length the bytes never reach: half the body, then the connection closes
          const full = Buffer.from(JSON.stringify(p.fakeSuccess()));
          entry.status = 200;
          res.writeHead(200, { "Content-Type": JSON_TYPE, "Content-Length": String(full.length), "Cache-Control": "no-store" });
          res.write(full.subarray(0, full.length >> 1), () => res.socket?.destroy());
          return;
        }
        case "malformed":
          // a token reply whose members are all complete and valid, ended by ",}" (RFC 8259 §4
          // has no trailing comma): a reader must see the end of the document before trusting it
          return answer({ status: 200, body: JSON.stringify(p.fakeSuccess()).slice(0, -1) + ",}", type: JSON_TYPE, outcome: "" });
        case "drop":
          req.socket.destroy();
          return;
      }
    } catch (e) {
      // a request the mock cannot make sense of (a bad %-escape…) must not take the process down
      if (!res.headersSent) answer(json(400, { error: "invalid_request", error_description: (e as Error).message }, "bad_request"));
    }
  };

  /**
   * Whether a request is for this server as a loopback address names it: a page elsewhere
   * (DNS rebinding: evil.example resolving to 127.0.0.1) sends its own Host, and a page of
   * another origin posting here sends its Origin; neither may approve codes or set faults.
   */
  const local = (hostPort: string | undefined): boolean => {
    const port = (server.address() as AddressInfo).port;
    return hostPort === "127.0.0.1:" + port || hostPort === "localhost:" + port;
  };
  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    if (!local(req.headers.host) || (origin !== undefined && !local(origin.replace(/^http:\/\//, "")))) {
      res.writeHead(421, { "Content-Type": "text/plain", Connection: "close" });
      res.end("not this server\n");
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= BODY_LIMIT) chunks.push(c);
    });
    req.on("end", () => serve(req, res, size > BODY_LIMIT ? null : Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  url = "http://127.0.0.1:" + (server.address() as AddressInfo).port;

  const providers = {} as Record<ProviderKind, MockProvider>;
  for (const kind of KINDS) {
    const flow = made[kind].flow;
    providers[kind] = {
      kind,
      fault: (f) => faults[kind].add(f),
      clearFaults: () => faults[kind].clear(),
      approve: (code, o) => flow.approve(code, o?.who?.trim() || DEFAULT_WHO, now()),
      deny: (code) => flow.deny(code, now()),
      issueNext: (codes) => flow.issueNext(codes),
      revoke: (token) => flow.revoke(token),
      revokeAll: () => flow.revokeAll(),
      codes: () => flow.codes(),
      tokens: () => flow.tokens(),
    };
  }

  return {
    url,
    base: (kind) => url + "/" + kind,
    provider: (kind) => providers[kind],
    requests,
    held: () => held.size,
    close: async () => {
      for (const res of held) res.socket?.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
