// host-sim/http.ts: require("http") on the simulated board, against small servers on
// 127.0.0.1. What the device does was measured on Espruino 2v29 (see http.ts and
// test/http-real.test.ts, which compares the two).
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { parseResponseHead, urlParse, type NetLogEntry } from "../host-sim/http.ts";

interface TestServer {
  port: number;
  /** What each connection received, in order. */
  received: string[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A server that calls `answer` once a request is in (head, and body by Content-Length). */
async function serve(answer: (s: net.Socket, request: string) => void, secure?: { key: string; cert: string }): Promise<TestServer> {
  const received: string[] = [];
  const sockets: net.Socket[] = [];
  const onSocket = (s: net.Socket): void => {
    const i = received.push("") - 1;
    sockets.push(s);
    let answered = false;
    s.on("error", () => {});
    s.on("data", (d: Buffer) => {
      received[i] += d.toString("latin1");
      const text = received[i];
      const end = text.indexOf("\r\n\r\n");
      if (answered || end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (length && text.length < end + 4 + Number(length[1])) return;
      answered = true;
      answer(s, text);
    });
  };
  const srv = secure ? tls.createServer(secure, onSocket) : net.createServer(onSocket);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const server: TestServer = {
    port: (srv.address() as net.AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
  servers.push(server);
  return server;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  for (let waited = 0; !cond(); waited += 5) {
    if (waited > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Prints events as `name JSON`. */
const LOG = `
function ev(){ var a=[]; for (var i=0;i<arguments.length;i++) a.push(i && arguments[i] !== undefined ? JSON.stringify(arguments[i]) : String(arguments[i])); print(a.join(" ")); }
function watch(res){
  ev("res", res.statusCode, res.statusMessage, res.headers);
  res.on("data", function(d){ ev("data", d); });
  res.on("end", function(){ ev("end"); });
  res.on("close", function(h){ ev("close", h); });
}
`;

/** A board whose WiFi has joined "lab", running `code` (with LOG) once joined. */
function onlineBoard(code: string): Board {
  const board = new Board();
  board.wifi.networks = { lab: "pw" };
  board.boot(`${LOG}\nrequire("Wifi").connect("lab", {password:"pw"}, function () {\n${code}\n});`);
  board.advance(board.wifi.joinDelayMs);
  return board;
}

const get = (port: number, path = "/r") =>
  `var req = require("http").request({host:"127.0.0.1", port:${port}, path:"${path}", method:"GET"}, watch);
req.on("error", function(e){ ev("req error", e); });
req.end();`;

describe("the request's bytes", () => {
  it("POST: request line, User-Agent, Connection, the headers as given, Host, the body (no Content-Length added)", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 204 No Content\r\n\r\n"));
    const board = onlineBoard(`var r = require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/x?a=1", method:"POST", headers:{"Content-Type":"text/plain", "x-n": 5}}, watch);
r.write("a=1"); r.end("&b=2");`);
    await board.net.idle();
    await until(() => srv.received.length === 1 && srv.received[0].endsWith("&b=2"));
    expect(srv.received).toEqual([
      `POST /x?a=1 HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\nConnection: close\r\nContent-Type: text/plain\r\nx-n: 5\r\nHost: 127.0.0.1:${srv.port}\r\n\r\na=1&b=2`,
    ]);
  });

  it("a URL string is parsed; port 80 is left out of Host; a Host header replaces it; chunked writes", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 204 No Content\r\n\r\n"));
    const board = onlineBoard(`require("http").request("http://127.0.0.1:${srv.port}/s?y=1", watch).end();
var c = require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/c", method:"PUT", headers:{host:"api.example", "Transfer-Encoding":"chunked"}}, watch);
c.write("abc"); c.write("0123456789ABCDEFG"); c.end();`);
    await board.net.idle();
    await until(() => srv.received.length === 2 && srv.received.every((r) => r.includes("\r\n\r\n")) && srv.received.some((r) => r.endsWith("0\r\n\r\n")));
    expect(srv.received.sort()).toEqual([
      `GET /s?y=1 HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\nConnection: close\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`,
      "PUT /c HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\nConnection: close\r\nhost: api.example\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n11\r\n0123456789ABCDEFG\r\n0\r\n\r\n",
    ]);
  });

  it("nothing is sent before write() or end(); http.get ends at once and forces GET", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 204 No Content\r\n\r\n"));
    const board = onlineBoard(`var quiet = require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/q"}, watch);
var o = {host:"127.0.0.1", port:${srv.port}, path:"/g", method:"POST"};
require("http").get(o, watch); ev("method", o.method);`);
    await board.net.idle();
    await until(() => srv.received.length === 1 && srv.received[0].endsWith("\r\n\r\n"));
    expect(srv.received[0].startsWith("GET /g HTTP/1.1\r\n")).toBe(true);
    expect(board.console.lines).toContain('method "GET"');
    expect(board.net.log.map((e) => e.url)).toEqual([`http://127.0.0.1:${srv.port}/g`]);
  });
});

describe("responses", () => {
  it("statusCode is a string; headers keep their case; body, end, close(false), in that order", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 201 Created\r\nX-Mixed-Case: yes\r\nContent-Length: 5\r\n\r\nhello"));
    const board = onlineBoard(`require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/"}, function(res){ ev("type", typeof res.statusCode); watch(res); }).end();`);
    await board.net.idle();
    expect(board.console.lines).toEqual(['type "string"', 'res "201" "Created" {"X-Mixed-Case":"yes","Content-Length":"5"}', 'data "hello"', "end", "close false"]);
  });

  it("a chunked body is de-chunked, chunk by chunk as the segments come", async () => {
    const srv = await serve((s) => {
      s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      setTimeout(() => s.end("6\r\n world\r\n0\r\n\r\n"), 60);
    });
    const board = onlineBoard(get(srv.port));
    await board.net.idle();
    expect(board.console.lines.slice(1)).toEqual(['data "hello"', 'data " world"', "end", "close false"]);
  });

  it("a body without Content-Length ends at the first gap: the rest is lost", async () => {
    const srv = await serve((s) => {
      s.write("HTTP/1.1 200 OK\r\n\r\nhello");
      setTimeout(() => s.end(" world"), 80);
    });
    const board = onlineBoard(get(srv.port));
    await board.net.idle();
    expect(board.console.lines.slice(1)).toEqual(['data "hello"', "end", "close false"]);
  });

  it("a body cut short of its Content-Length ends without an error", async () => {
    const srv = await serve((s) => {
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello");
      setTimeout(() => s.end(), 30);
    });
    const board = onlineBoard(get(srv.port));
    await board.net.idle();
    expect(board.console.lines.slice(1)).toEqual(['data "hello"', "end", "close false"]);
    expect(board.net.log[0].status).toBe(200);
    expect(board.net.log[0].error).toBeUndefined();
  });

  it("a server that closes without a reply: 'no response' on the request, nothing on a response", async () => {
    const srv = await serve((s) => s.end());
    const board = onlineBoard(get(srv.port));
    await board.net.idle();
    expect(board.console.lines).toEqual(['req error {"code":-15,"message":"no response"}']);
    expect(board.net.log[0].error).toBe("no response");
  });

  it("data are byte strings, in pieces of at most 536 bytes", async () => {
    const body = Buffer.alloc(3000);
    for (let i = 0; i < body.length; i++) body[i] = i & 255;
    const srv = await serve((s) => s.end(Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n"), body])));
    const board = onlineBoard(`var got = "", most = 0;
require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/"}, function(res){
  res.on("data", function(d){ got += d; if (d.length > most) most = d.length; });
  res.on("close", function(){ var ok = got.length == 3000; for (var i = 0; i < got.length; i++) if (got.charCodeAt(i) != (i & 255)) ok = false; ev("got", ok, most); });
}).end();`);
    await board.net.idle();
    expect(board.console.lines).toEqual(["got true 536"]);
  });

  it("data that came before anyone listened go to the 'data' listener when it is added", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const board = onlineBoard(`require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/"}, function(res){
  ev("available", res.available());
  setTimeout(function(){ res.on("data", function(d){ ev("late data", d); }); }, 100);
}).end();`);
    await board.net.idle();
    expect(board.console.lines).toEqual(["available 2"]);
    board.advance(100);
    await until(() => board.console.lines.length === 2);
    expect(board.console.lines[1]).toBe('late data "ok"');
  });

  it("the head parser: body lines with a colon become headers; duplicates keep the first", () => {
    const head = parseResponseHead('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n{"k": "v",\r\nrest');
    expect(head && head.headers).toEqual([
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
      ['{"k"', '"v",'],
    ]);
    expect(head && [head.statusCode, head.statusMessage, head.httpVersion, head.rest]).toEqual(["200", "OK", "1.1", '{"k": "v",\r\nrest']);
    expect(parseResponseHead("HTTP/1.1 200 OK\nA: b\n\n")).toBeUndefined();
  });
});

describe("failures", () => {
  it("a refused port throws from end(): InternalError 'Unable to create socket', after the lwIP error on the console", async () => {
    const port = await deadPort();
    const board = onlineBoard(`var r = require("http").request({host:"127.0.0.1", port:${port}, path:"/"}, watch); ev("made");
try { r.end(); } catch (e) { ev("caught", e instanceof InternalError, e.message); }
try { r.end(); } catch (e) { ev("again", e.message); }`);
    expect(board.console.lines).toEqual(['made', "ERROR: Connect failed (err 104)", 'caught true "Unable to create socket"', 'again "This socket is closed"']);
    expect(board.net.log).toEqual([{ at: 1500, method: "undefined", url: `http://127.0.0.1:${port}/`, error: "Unable to create socket", doneAt: 1500 }]);
  });

  it("a name the board cannot resolve throws 'Unable to locate host'; names in net.hosts resolve", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    const board = new Board();
    board.wifi.networks = { lab: "pw" };
    board.net.hosts["api.example"] = "127.0.0.1";
    board.boot(`${LOG}
require("Wifi").connect("lab", {password:"pw"}, function () {
  try { require("http").get("http://nowhere.example/x", watch); } catch (e) { ev("caught", e.message); }
  require("http").get("http://api.example:${srv.port}/y", watch);
});`);
    board.advance(1500);
    await board.net.idle();
    expect(board.console.lines.slice(0, 2)).toEqual(['caught "Unable to locate host"', 'res "200" "OK" {"Content-Length":"0"}']);
    expect(srv.received[0]).toContain(`\r\nHost: api.example:${srv.port}\r\n`);
  });

  it("bad arguments print an error and return undefined, as the device does", () => {
    const board = onlineBoard(`ev("r", require("http").request(5)); ev("r", require("http").request({host:"127.0.0.1"}, 5));`);
    expect(board.console.lines).toEqual([
      "ERROR: Expecting Options to be an Object but it was Number",
      "r undefined",
      "ERROR: Expecting Callback Function but got Number",
      "r undefined",
    ]);
  });

  it("a server that never answers: nothing happens, the request stays in flight", async () => {
    const srv = await serve(() => {});
    const board = onlineBoard(get(srv.port));
    await until(() => srv.received.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(board.console.lines).toEqual([]);
    expect(board.net.inFlight).toBe(1);
  });
});

describe("WiFi", () => {
  it("without WiFi an IP address has no route and a name does not resolve", () => {
    const board = new Board();
    board.boot(`${LOG}
try { require("http").request({host:"127.0.0.1", port:80, path:"/"}, watch).end(); } catch (e) { ev("caught", e.message); }
try { require("http").request({host:"localhost", port:80, path:"/"}, watch).end(); } catch (e) { ev("caught", e.message); }`);
    expect(board.console.lines).toEqual(["ERROR: Connect failed (err 113)", 'caught "Unable to create socket"', 'caught "Unable to locate host"']);
  });

  it("the access point vanishing: requests throw, an open one goes silent; back once rejoined", async () => {
    const srv = await serve((s, request) => {
      if (request.startsWith("GET /slow")) setTimeout(() => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 150);
      else s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    const board = onlineBoard(get(srv.port, "/slow"));
    await until(() => srv.received.length === 1);
    board.wifi.drop();
    await board.net.idle();
    expect(board.net.log[0]).toMatchObject({ error: "wifi dropped" });
    board.evaluate(`try { require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/x"}, watch).end(); } catch (e) { ev("caught", e.message); }`);
    await new Promise((r) => setTimeout(r, 250));
    expect(board.console.lines).toEqual(["ERROR: Connect failed (err 113)", 'caught "Unable to create socket"']);
    board.wifi.restore();
    board.evaluate(`require("Wifi").connect("lab", {password:"pw"}, function(err){ ev("joined", err); ${get(srv.port, "/again")} });`);
    board.advance(board.wifi.joinDelayMs);
    await board.net.idle();
    expect(board.console.lines.slice(2)).toEqual(["joined null", 'res "200" "OK" {"Content-Length":"2"}', 'data "ok"', "end", "close false"]);
  });
});

describe("callbacks are board tasks", () => {
  it("a throw in a callback is reported as Uncaught and the request goes on", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const board = onlineBoard(`require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/"}, function(res){
  res.on("close", function(){ ev("close"); Promise.resolve().then(function(){ ev("job after close"); }); });
  throw new Error("boom");
}).end();`);
    await board.net.idle();
    expect(board.console.lines).toEqual([
      "Uncaught Error: boom",
      // the stack the error took, as the interpreter prints it (host-sim/stack.ts)
      "    at :2:25",
      '  throw new Error("boom");',
      "                        ^",
      "close",
      "job after close",
    ]);
    expect(board.uncaught.length).toBe(1);
  });

  it("of two throws in one turn of the loop only the last is reported, as jsiCheckErrors does", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const board = onlineBoard(`require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/"}, function(res){
  res.on("data", function(){ throw new Error("second"); });
  throw new Error("first");
}).end();`);
    await board.net.idle();
    expect(board.console.lines.filter((l) => l.startsWith("Uncaught "))).toEqual(["Uncaught Error: second"]);
  });

  it("a timer due now runs before the next pass: between the response and its end", async () => {
    const srv = await serve((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const board = onlineBoard(`require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/"}, function(res){
  setTimeout(function(){ ev("timer"); }, 0);
  res.on("data", function(d){ ev("data", d); });
  res.on("end", function(){ ev("end"); });
}).end();`);
    await board.net.idle();
    expect(board.console.lines).toEqual(['data "ok"', "timer", "end"]);
  });

  it("a reboot drops every socket: no callback of the old firmware runs, idle() resolves", async () => {
    let answer: () => void = () => {};
    const srv = await serve((s) => {
      answer = () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    const board = onlineBoard(get(srv.port));
    await until(() => srv.received.length === 1);
    board.reboot();
    await board.net.idle();
    answer();
    await new Promise((r) => setTimeout(r, 100));
    expect(board.console.lines).toEqual([]);
    expect(board.net.log[0]).toMatchObject({ error: "board halted", doneAt: 1500 });
  });
});

describe("the log", () => {
  it("method, URL, board time, status; hooks; inFlight; idle()", async () => {
    const srv = await serve((s) => setTimeout(() => s.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), 50));
    const made: string[] = [];
    const done: NetLogEntry[] = [];
    const board = new Board();
    board.wifi.networks = { lab: "pw" };
    board.net.onRequest = (e) => made.push(e.method + " " + e.url);
    board.net.onResponse = (e) => done.push({ ...e });
    board.boot(`require("Wifi").connect("lab", {password:"pw"}, function () {
  var r = require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/device/code?client=x", method:"POST", headers:{Authorization:"Bearer secret"}}, function(){});
  r.end("secret body");
});`);
    expect(board.net.inFlight).toBe(0);
    board.advance(1500);
    expect(board.net.inFlight).toBe(1);
    expect(made).toEqual([`POST http://127.0.0.1:${srv.port}/device/code?client=x`]);
    board.advance(700);
    await board.net.idle();
    expect(board.net.inFlight).toBe(0);
    expect(done).toEqual([{ at: 1500, method: "POST", url: `http://127.0.0.1:${srv.port}/device/code?client=x`, status: 404, doneAt: 2200 }]);
    expect(JSON.stringify(board.net.log)).not.toContain("secret");
  });
});

describe("https", () => {
  const dir = mkdtempSync(join(tmpdir(), "codepair-cert-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test", "-keyout", join(dir, "k"), "-out", join(dir, "c")], { stdio: "ignore" });
  const secure = { key: readFileSync(join(dir, "k"), "utf8"), cert: readFileSync(join(dir, "c"), "utf8") };
  rmSync(dir, { recursive: true, force: true });
  const der = Buffer.from(new X509Certificate(secure.cert).raw).toString("base64");

  it("talks TLS without verifying the server; a DER ca is accepted, a PEM one throws", async () => {
    const srv = await serve((s) => {
      // the close_notify well after the reply (with it, the request may end in an error: see below)
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      setTimeout(() => s.end(), 100);
    }, secure);
    const board = onlineBoard(`require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/s", protocol:"https:", ca: atob("${der}")}, watch).end();
try { require("http").request({host:"127.0.0.1", port:${srv.port}, path:"/s", protocol:"https:", ca: ${JSON.stringify(secure.cert)}}, watch).end(); } catch (e) { ev("caught", e.message); }`);
    await board.net.idle();
    expect(board.console.lines).toEqual([
      `caught "HTTPS init failed! mbedtls_x509_crt_parse of 'ca': Invalid format"`,
      'res "200" "OK" {"Content-Length":"2"}',
      'data "ok"',
      "end",
      "close false",
    ]);
    expect(board.net.log[0].url).toBe(`https://127.0.0.1:${srv.port}/s`);
  });

  it("the server's close_notify with the body still open: 'unknown error' on the request, close(true)", async () => {
    const srv = await serve((s) => {
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
      setTimeout(() => s.end(), 50);
    }, secure);
    const board = onlineBoard(get(srv.port).replace('method:"GET"', 'method:"GET", protocol:"https:"'));
    await board.net.idle();
    expect(board.console.lines.slice(1)).toEqual(['data "abc"', 'req error {"code":-30848,"message":"unknown error"}', "end", "close true"]);
  });

  it("TLS to a plain HTTP server: the handshake error is reported and the request gets 'no response'", async () => {
    const plain = net.createServer((s) => {
      s.on("error", () => {});
      s.once("data", () => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    });
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    servers.push({ port: 0, received: [], close: () => new Promise((r) => plain.close(() => r())) });
    const board = onlineBoard(get((plain.address() as net.AddressInfo).port).replace('method:"GET"', 'method:"GET", protocol:"https:"'));
    await board.net.idle();
    await until(() => board.console.lines.length === 2);
    expect(board.console.lines).toEqual(['req error {"code":-15,"message":"no response"}', "Uncaught InternalError: mbedtls_ssl_handshake returned -0x7200"]);
  });
});

describe("url.parse", () => {
  it("splits a URL as the device does", () => {
    expect(urlParse("http://h:8080/a/b?c=d&e", true)).toEqual({
      protocol: "http:",
      method: "GET",
      host: "h",
      path: "/a/b?c=d&e",
      pathname: "/a/b",
      search: "?c=d&e",
      port: 8080,
      query: { c: "d", e: "" },
    });
    expect(urlParse("https://h")).toEqual({ protocol: "https:", method: "GET", host: "h", path: "/", pathname: "/", search: null, port: null, query: null });
    expect(urlParse("h:80/x").host).toBe("h:80");
    expect(urlParse("/p?x=%41%20&y&=z", true)).toEqual({ method: "GET", host: "", path: "/p?x=%41%20&y&=z", pathname: "/p", search: "?x=%41%20&y&=z", port: null, query: { x: "A ", y: "", "": "z" } });
  });
});
