// host-sim/pins.ts: GPIO, setWatch/clearWatch and a button on the board's clock. Semantics
// follow Espruino's source (src/jswrap_io.c setWatch, src/jsinteractive.c watch events and
// debounce) and were checked on the 2v29 interpreter where Linux allows it (ids, errors).
import { describe, expect, it } from "vitest";
import { Clock } from "../host-sim/clock.ts";
import { Board } from "../host-sim/board.ts";
import { Button, Gpio, PIN_COUNT } from "../host-sim/pins.ts";

interface WatchEvent {
  state: boolean;
  time: number;
  lastTime: number | undefined;
  pin: number;
}
type SetWatch = (fn: (e: WatchEvent) => void, pin: unknown, options?: unknown) => number;
type ClearWatch = (id?: unknown) => void;

const PIN = 5;

function setup(pin = PIN) {
  const clock = new Clock();
  const gpio = new Gpio(clock);
  const button = new Button(gpio, clock, pin);
  const g = gpio.globals();
  const setWatch = g.setWatch as SetWatch;
  const clearWatch = g.clearWatch as ClearWatch;
  const events: WatchEvent[] = [];
  const record = (e: WatchEvent): void => {
    events.push(e);
  };
  return { clock, gpio, button, g, setWatch, clearWatch, events, record };
}

describe("setWatch edges", () => {
  it('edge "both": press is falling (state false), release is rising (state true)', () => {
    const { clock, button, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both" });
    button.press();
    clock.advance(100);
    button.release();
    expect(events.map((e) => e.state)).toEqual([false, true]);
    expect(events.every((e) => e.pin === PIN)).toBe(true);
  });

  it('"falling" reports only presses, "rising" only releases', () => {
    const { button, setWatch } = setup();
    const falling: boolean[] = [];
    const rising: boolean[] = [];
    setWatch((e) => falling.push(e.state), PIN, { repeat: true, edge: "falling" });
    setWatch((e) => rising.push(e.state), PIN, { repeat: true, edge: "rising" });
    button.click();
    button.click();
    expect(falling).toEqual([false, false]);
    expect(rising).toEqual([true, true]);
  });

  it("numeric edges 1/-1/0 mean rising/falling/both; anything else throws the device's TypeError", () => {
    const { button, setWatch } = setup();
    const seen: string[] = [];
    setWatch((e) => seen.push("r" + +e.state), PIN, { repeat: true, edge: 1 });
    setWatch((e) => seen.push("f" + +e.state), PIN, { repeat: true, edge: -1 });
    setWatch((e) => seen.push("b" + +e.state), PIN, { repeat: true, edge: 0 });
    button.click();
    expect(seen).toEqual(["f0", "b0", "r1", "b1"]);
    expect(() => setWatch(() => {}, PIN, { edge: "up" })).toThrow(
      "'edge' in setWatch should be 1, -1, 0, 'rising', 'falling' or 'both'",
    );
  });

  it("a watch only hears its own pin", () => {
    const { gpio, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both" });
    gpio.drive(PIN + 1, false);
    expect(events).toEqual([]);
  });

  it("driving a pin to the level it already has is no edge", () => {
    const { gpio, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both" });
    gpio.drive(PIN, true);
    expect(events).toEqual([]);
  });
});

describe("repeat", () => {
  it("repeat:false (the default) fires once, then the watch is gone", () => {
    const { button, setWatch, clearWatch, events, record } = setup();
    const id = setWatch(record, PIN, { edge: "falling" });
    button.click();
    button.click();
    expect(events).toHaveLength(1);
    // Gone: clearing it is an unknown watch on the device.
    expect(() => clearWatch(id)).toThrow("Unknown Watch " + id);
  });

  it("a boolean third argument is repeat", () => {
    const { button, setWatch, events, record } = setup();
    setWatch(record, PIN, true);
    button.click();
    button.click();
    expect(events).toHaveLength(4);
  });
});

describe("clearWatch", () => {
  it("clearWatch(id) stops that watch only", () => {
    const { button, setWatch, clearWatch } = setup();
    const a: boolean[] = [];
    const b: boolean[] = [];
    const ida = setWatch((e) => a.push(e.state), PIN, { repeat: true, edge: "both" });
    setWatch((e) => b.push(e.state), PIN, { repeat: true, edge: "both" });
    clearWatch(ida);
    button.click();
    expect(a).toEqual([]);
    expect(b).toEqual([false, true]);
  });

  it("clearWatch() stops them all", () => {
    const { button, setWatch, clearWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both" });
    setWatch(record, PIN + 1, { repeat: true, edge: "both" });
    clearWatch();
    button.click();
    expect(events).toEqual([]);
  });

  it("clearWatch(undefined) and an unknown id throw, as on the device", () => {
    const { button, setWatch, clearWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both" });
    expect(() => clearWatch(undefined)).toThrow("clearWatch(undefined) not allowed. Use clearWatch() instead");
    expect(() => clearWatch(12345)).toThrow("Unknown Watch 12345");
    button.click();
    expect(events).toHaveLength(2);
  });

  it("watch ids are numbers counting up from 1", () => {
    const { setWatch } = setup();
    expect(setWatch(() => {}, PIN, { repeat: true })).toBe(1);
    expect(setWatch(() => {}, PIN, { repeat: true })).toBe(2);
  });
});

describe("debounce", () => {
  it("a contact bouncing 6 times 2 ms apart, ending pressed, gives one press after the debounce time", () => {
    const { clock, button, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both", debounce: 50 });
    clock.advance(1000);
    button.bounce(6, 2, true); // edges at 1000..1012 ms, the last (pressed) at 1012
    expect(events).toEqual([]);
    clock.advance(49);
    expect(events).toEqual([]); // 1061: not yet 50 ms since the last edge
    clock.advance(1);
    expect(events).toHaveLength(1);
    expect(events[0].state).toBe(false);
    clock.advance(1000);
    expect(events).toHaveLength(1);
  });

  it("reports the time of the last edge, not of the moment it settled (Espruino's debounce)", () => {
    const { clock, button, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both", debounce: 50 });
    clock.advance(1000);
    button.bounce(6, 2, true);
    clock.advance(100);
    expect(events[0].time).toBeCloseTo(1.012, 9);
  });

  it("no event when the bouncing ends released, where it started", () => {
    const { clock, button, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both", debounce: 50 });
    button.bounce(6, 2, false);
    clock.advance(1000);
    expect(events).toEqual([]);
    expect(button.pressed).toBe(false);
  });

  it("without debounce every bounce is an event", () => {
    const { clock, button, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both" });
    button.bounce(6, 2, true);
    clock.advance(100);
    expect(events.map((e) => e.state)).toEqual([false, true, false, true, false, true, false]);
  });

  it("the boot button D0 defaults to edge rising and 25 ms debounce (BTN1 on ESP32), and rising is the press", () => {
    const { clock, button, setWatch, events, record } = setup(0);
    setWatch(record, 0, { repeat: true });
    button.press();
    clock.advance(24);
    expect(events).toEqual([]);
    clock.advance(1);
    // D0 is negated: pressed pulls it low, and the firmware sees true
    expect(events.map((e) => e.state)).toEqual([true]);
    button.release();
    clock.advance(100);
    expect(events.length).toBe(1);
  });

  it("digitalRead(D0) is 1 while the boot button is pressed, 0 while released (negated pin)", () => {
    const { button, gpio } = setup(0);
    const digitalRead = gpio.globals().digitalRead as (pin: unknown) => number;
    expect(digitalRead(0)).toBe(0);
    button.press();
    expect(digitalRead(0)).toBe(1);
    expect(gpio.level(0)).toBe(false);
    button.release();
    expect(digitalRead(0)).toBe(0);
  });
});

describe("event times", () => {
  it("time and lastTime are seconds on the board's clock; lastTime undefined at first", () => {
    const { clock, button, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "both" });
    clock.advance(1500);
    button.hold(250);
    expect(events).toHaveLength(2);
    expect(events[0].time).toBe(1.5);
    expect(events[0].lastTime).toBeUndefined();
    expect(events[1].time).toBe(1.75);
    expect(events[1].lastTime).toBe(1.5);
    expect(events[1].time - events[1].lastTime!).toBeCloseTo(0.25, 9);
  });

  it("lastTime follows every edge, also those the watch filters out: rising e.time - e.lastTime is the hold", () => {
    const { clock, button, setWatch, events, record } = setup();
    setWatch(record, PIN, { repeat: true, edge: "rising" });
    clock.advance(1000);
    button.hold(3000); // pressed 1.0 s .. released 4.0 s
    expect(events).toHaveLength(1);
    expect(events[0].time).toBe(4);
    expect(events[0].lastTime).toBe(1);
  });
});

describe("pins", () => {
  it("are numbers, D0 === 0 … D39 === 39", () => {
    const { g } = setup();
    expect(PIN_COUNT).toBe(40);
    expect(g.D0).toBe(0);
    expect(typeof g.D21).toBe("number");
    expect(g.D21).toBe(21);
    expect(g.D39).toBe(39);
    expect(g.D40).toBeUndefined();
    expect(g.BTN).toBeUndefined(); // not in dialect/espruino.mjs GLOBALS
  });

  it("digitalRead reads 1 while released (pulled up), 0 while pressed", () => {
    const { g, button } = setup();
    const digitalRead = g.digitalRead as (pin: unknown) => number;
    expect(digitalRead(PIN)).toBe(1);
    button.press();
    expect(button.pressed).toBe(true);
    expect(digitalRead(PIN)).toBe(0);
    button.release();
    expect(digitalRead(PIN)).toBe(1);
  });

  it("an invalid pin throws", () => {
    const { g, setWatch } = setup();
    const digitalRead = g.digitalRead as (pin: unknown) => number;
    const pinMode = g.pinMode as (pin: unknown) => void;
    for (const bad of [40, 99, -1, 1.5, undefined, "D3"]) {
      expect(() => digitalRead(bad)).toThrow(/Invalid pin/);
      expect(() => setWatch(() => {}, bad, { repeat: true })).toThrow(/Invalid pin/);
    }
    expect(() => pinMode(40)).toThrow(/Invalid pin/);
    expect(() => setWatch(42 as unknown as () => void, PIN)).toThrow("Function or String not supplied!");
  });
});

describe("watch callbacks on the board", () => {
  it("an exception in a watch is reported as uncaught and the board runs on", () => {
    const board = new Board();
    board.boot(
      "setWatch(function () { throw new Error('pressed wrong'); }, 0, { repeat: true, edge: 'rising' });" +
        "setWatch(function () { print('second watch'); }, 0, { repeat: true, edge: 'rising' });" +
        "setTimeout(function () { print('timer ran'); }, 50);",
    );
    board.button.press();
    board.advance(100);
    expect(board.console.lines).toEqual(["Uncaught Error: pressed wrong", "    at :1:32", "throw new Error('pressed wrong');", " ".repeat(31) + "^", "second watch", "timer ran"]);
    expect(board.uncaught.length).toBe(1);
  });

  it("promise jobs queued by a watch run when the watch's task ends, before the next timer", () => {
    const board = new Board();
    board.boot(
      "setWatch(function () { Promise.resolve('job').then(print); print('watch'); }, 0, { edge: 'rising', debounce: 0 });" +
        "setTimeout(function () { print('timer'); }, 10);",
    );
    board.button.press();
    expect(board.console.lines).toEqual(["watch", "job"]);
    board.advance(20);
    expect(board.console.lines).toEqual(["watch", "job", "timer"]);
  });
});
