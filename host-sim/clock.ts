// Espruino's timers (setTimeout, setInterval, clearTimeout, clearInterval, changeInterval),
// getTime() and Date, on one clock that tests drive by hand or that follows real time.
//
// Espruino runs timers from its idle loop (jsiIdle, src/jsinteractive.c in 2v29): each turn
// runs every timer then due, one callback at a time, and only then the queued events, which
// hold the promise jobs (jswrap_promise.c queues a reaction with jsiQueueEvents). So a promise
// resolved by the boot code or by a timer settles after all the timers due in that turn. Here
// a turn is every timer due at one instant; the board runs the promise jobs after it
// (afterCallback). An exception in one callback is reported as "Uncaught …" on the console
// and the others still run.

import type { Realm } from "./realm.ts";

interface Timer {
  id: number;
  due: number;
  interval: number;
  fn: () => void;
  repeat: boolean;
  /** The board's own (a watch's debounce): out of the firmware's reach, as on the device. */
  internal: boolean;
}

/** The longest wait setTimeout/setInterval take on 2v29, ms (src/jsinteractive.h). */
export const TIMER_MAX_INTERVAL = 31536000001000;

export class Clock {
  /** Milliseconds since the board powered up. */
  private nowMs = 0;
  /**
   * Wall-clock milliseconds at power-up. getTime() and Date read the same clock on the
   * device; an ESP32 whose time was never set starts at 0 (1970).
   */
  epochMs = 0;
  private timers: Timer[] = [];
  private nextId = 1;
  private realTimer: NodeJS.Timeout | undefined;
  private realBase = 0;
  private real = false;
  /** A timer's callback is running (catchUp() then waits for the turn to end). */
  private firing = false;
  /** Called with every exception a callback threw (the board reports it on the console). */
  onUncaught: (err: unknown) => void = () => {};
  /** Called after every turn of timers ran, so the board runs promise jobs and looks at what changed. */
  afterCallback: () => void = () => {};

  get now(): number {
    return this.nowMs;
  }

  /** Seconds on the device's clock, as Espruino's getTime() gives (a float). */
  getTime(): number {
    return (this.epochMs + this.nowMs) / 1000;
  }

  pending(): number {
    return this.timers.length;
  }

  /** Due time of the next timer in ms since power-up, or undefined. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers) if (min === undefined || t.due < min) min = t.due;
    return min;
  }

  add(fn: () => void, ms: number, repeat: boolean, internal = false): number {
    if (typeof fn !== "function") throw new TypeError("Function or String not supplied!");
    const interval = Math.max(0, Number(ms) || 0);
    const timer: Timer = { id: this.nextId++, due: this.nowMs + interval, interval, fn, repeat, internal };
    this.timers.push(timer);
    this.wakeReal();
    return timer.id;
  }

  /** Clears a firmware timer; the board's own timers are cleared with `internal` only. */
  clear(id: unknown, internal = false): void {
    this.timers = this.timers.filter((t) => t.id !== id || t.internal !== internal);
  }

  /** clearTimeout() with no argument: every firmware timer, none of the board's own. */
  clearFirmwareTimers(): void {
    this.timers = this.timers.filter((t) => t.internal);
  }

  /**
   * Espruino's changeInterval: the timer next fires `ms` from now and then every `ms`. On the
   * device this also turns a setTimeout into a repeating timer, and an unknown id throws.
   */
  change(id: unknown, ms: number): void {
    const t = this.timers.find((x) => x.id === id && !x.internal);
    if (!t) throw new Error("Unknown Interval");
    t.repeat = true;
    t.interval = Math.max(0, Number(ms) || 0);
    t.due = this.nowMs + t.interval;
    this.wakeReal();
  }

  clearAll(): void {
    this.timers = [];
  }

  /** Runs every timer due within the next `ms` milliseconds, in turns, moving the clock along. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      const t = this.earliest();
      if (!t || t.due > end) break;
      this.nowMs = Math.max(this.nowMs, t.due);
      this.turn();
    }
    this.nowMs = end;
  }

  /**
   * One turn of the idle loop's timers: every timer due now, in the order they were made (the
   * device's timer list), then afterCallback. A timer made during the turn waits for the next.
   */
  turn(): void {
    const due = this.timers.filter((t) => t.due <= this.nowMs);
    for (const t of due) if (this.timers.includes(t) && t.due <= this.nowMs) this.fire(t);
    this.afterCallback();
  }

  /** Runs timers until none is left or `limitMs` has passed; returns the time moved. */
  runUntilIdle(limitMs: number): number {
    const start = this.nowMs;
    for (;;) {
      const t = this.earliest();
      if (!t || t.due - start > limitMs) break;
      this.nowMs = Math.max(this.nowMs, t.due);
      this.turn();
    }
    return this.nowMs - start;
  }

  /**
   * Brings the clock to now before the board handles something from outside (a socket's
   * bytes, a WiFi event), running the timers due by then. Following real time, the clock
   * otherwise moves only when a timer is due or every 250 ms, and a timeout set while handling
   * a reply would start from a time up to 250 ms past: a poll timed from the reply would reach
   * the server that much early. On the device the clock is always now. With a clock driven by
   * hand, this runs the timers due now.
   */
  catchUp(): void {
    if (this.firing) return;
    this.advance(this.real ? Math.max(0, Date.now() - this.realBase - this.nowMs) : 0);
  }

  /** Follow the host's real time until stopRealTime(). */
  startRealTime(): void {
    this.real = true;
    this.realBase = Date.now() - this.nowMs;
    this.realTimer = setTimeout(() => this.realTick(), 0);
  }

  stopRealTime(): void {
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    this.real = false;
  }

  private realTick(): void {
    this.realTimer = undefined;
    this.advance(Math.max(0, Date.now() - this.realBase - this.nowMs));
    this.scheduleReal();
  }

  private scheduleReal(): void {
    if (!this.real || this.realTimer) return;
    const due = this.nextDue();
    const wait = due === undefined ? 250 : Math.min(250, Math.max(0, due - this.nowMs));
    this.realTimer = setTimeout(() => this.realTick(), wait);
  }

  private wakeReal(): void {
    if (!this.real) return;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    this.scheduleReal();
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (!best || t.due < best.due) best = t;
    return best;
  }

  /** The firmware's timer functions, getTime and Date, for a board's realm. */
  globals(realm: Realm): Record<string, unknown> {
    const clearTimer = (name: string, args: unknown[]): void => {
      // 2v29 refuses clearTimeout(undefined): a stale handle is a bug on the device.
      if (args.length > 0 && args[0] === undefined) {
        throw new realm.Error(name + "(undefined) not allowed. Use " + name + "() instead");
      }
      if (args.length === 0) this.clearFirmwareTimers();
      else this.clear(args[0]);
    };
    const RealDate = realm.global.Date as DateConstructor;
    const makeDate = realm.run(
      "(function (RealDate, now) {" +
        " function Date() {" +
        "   if (!(this instanceof Date)) return new RealDate(now()).toString();" +
        "   var a = arguments;" +
        "   if (a.length === 0) return new RealDate(now());" +
        "   return new (Function.prototype.bind.apply(RealDate, [null].concat([].slice.call(a))))();" +
        " }" +
        " Date.prototype = RealDate.prototype;" +
        " Date.now = function () { return now(); };" +
        " Date.parse = RealDate.parse;" +
        " return Date; })",
      "clock.js",
    ) as (d: DateConstructor, now: () => number) => DateConstructor;
    // jswrap_interactive.c: a wait over TIMER_MAX_INTERVAL (jsinteractive.h: 31536000001000 ms,
    // "100 years" in the message) throws, as does Infinity; NaN and negatives are the minimum.
    const checked = (ms: number): number => {
      if (Number(ms) > TIMER_MAX_INTERVAL) throw new realm.Error("Interval is too long (>100 years)");
      return ms;
    };
    return {
      getTime: () => this.getTime(),
      setTimeout: (fn: () => void, ms: number) => this.add(fn, checked(ms), false),
      setInterval: (fn: () => void, ms: number) => this.add(fn, checked(ms), true),
      clearTimeout: (...args: unknown[]) => clearTimer("clearTimeout", args),
      clearInterval: (...args: unknown[]) => clearTimer("clearInterval", args),
      changeInterval: (id: unknown, ms: number) => {
        try {
          this.change(id, ms);
        } catch (err) {
          throw new realm.Error((err as Error).message);
        }
      },
      Date: makeDate(RealDate, realm.adopt(() => this.epochMs + this.nowMs)),
    };
  }

  private fire(t: Timer): void {
    if (t.repeat) t.due += Math.max(1, t.interval);
    else this.clear(t.id, t.internal);
    this.firing = true;
    try {
      t.fn();
    } catch (err) {
      this.onUncaught(err);
    } finally {
      this.firing = false;
    }
  }
}
