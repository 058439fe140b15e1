// The simulated board's http client against the real interpreter (Linux build of 2v29, the
// same socket code as the ESP32's): each program runs on both against the same loopback
// server; the bytes the server receives and the lines the program prints must match.
// Runs only with ESPRUINO set (see test/support/espruino.ts).
import { execFileSync, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { ESPRUINO, outputLines } from "./support/espruino.ts";

/** A self-signed certificate for 127.0.0.1 (openssl), PEM. */
function selfSignedCertificate(cn: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "codepair-cert-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Printing helpers both engines run the same way (no JSON: the two escape bytes differently). */
const PRELUDE = `
function q(s){ var o=""; for (var i=0;i<s.length;i++){ var c=s.charCodeAt(i); o += (c<32||c>126||c==34||c==92) ? "\\\\x"+(256+c).toString(16).substr(1) : s[i]; } return '"'+o+'"'; }
function show(v){ if (typeof v=="string") return q(v); if (v && typeof v=="object") { return "{"+Object.keys(v).map(function(k){ return q(k)+":"+show(v[k]); }).join(",")+"}"; } return String(v); }
function ev(){ var a=[]; for (var i=0;i<arguments.length;i++) a.push(i ? show(arguments[i]) : arguments[i]); print(a.join(" ")); }
function watch(res){
  ev("res", res.statusCode, res.statusMessage, res.httpVersion, res.headers);
  res.on("data", function(d){ ev("data", d); });
  res.on("end", function(){ ev("end", arguments.length); });
  res.on("close", function(h){ ev("close", h); });
}
`;

/** The program's output lines, without stack traces and caret lines, err numbers normalised. */
function clean(lines: string[]): string[] {
  return lines.filter((l) => l !== "" && !/^\s/.test(l)).map((l) => l.replace(/\(err \d+\)/, "(err N)"));
}

async function runReal(code: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "codepair-http-"));
  const file = join(dir, "program.js");
  writeFileSync(file, PRELUDE + code, "latin1");
  try {
    const out = await new Promise<string>((resolve) => {
      const p = spawn(ESPRUINO as string, [file], { cwd: dir });
      let text = "";
      p.stdout.setEncoding("latin1");
      p.stdout.on("data", (d: string) => (text += d));
      const timer = setTimeout(() => p.kill("SIGKILL"), 15000);
      p.on("close", () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    // "Uncaught undefined" after a throw at top level is the Linux main loop's, not the device's
    return clean(outputLines(out)).filter((l) => l !== "Uncaught undefined");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The program on a board that has joined WiFi, its clock on real time, until nothing is left to run. */
async function runSim(code: string): Promise<string[]> {
  const board = new Board();
  board.wifi.networks = { lab: "pw" };
  board.wifi.joinDelayMs = 0;
  board.boot(`require("Wifi").connect("lab", {password:"pw"}, function () {\n${PRELUDE}\n${code}\n});`);
  board.clock.startRealTime();
  try {
    for (let quiet = 0, waited = 0; quiet < 3 && waited < 15000; waited += 25) {
      await sleep(25);
      quiet = board.clock.pending() === 0 && board.net.inFlight === 0 ? quiet + 1 : 0;
    }
  } finally {
    board.clock.stopRealTime();
    board.powerOff();
  }
  return clean(board.console.lines);
}

type Handler = (socket: net.Socket, received: () => string, done: () => boolean) => void;

interface Server {
  port: number;
  /** Bytes each connection received, in order of connection. */
  connections: string[];
  close(): Promise<void>;
}

/** A server that calls `handler` once the request head is in (and a body of its Content-Length). */
async function server(handler: Handler, secure?: { key: string; cert: string }): Promise<Server> {
  const connections: string[] = [];
  const sockets: net.Socket[] = [];
  const onSocket = (s: net.Socket): void => {
    const index = connections.push("") - 1;
    sockets.push(s);
    let fired = false;
    s.on("error", () => {});
    s.on("data", (d: Buffer) => {
      connections[index] += d.toString("latin1");
      const text = connections[index];
      const end = text.indexOf("\r\n\r\n");
      if (fired || end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (length && text.length < end + 4 + Number(length[1])) return;
      if (/\r\ntransfer-encoding: *chunked/i.test(text.slice(0, end)) && !text.endsWith("0\r\n\r\n")) return;
      fired = true;
      handler(s, () => connections[index], () => fired);
    });
  };
  const srv = secure ? tls.createServer(secure, onSocket) : net.createServer(onSocket);
  if (secure) srv.on("tlsClientError", () => {});
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** Runs `program(port)` on both against one server; returns both outputs and what the server got. */
async function both(handler: Handler, program: (port: number) => string, secure?: { key: string; cert: string }) {
  const srv = await server(handler, secure);
  try {
    const real = await runReal(program(srv.port));
    const realBytes = srv.connections.splice(0);
    const sim = await runSim(program(srv.port));
    const simBytes = srv.connections.splice(0);
    return { real, sim, realBytes, simBytes };
  } finally {
    await srv.close();
  }
}

const reply =
  (...parts: (string | number)[]): Handler =>
  (s) => {
    // strings are written, numbers are pauses (ms); the socket is ended after the last part
    let delay = 0;
    for (const p of parts) {
      if (typeof p === "number") delay += p;
      else setTimeout(() => s.write(p, "latin1"), delay);
    }
    setTimeout(() => s.end(), delay);
  };

const request = (port: number, extra = "", path = "/r") =>
  `var req = require("http").request({host:"127.0.0.1", port:${port}, path:"${path}", method:"GET"${extra}}, watch);
req.on("error", function(e){ ev("req error", e); });
req.end();
ev("ended");`;

describe.skipIf(!ESPRUINO)("http client: simulator vs Espruino 2v29", () => {
  const check = async (handler: Handler, program: (port: number) => string, secure?: { key: string; cert: string }) => {
    const r = await both(handler, program, secure);
    expect(r.sim).toEqual(r.real);
    expect(r.simBytes).toEqual(r.realBytes);
    return r;
  };

  it("POST: the request's bytes, then status, headers, body, end, close", async () => {
    const r = await check(reply("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Mixed-Case: yes\r\nContent-Length: 5\r\n\r\nhello"), (port) =>
      `var req = require("http").request({host:"127.0.0.1", port:${port}, path:"/x?a=1", method:"POST", headers:{"Content-Type":"application/x-www-form-urlencoded", "accept":"application/json", "X-N": 5}}, watch);
req.on("error", function(e){ ev("req error", e); });
ev("write", req.write("a=1&b=2"));
req.end();
ev("ended");`,
    );
    expect(r.real).toContain('res "201" "Created" "1.1" {"Content-Type":"text/plain","X-Mixed-Case":"yes","Content-Length":"5"}');
    expect(r.realBytes[0]).toMatch(/^POST \/x\?a=1 HTTP\/1\.1\r\nUser-Agent: Espruino 2v29\r\nConnection: close\r\nContent-Type: /);
  });

  it("a URL string, url.parse()'s object and http.get()", async () => {
    await check(reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), (port) =>
      `function then(next){ return function(res){ watch(res); res.on("close", next); }; }
require("http").request("http://127.0.0.1:${port}/s?y=1", then(function(){
  // what url.parse("http://127.0.0.1:${port}/a/b?c=d") gives (the board has no global url yet: see http.ts)
  var o = {protocol:"http:", method:"GET", host:"127.0.0.1", path:"/a/b?c=d", pathname:"/a/b", search:"?c=d", port:${port}, query:"c=d"}; o.method = "PUT";
  require("http").request(o, then(function(){
    require("http").get({host:"127.0.0.1", port:${port}, path:"/g", method:"POST"}, watch);
  })).end("body");
})).end();`,
    );
  });

  it("chunked bodies: in one segment, over several, split inside a chunk, with extensions", async () => {
    await check(reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), (p) => request(p));
    await check(reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 80, "6\r\n world\r\n", 80, "0\r\n\r\n"), (p) => request(p));
    await check(reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01234", 80, "56789\r", 80, "\n0\r\n\r\n"), (p) => request(p));
    await check(reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA;x=y\r\n0123456789\r\n0\r\nTrailer: 1\r\n\r\n"), (p) => request(p));
  });

  it("a chunked request body", async () => {
    await check(reply("HTTP/1.1 204 No Content\r\n\r\n"), (port) =>
      `var req = require("http").request({host:"127.0.0.1", port:${port}, path:"/c", method:"POST", headers:{"Transfer-Encoding":"chunked"}}, watch);
req.write("abc"); req.write("0123456789ABCDEFG"); req.end();`,
    );
  });

  it("a body without Content-Length ends at the first gap; a short one ends without error", async () => {
    await check(reply("HTTP/1.1 200 OK\r\n\r\nhello", 80, " world"), (p) => request(p));
    await check(reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello", 80), (p) => request(p));
    await check(reply("HTTP/1.0 200 OK\r\n\r\nabc"), (p) => request(p));
    await check(reply("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef"), (p) => request(p));
  });

  it("no reply, a half head, bare LF line ends: 'no response' on the request", async () => {
    await check(reply(), (p) => request(p));
    await check(reply("HTTP/1.1 200 OK\r\nContent-Le"), (p) => request(p));
    await check(reply("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc"), (p) => request(p));
    await check((s) => s.resetAndDestroy(), (p) => request(p));
  });

  it("the head's quirks: body lines with a colon, no reason phrase, duplicates, spaces, bytes", async () => {
    await check(reply('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"device_code": "abc",\r\n"x":1}'), (p) => request(p));
    await check(reply("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx"), (p) => request(p));
    await check(reply("HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-A:   spaced  \r\nx-b:c:d\r\ncontent-length: 2\r\n\r\n{}"), (p) => request(p));
    await check(reply("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n\x00\x01\xff\x80\xc3\xa9"), (p) => request(p));
  });

  it("a refused port and an unknown host throw from end(); write after end throws", async () => {
    const gone = await server(() => {});
    const port = gone.port;
    await gone.close();
    const r = await check(reply(), () =>
      `try { var a = require("http").request({host:"127.0.0.1", port:${port}, path:"/"}, watch); ev("made"); a.end(); ev("no throw"); } catch (e) { ev("caught", e instanceof InternalError, e.message); }
try { a.end(); } catch (e) { ev("again", e.message); }
try { require("http").get("http://no-such-host.invalid/", watch); } catch (e) { ev("caught", e.message); }`,
    );
    expect(r.real).toEqual(["made", "ERROR: Connect failed (err N)", "caught true \"Unable to create socket\"", 'again "This socket is closed"', 'caught "Unable to locate host"']);
    await check(reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), (port2) =>
      `var r = require("http").request({host:"127.0.0.1", port:${port2}, path:"/w", method:"POST"}, watch); r.end();
try { r.write("late"); } catch (e) { ev("caught", e.message); }`,
    );
  });

  it("callbacks run between timers; a throw in one is reported and the rest still runs", async () => {
    await check(reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), (port) =>
      `setTimeout(function(){ ev("t0 a"); }, 0);
var r = require("http").request({host:"127.0.0.1", port:${port}, path:"/t"}, function(res){ ev("res", this === r); setTimeout(function(){ ev("t0 in res"); }, 0);
  res.on("data", function(d){ ev("data", d); throw new Error("in data"); }); res.on("end", function(){ ev("end"); }); res.on("close", function(){ ev("close"); }); throw new Error("in res"); });
r.end(); setTimeout(function(){ ev("t0 b"); }, 0); ev("sync");`,
    );
  });

  it("a 1 MB body arrives whole, in pieces of at most 536 bytes", async () => {
    const body = "a".repeat(1 << 20);
    const r = await check(reply("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n" + body), (port) =>
      `var n = 0, big = 0, count = 0;
require("http").request({host:"127.0.0.1", port:${port}, path:"/big"}, function(res){
  res.on("data", function(d){ n += d.length; count++; if (d.length > 536) big++; });
  res.on("close", function(h){ ev("close", h, n, big, count > 1900); });
}).end();`,
    );
    expect(r.real).toEqual([`close false ${1 << 20} 0 true`]);
  });
});

describe.skipIf(!ESPRUINO)("https client: simulator vs Espruino 2v29", () => {
  const ca = selfSignedCertificate("Test CA");
  const other = selfSignedCertificate("Other CA");
  const secure = { key: ca.key, cert: ca.cert };
  const derOf = (pem: string) => Buffer.from(new X509Certificate(pem).raw).toString("base64");

  const check = async (handler: Handler, program: (port: number) => string, opts = secure) => {
    const r = await both(handler, program, opts);
    expect(r.sim).toEqual(r.real);
    expect(r.simBytes).toEqual(r.realBytes);
    return r;
  };
  const https = (port: number, extra = "") =>
    `try { var req = require("http").request({host:"127.0.0.1", port:${port}, path:"/s", method:"GET", protocol:"https:"${extra}}, watch);
req.on("error", function(e){ ev("req error", e); }); req.end(); ev("ended"); } catch (e) { ev("caught", e.message); }`;

  it("no certificate is verified: no ca, the right ca, another ca all get the reply", async () => {
    const late = reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 150);
    await check(late, (p) => https(p));
    await check(late, (p) => https(p, `, ca: atob("${derOf(ca.cert)}")`));
    const r = await check(late, (p) => https(p, `, ca: atob("${derOf(other.cert)}")`));
    expect(r.real).toContain('data "ok"');
  });

  it("a PEM ca throws; a short string is taken for a file name", async () => {
    await check(reply(), (p) => https(p, `, ca: ${JSON.stringify(ca.cert)}`));
    await check(reply(), (p) => https(p, `, ca: "ca.pem"`));
  });

  it("the server's close_notify while the body is open: an error on the request, close(true)", async () => {
    await check(reply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100), (p) => https(p));
  });

  it("TLS to a plain server: the handshake error is reported and the request fails", async () => {
    const plain = await server(() => {});
    const port = plain.port;
    await plain.close();
    const srv = net.createServer((s) => {
      s.on("error", () => {});
      s.once("data", () => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    });
    await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
    try {
      const real = await runReal(https(port));
      const sim = await runSim(https(port));
      expect(real).toContain('req error {"code":-15,"message":"no response"}');
      expect(sim).toEqual(real);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
