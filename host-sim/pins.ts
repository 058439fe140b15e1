// GPIO as the firmware sees it: pins D0…D39 (D0 is the ESP32's boot button; the device's
// BTN/BTN1 aliases are left out because dialect/espruino.mjs does not list them),
// digitalRead, pinMode, setWatch and clearWatch; and a Button that tests press, hold,
// release and bounce. The button pulls its pin low while pressed, as the boot button does.
//
// The ESP32 board file marks D0 NEGATED (boards/ESP32.py; targets/esp32/jshardware.c inverts
// reads and watch states): with the boot button pressed, the pin is low and digitalRead(D0)
// is 1, and its watches see state true on the press.
import type { Clock } from "./clock.ts";

export const PIN_COUNT = 40;
/** BTN1 on the ESP32 board file (boards/ESP32.py): the boot button. */
export const BUTTON_PIN = 0;
/** Pins whose logic level the interpreter inverts (boards/ESP32.py: "NEGATED"). */
export const NEGATED_PINS = [BUTTON_PIN];

interface Watch {
  id: number;
  pin: number;
  fn: (e: { state: boolean; time: number; lastTime: number | undefined; pin: number }) => void;
  repeat: boolean;
  edge: "rising" | "falling" | "both";
  debounce: number;
  /** The state last reported (debounced). */
  reported: boolean;
  lastTime: number | undefined;
  settle: number | undefined;
}

export class Gpio {
  private levels: boolean[] = [];
  private watches: Watch[] = [];
  private nextId = 1;

  /** Called after every watch callback ran (the board drains promise jobs, redraws). */
  afterCallback: () => void = () => {};
  /** An exception a watch callback threw: Espruino reports it and goes on. */
  onUncaught: (err: unknown) => void = () => {};

  constructor(private clock: Clock) {
    for (let i = 0; i < PIN_COUNT; i++) {
      this.levels.push(true); // pulled up: a button is released
    }
  }

  /** The electrical level of a pin: true = high. */
  level(pin: number): boolean {
    return this.levels[pin];
  }

  /** The pin's value as the firmware reads it: the level, inverted on negated pins. */
  read(pin: number): boolean {
    return NEGATED_PINS.includes(pin) ? !this.levels[pin] : this.levels[pin];
  }

  /** Sets the level a pin's outside world drives it to; watches see the edge. */
  drive(pin: number, level: boolean): void {
    if (this.levels[pin] === level) return;
    this.levels[pin] = level;
    for (const w of this.watches.slice()) {
      if (w.pin !== pin) continue;
      if (w.debounce > 0) {
        // Report only when the level has held still for `debounce` ms.
        // Espruino reports the time of the last edge, not the time the level had settled.
        const edgeTime = this.clock.getTime();
        if (w.settle !== undefined) this.clock.clear(w.settle, true);
        w.settle = this.clock.add(() => {
          w.settle = undefined;
          this.report(w, this.read(pin), edgeTime);
        }, w.debounce, false, true);
      } else {
        this.report(w, this.read(pin), this.clock.getTime());
      }
    }
  }

  private report(w: Watch, state: boolean, time: number): void {
    if (state === w.reported) return;
    w.reported = state;
    if (!this.watches.includes(w)) return;
    // Espruino updates lastTime on every change, also the edges the watch does not report
    // (src/jsinteractive.c), so a "rising" watch's e.time - e.lastTime is how long it was low.
    const lastTime = w.lastTime;
    w.lastTime = time;
    if (w.edge === "rising" && !state) return;
    if (w.edge === "falling" && state) return;
    if (!w.repeat) this.watches = this.watches.filter((x) => x !== w);
    try {
      w.fn({ state, time, lastTime, pin: w.pin });
    } catch (err) {
      this.onUncaught(err);
    } finally {
      this.afterCallback();
    }
  }

  pinNumber(pin: unknown): number {
    // On the device `typeof D0` is "number": a pin is its GPIO number.
    const n = typeof pin === "number" ? pin : NaN;
    if (!(n >= 0 && n < PIN_COUNT && n === Math.floor(n))) throw new TypeError("Invalid pin: " + String(pin));
    return n;
  }

  clearAll(): void {
    this.remove(() => true);
  }

  /** Drops the watches chosen, with any debounce still pending for them. */
  private remove(which: (w: Watch) => boolean): void {
    for (const w of this.watches) {
      if (which(w) && w.settle !== undefined) this.clock.clear(w.settle, true);
    }
    this.watches = this.watches.filter((w) => !which(w));
  }

  globals(): Record<string, unknown> {
    const g: Record<string, unknown> = {
      digitalRead: (pin: unknown): number => (this.read(this.pinNumber(pin)) ? 1 : 0),
      pinMode: (pin: unknown): void => {
        this.pinNumber(pin);
      },
      setWatch: (fn: Watch["fn"], pin: unknown, options?: boolean | { repeat?: boolean; edge?: unknown; debounce?: number }): number => {
        if (typeof fn !== "function") throw new TypeError("Function or String not supplied!");
        const n = this.pinNumber(pin);
        // src/jswrap_io.c: a boolean third argument is `repeat`; the board's button (BTN1 = D0
        // on ESP32) defaults to edge "rising" and a 25 ms debounce, other pins to "both" and 0.
        const o = typeof options === "object" && options ? options : { repeat: !!options };
        let edge: Watch["edge"] = n === BUTTON_PIN ? "rising" : "both";
        if (o.edge !== undefined) {
          if (o.edge === "rising" || (typeof o.edge === "number" && o.edge > 0)) edge = "rising";
          else if (o.edge === "falling" || (typeof o.edge === "number" && o.edge < 0)) edge = "falling";
          else if (o.edge === "both" || o.edge === 0) edge = "both";
          else throw new TypeError("'edge' in setWatch should be 1, -1, 0, 'rising', 'falling' or 'both'");
        }
        const debounce = o.debounce !== undefined ? Math.max(0, Number(o.debounce) || 0) : n === BUTTON_PIN ? 25 : 0;
        const w: Watch = {
          id: this.nextId++, pin: n, fn, repeat: !!o.repeat, edge, debounce,
          reported: this.read(n), lastTime: undefined, settle: undefined,
        };
        this.watches.push(w);
        return w.id;
      },
      // Espruino: clearWatch() clears them all; clearWatch(undefined) and an unknown id throw.
      clearWatch: (...args: unknown[]): void => {
        if (args.length === 0) {
          this.clearAll();
          return;
        }
        const id = args[0];
        if (id === undefined) throw new Error("clearWatch(undefined) not allowed. Use clearWatch() instead");
        if (!this.watches.some((w) => w.id === id)) throw new Error("Unknown Watch " + String(id));
        this.remove((w) => w.id === id);
      },
    };
    for (let i = 0; i < PIN_COUNT; i++) g["D" + i] = i;
    return g;
  }
}

/** A push button between a pin and ground. */
export class Button {
  constructor(private gpio: Gpio, private clock: Clock, readonly pin: number) {}

  get pressed(): boolean {
    return !this.gpio.level(this.pin);
  }

  press(): void {
    this.gpio.drive(this.pin, false);
  }

  release(): void {
    this.gpio.drive(this.pin, true);
  }

  /** Press, keep it down for `ms` on the board's clock, release. */
  hold(ms: number): void {
    this.press();
    this.clock.advance(ms);
    this.release();
  }

  /** A short press: down for 100 ms. */
  click(): void {
    this.hold(100);
  }

  /** A contact that chatters: `flips` level changes `everyMs` apart, ending at `finalPressed`. */
  bounce(flips: number, everyMs: number, finalPressed: boolean): void {
    for (let i = 0; i < flips; i++) {
      this.gpio.drive(this.pin, !this.gpio.level(this.pin));
      this.clock.advance(everyMs);
    }
    this.gpio.drive(this.pin, !finalPressed);
  }
}
