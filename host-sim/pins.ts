// GPIO as the firmware sees it: pins D0…D39 (BTN is D0, the ESP32's boot button),
// digitalRead, pinMode, setWatch and clearWatch; and a Button that tests press, hold,
// release and bounce. The button pulls its pin low while pressed, as the boot button does.
import type { Clock } from "./clock.ts";

export const PIN_COUNT = 40;

interface Watch {
  id: number;
  pin: number;
  fn: (e: { state: boolean; time: number; lastTime: number | undefined }) => void;
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

  constructor(private clock: Clock) {
    for (let i = 0; i < PIN_COUNT; i++) {
      this.levels.push(true); // pulled up: a button is released
    }
  }

  read(pin: number): boolean {
    return this.levels[pin];
  }

  /** Sets the level a pin's outside world drives it to; watches see the edge. */
  drive(pin: number, level: boolean): void {
    if (this.levels[pin] === level) return;
    this.levels[pin] = level;
    for (const w of this.watches.slice()) {
      if (w.pin !== pin) continue;
      if (w.debounce > 0) {
        // Report only when the level has held still for `debounce` ms.
        if (w.settle !== undefined) this.clock.clear(w.settle);
        w.settle = this.clock.add(() => {
          w.settle = undefined;
          this.report(w, this.levels[pin]);
        }, w.debounce, false);
      } else {
        this.report(w, level);
      }
    }
  }

  private report(w: Watch, state: boolean): void {
    if (state === w.reported) return;
    w.reported = state;
    if (w.edge === "rising" && !state) return;
    if (w.edge === "falling" && state) return;
    if (!this.watches.includes(w)) return;
    if (!w.repeat) this.watches = this.watches.filter((x) => x !== w);
    const time = this.clock.getTime();
    const lastTime = w.lastTime;
    w.lastTime = time;
    w.fn({ state, time, lastTime });
  }

  pinNumber(pin: unknown): number {
    // On the device `typeof D0` is "number": a pin is its GPIO number.
    const n = typeof pin === "number" ? pin : NaN;
    if (!(n >= 0 && n < PIN_COUNT && n === Math.floor(n))) throw new TypeError("Invalid pin: " + String(pin));
    return n;
  }

  clearAll(): void {
    this.watches = [];
  }

  globals(): Record<string, unknown> {
    const g: Record<string, unknown> = {
      BTN: 0,
      digitalRead: (pin: unknown): number => (this.read(this.pinNumber(pin)) ? 1 : 0),
      pinMode: (pin: unknown): void => {
        this.pinNumber(pin);
      },
      setWatch: (fn: Watch["fn"], pin: unknown, options?: { repeat?: boolean; edge?: string; debounce?: number }): number => {
        if (typeof fn !== "function") throw new TypeError("Function or String not supplied!");
        const n = this.pinNumber(pin);
        const o = options || {};
        const edge = o.edge === "rising" || o.edge === "falling" ? o.edge : "both";
        const w: Watch = {
          id: this.nextId++, pin: n, fn, repeat: !!o.repeat, edge, debounce: Math.max(0, Number(o.debounce) || 0),
          reported: this.levels[n], lastTime: undefined, settle: undefined,
        };
        this.watches.push(w);
        return w.id;
      },
      clearWatch: (id?: unknown): void => {
        if (id === undefined) this.watches = [];
        else this.watches = this.watches.filter((w) => w.id !== id);
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
    return !this.gpio.read(this.pin);
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
      this.gpio.drive(this.pin, !this.gpio.read(this.pin));
      this.clock.advance(everyMs);
    }
    this.gpio.drive(this.pin, !finalPressed);
  }
}
