// The simulated board: an ESP32 running Espruino, an SSD1306 on I2C1, a button, flash.
// boot() runs a firmware bundle (the bytes that are flashed) in a fresh Espruino realm whose
// globals come from the one module that fakes each API. Flash survives reboots and power
// cuts; the display controller keeps its RAM over a reboot (the ESP32 resets, the panel
// stays powered) but starts from its reset state after a power cut.
import { randomBytes } from "node:crypto";
import { Clock } from "./clock.ts";
import { ConsoleLog } from "./console.ts";
import { Dgram } from "./dgram.ts";
import { EspruinoE } from "./espruino-e.ts";
import { graphicsGlobals } from "./graphics.ts";
import { Network, type Interpreter } from "./http.ts";
import { I2CBus } from "./i2c.ts";
import { textForm } from "./lexer.ts";
import { Modules } from "./modules.ts";
import { Button, Gpio } from "./pins.ts";
import { createRealm, PowerOff, type Realm } from "./realm.ts";
import { Ssd1306 } from "./ssd1306.ts";
import { espruinoStack } from "./stack.ts";
import { Flash, PowerCut, storageModule } from "./storage.ts";
import { Telnet } from "./telnet.ts";
import { Wifi } from "./wifi.ts";

export interface BoardOptions {
  /** The panel wired to I2C1. Default 128×64 at 0x3C. */
  panel?: { height?: 64 | 32; address?: number };
  /** Flash to start from (shared between boards to model a reflash), else a new one. */
  flash?: Flash;
  /** GPIO of the button. Default 0, the ESP32's boot button. */
  buttonPin?: number;
  /** The interpreter: 2v29 as released ("stock", the default) or the codepair image (host-sim/http.ts). */
  interpreter?: Interpreter;
}

export class Board {
  readonly clock = new Clock();
  readonly flash: Flash;
  readonly gpio: Gpio;
  readonly button: Button;
  readonly console = new ConsoleLog();
  readonly i2c1: I2CBus;
  display: Ssd1306;
  /** require("Wifi"): the access points in range, and drop()/restore() of the one joined. */
  readonly wifi: Wifi;
  /** require("TelnetServer"): the console on port 23, on at every boot unless the firmware says off. */
  readonly telnet = new Telnet();
  /** require("http") over real sockets, and the log of the requests made. */
  readonly net: Network;
  /** require("dgram"): the board's UDP ports, reached on loopback (`bound`). */
  readonly dgram: Dgram;
  /** Exceptions the firmware did not catch, as Espruino reports them ("Uncaught …"). */
  readonly uncaught: unknown[] = [];
  /** False after a power cut until the next boot. */
  powered = false;
  /** E.hwRand's source, an int32 a call: the hardware's random numbers (a picture may fix them). */
  hwRand: () => number = () => randomBytes(4).readInt32LE(0);
  private code = "";
  /** The text of each file the board's code ran from (the bundle, each console input), for stack traces. */
  private sources: Record<string, string> = {};
  private consoleInputs = 0;
  private realm: Realm | undefined;
  private readonly panelHeight: 64 | 32;
  private readonly panelAddress: number;
  private displayLostPower = false;
  /** Called whenever a firmware callback has run (the CLI redraws from it). */
  onTick: () => void = () => {};

  constructor(opts?: BoardOptions) {
    const o = opts || {};
    this.flash = o.flash || new Flash();
    this.gpio = new Gpio(this.clock);
    this.button = new Button(this.gpio, this.clock, o.buttonPin === undefined ? 0 : o.buttonPin);
    this.panelHeight = (o.panel && o.panel.height) || 64;
    this.panelAddress = (o.panel && o.panel.address) || 0x3c;
    this.display = new Ssd1306({ width: 128, height: this.panelHeight, address: this.panelAddress });
    this.i2c1 = new I2CBus(this.realmOrThrow.bind(this), "I2C1");
    this.clock.onUncaught = (err) => this.report(err);
    this.clock.afterCallback = () => this.settle();
    this.gpio.afterCallback = () => this.settle();
    this.gpio.onUncaught = (err) => this.report(err);
    this.wifi = new Wifi({
      clock: this.clock,
      runTask: (fn) => this.runTask(fn),
      linkLost: () => this.net.linkLost(),
      apStopped: () => this.net.apStopped(),
      print: (line) => this.console.write([line]),
    });
    this.dgram = new Dgram({ runTask: (fn) => this.runTask(fn) });
    this.net = new Network({
      now: () => this.clock.now,
      runTask: (fn) => this.runTask(fn),
      // each turn of the network's loop starts with the clock brought to now (Clock.catchUp)
      runDueTimers: () => {
        if (this.powered) this.clock.catchUp();
      },
      print: (line) => this.console.write([line]),
      online: () => this.wifi.online,
      crash: (reason) => {
        // the process dies: on the console the reason, for tests an uncaught error, then nothing
        this.console.write(["codepair-sim: the interpreter would crash here: " + reason]);
        this.uncaught.push(new Error(reason));
        this.powerOff();
      },
    });
    this.net.interpreter = o.interpreter || "stock";
    // A cut in the middle of a flash write stops the board there and then.
    this.flash.onCut = () => this.powerOff();
  }

  /**
   * Runs a firmware bundle from power-up (a board that ran before is power-cycled). `code` is
   * the bytes as the device holds them, one character a byte: the flash form the flash tool
   * writes (raw strings read as the interpreter's lexer reads them, host-sim/lexer.ts) or text.
   */
  boot(code: string): void {
    this.code = textForm(code);
    if (this.realm) this.powerOff();
    this.start();
  }

  /** The ESP32 resets (EN pin, watchdog, E.reboot): the display keeps power and its RAM. */
  reboot(): void {
    this.halt();
    this.start();
  }

  /** Power off and on again. */
  powerCycle(): void {
    this.powerOff();
    this.start();
  }

  /** Pull the plug: the firmware stops now, and the display controller loses its state. */
  powerOff(): void {
    this.halt();
    this.displayLostPower = true;
  }

  /** The firmware stops: no timer, watch or board function runs for it any more. */
  private halt(): void {
    this.powered = false;
    this.clock.clearAll();
    this.gpio.clearAll();
    this.net.reset();
    this.dgram.reset();
    this.wifi.reset();
    if (this.realm) this.realm.powerOff();
  }

  /** Moves the board's clock on, running every timer and watch that falls due. */
  advance(ms: number): void {
    if (this.powered) this.clock.advance(ms);
  }

  /**
   * Runs `code` as if typed at the device's console: a task of its own in the firmware's
   * realm, after which its promise jobs run. Returns the value; a throw is reported as
   * uncaught, as the console would print it.
   */
  evaluate(code: string): unknown {
    const realm = this.realmOrThrow();
    if (!this.powered) throw new Error("board is off");
    let value: unknown;
    try {
      const file = "console" + ++this.consoleInputs;
      const text = textForm(code);
      this.sources[file] = text;
      value = realm.run(text, file);
    } catch (err) {
      this.report(err);
    }
    this.settle();
    return value;
  }

  /**
   * Runs a firmware callback that the board's hardware calls (a socket's data, a WiFi event)
   * as a task of its own: an uncaught throw is reported, then its promise jobs run. Nothing
   * runs while the board is off.
   */
  runTask(fn: () => void): void {
    if (!this.powered) return;
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
    this.settle();
  }

  /** What the panel shows now: width×height bytes, 1 = lit. */
  screen(): Uint8Array {
    return this.display.panel();
  }

  get width(): number {
    return 128;
  }

  get height(): number {
    return this.panelHeight;
  }

  private realmOrThrow(): Realm {
    if (!this.realm) throw new Error("board not booted");
    return this.realm;
  }

  private start(): void {
    if (this.displayLostPower) {
      this.display = new Ssd1306({ width: 128, height: this.panelHeight, address: this.panelAddress });
      this.displayLostPower = false;
    }
    const realm = createRealm();
    this.realm = realm;
    this.sources = { "firmware.js": this.code };
    // Power is back: the flash takes writes again after a power cut.
    this.flash.powerOn();
    this.i2c1.reset();
    this.i2c1.attach(this.panelAddress, { receive: (bytes) => this.display.receive(bytes) });
    const espruinoE = new EspruinoE(realm, this.net.interpreter === "codepair", () => this.hwRand());
    const modules = new Modules(realm, this.flash, (name, code) => {
      this.sources[name] = code;
    });
    modules.provide("Storage", realm.object(storageModule(this.flash, realm)));
    modules.provide("http", this.net.module(realm));
    modules.provide("net", this.net.module(realm, "net"));
    modules.provide("tls", this.net.module(realm, "tls"));
    modules.provide("dgram", this.dgram.module(realm));
    modules.provide("Wifi", this.wifi.module(realm));
    this.telnet.reset();
    modules.provide("TelnetServer", this.telnet.module(realm));
    const globals: Record<string, unknown> = Object.assign(
      {
        I2C1: realm.object(this.i2c1.port()),
      },
      this.clock.globals(realm),
      this.gpio.globals(),
      this.console.globals(realm),
      espruinoE.globals(),
      modules.globals(),
      graphicsGlobals(realm),
    );
    for (const name of Object.keys(globals)) {
      const v = globals[name];
      // Plain host functions are adopted into the realm; library objects (E, Graphics, …) and
      // realm objects were made there already.
      realm.global[name] = typeof v === "function" && !Object.keys(v).length ? realm.adopt(v as () => unknown) : v;
    }
    this.powered = true;
    // The boot code, E.on("init"), then the idle loop's first turn: the timers already due
    // (setTimeout(f, 0)), and only after them the promise jobs the boot code queued (see
    // clock.ts). The context runs its promise jobs when an evaluation ends, so the turn goes
    // first in that queue, before the boot code runs.
    let booted = false;
    const afterBoot = (): void => {
      if (booted) return;
      booted = true;
      try {
        espruinoE.emit("init");
      } catch (err) {
        this.report(err);
      }
      if (this.powered) this.clock.turn();
    };
    // (a power cut during the boot code leaves the job to find the board off: nothing to do)
    (realm.run("(function (f) { Promise.resolve().then(function () { try { f(); } catch (e) {} }); })", "board.js") as (f: () => void) => void)(
      realm.adopt(afterBoot),
    );
    try {
      realm.run(this.code, "firmware.js");
    } catch (err) {
      this.report(err);
    }
    if (this.powered) afterBoot();
    this.settle();
  }

  /** A firmware task has ended: its promise jobs run, then whoever watches the board looks. */
  private settle(): void {
    if (this.realm && this.powered) {
      try {
        this.realm.drain();
      } catch (err) {
        this.report(err);
      }
    }
    this.onTick();
  }

  private report(err: unknown): void {
    if (err instanceof PowerCut || err instanceof PowerOff || !this.powered) {
      this.powerOff();
      return;
    }
    this.uncaught.push(err);
    // Espruino prints a thrown non-object as it is: `throw "str"` → "Uncaught str".
    if (err === null || (typeof err !== "object" && typeof err !== "function")) {
      this.console.write(["Uncaught " + String(err)]);
      return;
    }
    const e = err as { message?: string; constructor?: { name?: string } };
    const kind = (e && e.constructor && e.constructor.name) || "Error";
    // then the stack the error took when it was made (jsiCheckErrors prints its `stack`)
    this.console.write([["Uncaught " + kind + ": " + (e && e.message !== undefined ? e.message : String(err))].concat(espruinoStack(err, this.sources)).join("\n")]);
  }
}
