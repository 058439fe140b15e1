// The simulator's web page: the OLED live, the board's button, reboot, power and WiFi switches,
// and beside them the mock provider's approval page. One HTTP server on 127.0.0.1 (never another
// interface) serving the page (host-sim/web/index.html), a Server-Sent Events stream of the
// board's state (HTML Living Standard §9.2) and a POST for each control.
//
//   const web = await startWebPanel({ board, controls, approval, source, longPress });
//   web.url                  → http://127.0.0.1:PORT/
//   web.screen = "code"; web.publish()   (after anything that may have changed the picture)
//
// The stream carries the panel's pixels, the screen's name, power and WiFi: never a text the
// device holds (a token, the WiFi password).
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Board } from "./board.ts";

const PAGE = new URL("./web/index.html", import.meta.url);

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

  const state = (): string =>
    JSON.stringify({
      screen: board.powered ? panel.screen : "off",
      powered: board.powered,
      wifi: !board.powered ? "off" : board.wifi.online ? "connected" : "not connected",
      accessPoint: accessPoint,
      frame: frameBits(board),
    });

  const page = (): string =>
    readFileSync(PAGE, "utf8").replace(
      "/*SETUP*/",
      "const SETUP = " + scriptJson({ width: board.width, height: board.height, approval: o.approval, source: o.source, longPress: o.longPress }) + ";",
    );

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
    if (req.method === "GET" && path === "/") return reply(res, 200, "text/html; charset=utf-8", page());
    if (req.method === "GET" && path === "/events") {
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
      res.write("data: " + state() + "\n\n");
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    const action = actions[path];
    if (req.method === "POST" && action) {
      const from = req.headers.origin;
      if (from !== undefined && from !== origin && from !== "http://" + host) return reply(res, 403, "text/plain", "cross-origin\n");
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

  const panel: WebPanel = {
    url: origin + "/",
    screen: "",
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return panel;
}
