// host-sim/clock.ts: Espruino's timers on a clock the tests drive. Expected orders and
// behaviours were checked on the real 2v29 interpreter (/work/espruino-bin/run.sh).
import { describe, expect, it } from "vitest";
import { Board } from "../host-sim/board.ts";
import { Clock } from "../host-sim/clock.ts";

/** A clock and a log that callbacks write "label@ms" into. */
function setup(): { clock: Clock; log: string[]; mark: (label: string) => () => void } {
  const clock = new Clock();
  const log: string[] = [];
  const mark = (label: string) => () => {
    log.push(label + "@" + clock.now);
  };
  return { clock, log, mark };
}

describe("setTimeout order", () => {
  it("runs timers by due time, and equal due times in order of creation", () => {
    // Device: A(10) B(10) C(5) D(0) E(10) printed D, C, A, B, E.
    const { clock, log, mark } = setup();
    clock.add(mark("A"), 10, false);
    clock.add(mark("B"), 10, false);
    clock.add(mark("C"), 5, false);
    clock.add(mark("D"), 0, false);
    clock.add(mark("E"), 10, false);
    clock.advance(100);
    expect(log).toEqual(["D@0", "C@5", "A@10", "B@10", "E@10"]);
  });

  it("does not run a timer before its due time", () => {
    const { clock, log, mark } = setup();
    clock.add(mark("T"), 50, false);
    clock.advance(49);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(["T@50"]);
    expect(clock.pending()).toBe(0);
  });

  it("gives increasing numeric ids, never reusing a cleared one (as the device: 1,2,3 then 7)", () => {
    const { clock, mark } = setup();
    const a = clock.add(mark("a"), 10, false);
    const b = clock.add(mark("b"), 10, false);
    clock.clear(a);
    const c = clock.add(mark("c"), 10, false);
    expect(typeof a).toBe("number");
    expect([a, b, c]).toEqual([1, 2, 3]);
  });

  it("treats a negative delay as 0", () => {
    const { clock, log, mark } = setup();
    clock.add(mark("neg"), -5, false);
    clock.advance(0);
    expect(log).toEqual(["neg@0"]);
  });

  it("refuses something that is not a function", () => {
    const { clock } = setup();
    expect(() => clock.add(42 as unknown as () => void, 10, false)).toThrow("Function or String not supplied!");
  });
});

describe("setInterval", () => {
  it("repeats at its interval until cleared", () => {
    const { clock, log } = setup();
    let n = 0;
    const id = clock.add(() => {
      n++;
      log.push("iv" + n + "@" + clock.now);
      if (n === 3) clock.clear(id);
    }, 30, true);
    clock.advance(1000);
    expect(log).toEqual(["iv1@30", "iv2@60", "iv3@90"]);
    expect(clock.pending()).toBe(0);
  });

  it("keeps its schedule when interleaved with timeouts", () => {
    const { clock, log, mark } = setup();
    clock.add(mark("I"), 20, true);
    clock.add(mark("T"), 30, false);
    clock.advance(65);
    expect(log).toEqual(["I@20", "T@30", "I@40", "I@60"]);
    expect(clock.now).toBe(65);
  });
});

describe("clearTimeout / clearInterval", () => {
  it("a cleared timeout never runs; clearing it again or an unknown id is harmless", () => {
    const { clock, log, mark } = setup();
    const x = clock.add(mark("x"), 20, false);
    clock.add(mark("y"), 20, false);
    clock.clear(x);
    clock.clear(x);
    clock.clear(9999);
    clock.advance(100);
    expect(log).toEqual(["y@20"]);
  });

  it("an interval cleared from outside stops repeating", () => {
    const { clock, log, mark } = setup();
    const id = clock.add(mark("I"), 10, true);
    clock.advance(25);
    clock.clear(id);
    clock.advance(100);
    expect(log).toEqual(["I@10", "I@20"]);
  });

  it("clearAll drops every timer", () => {
    const { clock, log, mark } = setup();
    clock.add(mark("a"), 10, false);
    clock.add(mark("b"), 10, true);
    clock.clearAll();
    expect(clock.pending()).toBe(0);
    clock.advance(100);
    expect(log).toEqual([]);
  });
});

describe("changeInterval", () => {
  it("next run is the new interval from now, then every new interval", () => {
    // Device: interval 50, changeInterval(iv,100) in its first run at 51 → runs at 151, 251.
    const { clock, log } = setup();
    let n = 0;
    const id = clock.add(() => {
      n++;
      log.push("iv" + n + "@" + clock.now);
      if (n === 1) clock.change(id, 100);
      if (n === 3) clock.clear(id);
    }, 50, true);
    clock.advance(1000);
    expect(log).toEqual(["iv1@50", "iv2@150", "iv3@250"]);
  });

  it("changed from outside takes effect from the time of the change", () => {
    const { clock, log, mark } = setup();
    const id = clock.add(mark("I"), 50, true);
    clock.advance(20);
    clock.change(id, 10);
    clock.advance(25);
    expect(log).toEqual(["I@30", "I@40"]);
  });

  it("turns a setTimeout into a repeating timer, as on the device", () => {
    // Device: setTimeout(f,500); changeInterval at 100 to 300 → f at 400, 700, 1000, …
    const { clock, log, mark } = setup();
    const id = clock.add(mark("to"), 500, false);
    clock.advance(100);
    clock.change(id, 300);
    clock.advance(1000);
    expect(log).toEqual(["to@400", "to@700", "to@1000"]);
  });

  it("throws Unknown Interval for an id that is not a timer", () => {
    const { clock, mark } = setup();
    const id = clock.add(mark("x"), 10, false);
    clock.advance(10);
    expect(() => clock.change(id, 5)).toThrow("Unknown Interval");
    expect(() => clock.change(77, 5)).toThrow("Unknown Interval");
  });
});

describe("getTime", () => {
  it("is seconds since power-up as a float", () => {
    const { clock } = setup();
    expect(clock.getTime()).toBe(0);
    clock.advance(1234);
    expect(clock.getTime()).toBeCloseTo(1.234, 10);
    expect(Number.isInteger(clock.getTime())).toBe(false);
    expect(clock.now).toBe(1234);
  });

  it("inside a callback it is the callback's due time", () => {
    const { clock } = setup();
    const seen: number[] = [];
    clock.add(() => seen.push(clock.getTime()), 250, false);
    clock.add(() => seen.push(clock.getTime()), 1500, false);
    clock.advance(2000);
    expect(seen).toEqual([0.25, 1.5]);
    expect(clock.getTime()).toBe(2);
  });
});

describe("exceptions in callbacks", () => {
  it("go to onUncaught and later timers still run; a throwing interval keeps repeating", () => {
    const { clock, log, mark } = setup();
    const errors: string[] = [];
    clock.onUncaught = (err) => errors.push((err as Error).message + "@" + clock.now);
    clock.add(() => {
      throw new Error("boom");
    }, 15, false);
    clock.add(mark("after"), 16, false);
    let n = 0;
    clock.add(() => {
      n++;
      throw new Error("iv" + n);
    }, 40, true);
    clock.advance(100);
    expect(errors).toEqual(["boom@15", "iv1@40", "iv2@80"]);
    expect(log).toEqual(["after@16"]);
  });

  it("afterCallback runs after each callback, also one that threw", () => {
    const { clock } = setup();
    let ticks = 0;
    clock.afterCallback = () => ticks++;
    clock.add(() => {}, 1, false);
    clock.add(() => {
      throw new Error("x");
    }, 2, false);
    clock.advance(5);
    expect(ticks).toBe(2);
  });
});

describe("advance vs runUntilIdle", () => {
  it("advance moves the clock by exactly ms and leaves later timers pending", () => {
    const { clock, log, mark } = setup();
    clock.add(mark("a"), 100, false);
    clock.add(mark("b"), 5000, false);
    clock.advance(300);
    expect(clock.now).toBe(300);
    expect(log).toEqual(["a@100"]);
    expect(clock.pending()).toBe(1);
    expect(clock.nextDue()).toBe(5000);
  });

  it("runUntilIdle stops at the last timer run, not at the limit, and returns the time moved", () => {
    const { clock, log, mark } = setup();
    clock.add(mark("a"), 100, false);
    clock.add(mark("b"), 5000, false);
    expect(clock.runUntilIdle(60000)).toBe(5000);
    expect(clock.now).toBe(5000);
    expect(log).toEqual(["a@100", "b@5000"]);
    expect(clock.pending()).toBe(0);
  });

  it("runUntilIdle does not run timers beyond its limit", () => {
    const { clock, log, mark } = setup();
    clock.add(mark("a"), 100, false);
    clock.add(mark("late"), 20000, false);
    expect(clock.runUntilIdle(1000)).toBe(100);
    expect(log).toEqual(["a@100"]);
    expect(clock.pending()).toBe(1);
  });

  it("runUntilIdle with an interval pending runs it up to the limit", () => {
    const { clock } = setup();
    let n = 0;
    clock.add(() => n++, 100, true);
    expect(clock.runUntilIdle(1000)).toBe(1000);
    expect(n).toBe(10);
  });
});

describe("timers added from inside a callback", () => {
  it("a 0 ms timer added in a callback runs after a sibling already due at the same time", () => {
    // Device: cb@20 adds setTimeout(…,0); sibling@20 printed before inner0.
    const { clock, log } = setup();
    clock.add(() => {
      log.push("cb@" + clock.now);
      clock.add(() => log.push("inner0@" + clock.now), 0, false);
    }, 20, false);
    clock.add(() => log.push("sibling@" + clock.now), 20, false);
    clock.advance(100);
    expect(log).toEqual(["cb@20", "sibling@20", "inner0@20"]);
  });

  it("a timer added in a callback is timed from the callback's time and runs within the same advance", () => {
    const { clock, log } = setup();
    clock.add(() => {
      clock.add(() => log.push("inner@" + clock.now), 30, false);
    }, 50, false);
    clock.advance(100);
    expect(log).toEqual(["inner@80"]);
  });

  it("a chain of timeouts beyond the advance window waits for the next advance", () => {
    const { clock, log } = setup();
    const step = (k: number): void => {
      log.push("s" + k + "@" + clock.now);
      if (k < 5) clock.add(() => step(k + 1), 40, false);
    };
    clock.add(() => step(1), 40, false);
    clock.advance(100);
    expect(log).toEqual(["s1@40", "s2@80"]);
    clock.advance(100);
    expect(log).toEqual(["s1@40", "s2@80", "s3@120", "s4@160", "s5@200"]);
  });
});

describe("timers and Date on the board", () => {
  it("clearTimeout() with no argument clears every firmware timer but not a watch's debounce", () => {
    const board = new Board();
    board.boot(
      "setTimeout(function () { print('timeout'); }, 10);" +
        "setInterval(function () { print('interval'); }, 10);" +
        "setWatch(function () { print('pressed'); }, 0, { edge: 'rising', debounce: 25 });" +
        "setTimeout(function () { clearTimeout(); print('cleared'); }, 5);",
    );
    board.button.press(); // reported after its 25 ms debounce
    board.advance(100);
    expect(board.console.lines).toEqual(["cleared", "pressed"]);
    expect(board.uncaught).toEqual([]);
  });

  it("firmware cannot clear the board's debounce timer by id", () => {
    const board = new Board();
    board.boot(
      "setWatch(function () { print('pressed'); }, 0, { edge: 'rising', debounce: 25 });" +
        "setTimeout(function () { for (var id = 1; id < 5; id++) { try { clearTimeout(id); } catch (e) {} } }, 5);",
    );
    board.button.press();
    board.advance(100);
    expect(board.console.lines).toEqual(["pressed"]);
  });

  it("Date and getTime() read the board's clock, from 1970 unless the time was set", () => {
    const board = new Board();
    const base = Date.UTC(2026, 10, 22, 12, 0, 0);
    board.clock.epochMs = base;
    board.boot(
      "print(String(Date.now()), new Date().toISOString(), String(Math.round(getTime())), typeof Date.UTC, new Date(0).toISOString());" +
        `setTimeout(function () { print(String(Date.now() - ${base}), String(new Date() instanceof Date)); }, 1500);`,
    );
    board.advance(2000);
    expect(board.console.lines).toEqual([
      `${base} 2026-11-22T12:00:00.000Z ${base / 1000} undefined 1970-01-01T00:00:00.000Z`,
      "1500 true",
    ]);
    const fresh = new Board();
    fresh.boot("print(String(Date.now()))");
    expect(fresh.console.lines).toEqual(["0"]);
  });
});

describe("real time", () => {
  it("fires timers as the host's time passes, and stops cleanly", async () => {
    const clock = new Clock();
    const fired: number[] = [];
    clock.add(() => fired.push(clock.now), 60, false);
    clock.add(() => fired.push(clock.now), 5000, false);
    clock.startRealTime();
    const start = Date.now();
    while (fired.length === 0 && Date.now() - start < 2000) await new Promise((r) => setTimeout(r, 10));
    clock.stopRealTime();
    expect(fired.length).toBe(1);
    expect(fired[0]).toBeGreaterThanOrEqual(60);
    // stopped: the clock no longer moves, and the later timer never fires
    const at = clock.now;
    await new Promise((r) => setTimeout(r, 300));
    expect(clock.now).toBe(at);
    expect(fired.length).toBe(1);
    expect(clock.pending()).toBe(1);
  });
});
