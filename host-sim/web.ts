// The simulator's web page: the OLED live, the board's button, reboot, power and WiFi switches,
// a phone, and beside them the mock provider's approval page. One HTTP server on 127.0.0.1 (never
// another interface) serving the page (host-sim/web/index.html), a Server-Sent Events stream of
// the board's state (HTML Living Standard §9.2) and a POST for each control.
//
//   const web = await startWebPanel({ board, controls, approval, source, longPress });
//   web.url                  → http://127.0.0.1:PORT/
//   web.screen = "code"; web.texts = [...]; web.publish()   (after anything that may have changed)
//
// The phone: the page reads the panel's QR code itself (jsQR, served as /jsqr.js, on the OLED's
// picture) and posts the name and password it read to /phone/join, which joins the board's access
// point as a phone would (Wifi.joinAp: a wrong password fails). While it is on the access point,
// the phone's browser reaches the device's server on port 80 through a second loopback port, a
// plain TCP relay (the device gets the browser's bytes as they are), as a phone reaches
// 192.168.4.1. The page shows the device's set-up page from there.
//
// The stream carries the panel's pixels, the screen's name and texts (the console line, which
// never holds a secret), power, WiFi and the phone's network's name: never a text the device
// holds (a token, a WiFi password).
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { createRequire } from "node:module";
import type { Board } from "./board.ts";

const PAGE = new URL("./web/index.html", import.meta.url);
/** The QR decoder the page's phone uses (jsQR's browser build). */
const JSQR = createRequire(import.meta.url).resolve("jsqr");
/** The device's set-up page: the board's port the phone's browser opens. */
const SETUP_PORT = 80;
/** The most a request to the phone's browser may send before its head ends, and a join's body. */
const HEAD_LIMIT = 8192;
const JOIN_LIMIT = 1024;

/** What the page's controls do to the board. */
export interface BoardControls {
  press(): void;
  release(): void;
  reboot(): void;
  power(on: boolean): void;
  /** The WiFi access point comes and goes (Board.wifi.restore()/drop()). */
  accessPoint(up: boolean): void;
}

export interface WebPanelOptions {
  board: Board;
  controls: BoardControls;
  /** 0 (default): any free port. */
  port?: number;
  /** The mock provider's approval page, "" when the device runs against real endpoints. */
  approval: string;
  /** What the device pairs with, for the page: "the mock Simkl", "the endpoints in device.json". */
  source: string;
  /** The hold that re-pairs, ms (the page shows its progress). */
  longPress: number;
}

export interface WebPanel {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  /** The screen the device last named on its console ("code", "paired", …). */
  screen: string;
  /** That console line's texts (never a secret: the firmware's console line holds none). */
  texts: string[];
  /** Sends the board's state to every open page, if it changed. */
  publish(): void;
  close(): Promise<void>;
}

/** The panel's pixels as bits, row-major, most significant bit first, in base64: dark when the board is off. */
function frameBits(board: Board): string {
  const bits = new Uint8Array((board.width * board.height) >> 3);
  if (board.powered) {
    const px = board.screen();
    for (let i = 0; i < px.length; i++) if (px[i]) bits[i >> 3] |= 0x80 >> (i & 7);
  }
  return Buffer.from(bits).toString("base64");
}

/** The Host header of a request head (latin1 text up to its blank line), "" if none. */
function hostOf(head: string): string {
  const m = /\r\nhost:[ \t]*([^\r\n]*?)[ \t]*\r\n/i.exec(head);
  return m ? m[1] : "";
}

/** JSON for a <script> element: "<" escaped so no text in it can end the element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c");
}

export async function startWebPanel(o: WebPanelOptions): Promise<WebPanel> {
  const { board, controls } = o;
  const streams = new Set<ServerResponse>();
  let last = "";
  let origin = "";
  let port = 0;
  /** The access point as the page last set it (the simulated network starts in range). */
  let accessPoint = true;
  /** The network the phone last joined: it stays on it while the board's access point takes it (as a phone remembers a network). */
  let phone: { ssid: string; password: string } | null = null;
  let phonePort = 0;

  /** The name of the board's access point the phone is on, "" when it is on none. */
  const phoneOn = (): string => (phone && board.powered && board.wifi.joinAp(phone.ssid, phone.password) ? phone.ssid : "");

  const state = (): string =>
    JSON.stringify({
      screen: board.powered ? panel.screen : "off",
      texts: board.powered ? panel.texts : [],
      powered: board.powered,
      wifi: !board.powered ? "off" : board.wifi.online ? "connected" : "not connected",
      accessPoint: accessPoint,
      phone: phoneOn(),
      frame: frameBits(board),
    });

  const page = (): string =>
    readFileSync(PAGE, "utf8").replace(
      "/*SETUP*/",
      "const SETUP = " +
        scriptJson({
          width: board.width,
          height: board.height,
          approval: o.approval,
          source: o.source,
          longPress: o.longPress,
          phoneBrowser: "http://127.0.0.1:" + phonePort + "/",
        }) +
        ";",
    );

  /** A phone joins the network a QR code (or a person) named: what a phone says when it cannot. */
  const join = (ssid: string, password: string): string => {
    if (!board.powered || !board.wifi.ap || board.wifi.ap.ssid !== ssid) return "Network not found";
    if (!board.wifi.joinAp(ssid, password)) return "Incorrect password";
    phone = { ssid, password };
    return "";
  };

  const actions: Record<string, () => void> = {
    "/button/down": () => controls.press(),
    "/button/up": () => controls.release(),
    "/reboot": () => controls.reboot(),
    "/power/on": () => controls.power(true),
    "/power/off": () => controls.power(false),
    "/wifi/on": () => controls.accessPoint((accessPoint = true)),
    "/wifi/off": () => controls.accessPoint((accessPoint = false)),
  };

  const reply = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
    res.end(body);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Only this machine's browser, at this address: a page elsewhere cannot name it (a DNS
    // rebinding's Host) nor press the button (a cross-site POST carries its own Origin).
    const host = req.headers.host || "";
    if (host !== "127.0.0.1:" + port && host !== "localhost:" + port) return reply(res, 421, "text/plain", "wrong host\n");
    const path = (req.url || "/").split("?")[0];
    /** A POST from a page elsewhere (a cross-site POST carries its own Origin). */
    const crossOrigin = (from: string | undefined): boolean => from !== undefined && from !== origin && from !== "http://" + host;
    if (req.method === "GET" && path === "/") return reply(res, 200, "text/html; charset=utf-8", page());
    if (req.method === "GET" && path === "/events") {
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
      res.write("data: " + state() + "\n\n");
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    if (req.method === "GET" && path === "/jsqr.js") return reply(res, 200, "text/javascript; charset=utf-8", readFileSync(JSQR, "utf8"));
    if (req.method === "POST" && path === "/phone/join") {
      if (crossOrigin(req.headers.origin)) return reply(res, 403, "text/plain", "cross-origin\n");
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => {
        body += chunk;
        if (body.length > JOIN_LIMIT) req.destroy();
      });
      req.on("end", () => {
        const form = new URLSearchParams(body);
        const why = join(form.get("ssid") || "", form.get("password") || "");
        panel.publish();
        reply(res, 200, "application/json", JSON.stringify({ joined: !why, why }));
      });
      return;
    }
    const action = actions[path];
    if (req.method === "POST" && action) {
      if (crossOrigin(req.headers.origin)) return reply(res, 403, "text/plain", "cross-origin\n");
      req.resume();
      action();
      panel.publish();
      return reply(res, 204, "text/plain", "");
    }
    reply(res, 404, "text/plain", "not found\n");
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port || 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  origin = "http://127.0.0.1:" + port;

  // The phone's browser: each connection goes on to the device's port 80 while the phone is on
  // its access point (otherwise it is closed, as nothing answers there). Only a request naming
  // this address: another name is a page elsewhere reaching it by DNS rebinding.
  const relayed = new Set<Socket>();
  const relay = createTcpServer((from: Socket) => {
    let head = Buffer.alloc(0);
    relayed.add(from);
    from.on("close", () => relayed.delete(from));
    from.on("error", () => {});
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const text = head.toString("latin1");
      if (!text.includes("\r\n\r\n")) {
        if (head.length > HEAD_LIMIT) from.destroy();
        return;
      }
      from.off("data", onData);
      const devicePort = board.net.listening[SETUP_PORT];
      if (hostOf(text) !== "127.0.0.1:" + phonePort || !phoneOn() || !devicePort) return void from.destroy();
      from.pause();
      const to = connect(devicePort, "127.0.0.1", () => {
        to.write(head);
        from.pipe(to);
        to.pipe(from);
        from.resume();
      });
      to.on("error", () => from.destroy());
      from.on("close", () => to.destroy());
      to.on("close", () => from.end());
    };
    from.on("data", onData);
  });
  await new Promise<void>((resolve, reject) => {
    relay.once("error", reject);
    relay.listen(0, "127.0.0.1", () => resolve());
  });
  phonePort = (relay.address() as AddressInfo).port;

  const panel: WebPanel = {
    url: origin + "/",
    screen: "",
    texts: [],
    publish() {
      if (!streams.size) return;
      const s = state();
      if (s === last) return;
      last = s;
      for (const res of streams) res.write("data: " + s + "\n\n");
    },
    async close() {
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      for (const s of relayed) s.destroy();
      await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), new Promise<void>((resolve) => relay.close(() => resolve()))]);
    },
  };
  return panel;
}
