// print() and console.log(): what the firmware writes to its console, kept line by line.
// Espruino's console.log joins its arguments with spaces and prints objects as JSON-ish text.

import type { Realm } from "./realm.ts";

function show(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined) return "undefined";
  if (typeof v === "function") return "function";
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

export class ConsoleLog {
  readonly lines: string[] = [];
  onLine: (line: string) => void = () => {};

  write(args: unknown[]): void {
    const text = args.map(show).join(" ");
    for (const line of text.split("\n")) {
      this.lines.push(line);
      this.onLine(line);
    }
  }

  globals(realm: Realm): Record<string, unknown> {
    const log = (...args: unknown[]): void => this.write(args);
    return { print: realm.adopt(log), console: realm.library({ log }) };
  }
}
