// Espruino's `require("dgram")` (libs/network/jswrap_net.c, socketserver.c), as 2v29 has it on
// the ESP32 and on Linux: createSocket("udp4") (or {type, reuseAddr, recvBufferSize}) gives a
// dgramSocket; bind(port, cb) binds it (cb(socket) queued after); 'message' (msg, rinfo) brings
// each datagram as a byte string with rinfo {address, port, size}; send(msg, port, address) or
// send(msg, offset, length, port, address) sends one; close() closes it. A datagram is
// received in the idle loop like a socket's data. On the simulated board a bound port is a
// UDP socket on loopback (`bound`: the board's port → the host's), where a test or the
// simulated phone sends to it.
import dgram from "node:dgram";
import type { Realm } from "./realm.ts";

type Listener = (...args: unknown[]) => unknown;

export interface DgramHost {
  /** Runs a firmware callback as a task of its own. */
  runTask(fn: () => void): void;
}

export class Dgram {
  /** The board's bound UDP ports → the loopback ports where the host reaches them. */
  readonly bound: Record<number, number> = {};
  private sockets: dgram.Socket[] = [];
  private gen = 0;

  constructor(private host: DgramHost) {}

  /** The board stops: every socket goes. */
  reset(): void {
    this.gen++;
    for (const s of this.sockets) s.close();
    this.sockets = [];
    for (const k of Object.keys(this.bound)) delete this.bound[Number(k)];
  }

  module(realm: Realm): object {
    const self = this;
    const gen = this.gen;
    const listeners = new WeakMap<object, Record<string, Listener[]>>();
    const node = new WeakMap<object, { socket: dgram.Socket | null; port: number }>();
    const on = (obj: object, event: string): Listener[] => {
      const table = listeners.get(obj) || {};
      listeners.set(obj, table);
      return (table[event] = table[event] || []);
    };
    const queue = (obj: object, event: string, args: unknown[]): void => {
      const fns = on(obj, event).slice();
      setImmediate(() => {
        if (gen !== self.gen) return;
        for (const fn of fns) self.host.runTask(() => fn.apply(obj, args));
      });
    };
    const proto = realm.object({
      on(this: object, event: unknown, fn: Listener): void {
        on(this, String(event)).push(fn);
      },
      removeAllListeners(this: object, event?: unknown): void {
        if (event === undefined) listeners.delete(this);
        else delete (listeners.get(this) || {})[String(event)];
      },
      bind(this: object, port: unknown, callback?: unknown): object {
        const sock = this;
        const p = (typeof port === "number" ? Math.trunc(port) : parseInt(String(port), 10) || 0) & 0xffff;
        const s = dgram.createSocket("udp4");
        s.unref();
        self.sockets.push(s);
        const state = { socket: s, port: p };
        node.set(sock, state);
        s.on("message", (msg, info) => {
          if (gen !== self.gen) return;
          queue(sock, "message", [msg.toString("latin1"), realm.fromHost({ address: info.address, port: info.port, size: msg.length })]);
        });
        s.bind(0, "127.0.0.1", () => {
          if (gen === self.gen && node.get(sock) === state) self.bound[p] = s.address().port;
        });
        // DGRAM_ON_BIND_NAME: queued now, whatever the bind does
        if (typeof callback === "function") {
          const fn = callback as Listener;
          setImmediate(() => {
            if (gen === self.gen) self.host.runTask(() => fn.call(sock, sock));
          });
        }
        return sock;
      },
      send(this: object, msg: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown): void {
        const state = node.get(this);
        let bytes = Buffer.from(String(msg), "latin1");
        let port = a;
        let address = b;
        if (c !== undefined) {
          // (msg, offset, length, port, address)
          bytes = bytes.subarray(Number(a) || 0, (Number(a) || 0) + (Number(b) || 0));
          port = c;
          address = d;
        }
        if (!state || !state.socket) return;
        state.socket.send(bytes, Number(port), String(address));
      },
      close(this: object): void {
        const state = node.get(this);
        if (!state || !state.socket) return;
        state.socket.close();
        self.sockets = self.sockets.filter((x) => x !== state.socket);
        if (self.bound[state.port] !== undefined) delete self.bound[state.port];
        state.socket = null;
        queue(this, "close", [false]);
      },
    });
    return realm.library({
      createSocket(): object {
        return (realm.global.Object as ObjectConstructor).create(proto) as object;
      },
    });
  }
}
