// Fault switches: a queue per provider, consumed in order by the requests each fault targets.

import type { Endpoint, Fault, FaultKind, FaultTarget } from "./types.ts";

const TARGETS: FaultTarget[] = ["start", "poll", "userinfo", "refresh", "any"];
const KINDS: FaultKind[] = ["slow_down", "status", "retry_after", "hold", "truncate", "malformed", "huge", "drop"];
/** The endpoints "any" covers: the provider's API, never its pages or the mock's controls. */
const API: Endpoint[] = ["start", "poll", "userinfo", "refresh", "revoke"];

/** A fault as given (by a test or as JSON over HTTP), checked and with its defaults. */
export function checkFault(f: unknown): Required<Fault> {
  const o = (f && typeof f === "object" ? f : {}) as Record<string, unknown>;
  const on = o.on as FaultTarget;
  const kind = o.kind as FaultKind;
  if (!TARGETS.includes(on)) throw new Error("fault.on must be one of " + TARGETS.join(", "));
  if (!KINDS.includes(kind)) throw new Error("fault.kind must be one of " + KINDS.join(", "));
  const times = o.times === undefined ? 1 : o.times;
  if (typeof times !== "number" || !Number.isInteger(times) || times < 1) throw new Error("fault.times must be a whole number ≥ 1");
  const allowed = kind === "retry_after" ? [429, 503] : kind === "status" ? [500, 502, 503] : [];
  const status = o.status === undefined ? (kind === "retry_after" ? 429 : 503) : o.status;
  if (allowed.length && !allowed.includes(status as number)) throw new Error("fault.status for " + kind + " must be one of " + allowed.join(", "));
  const retryAfter = o.retryAfter === undefined ? 30 : o.retryAfter;
  if (typeof retryAfter !== "number" || !Number.isInteger(retryAfter) || retryAfter < 0) throw new Error("fault.retryAfter must be whole seconds ≥ 0");
  return { on, kind, times, status: status as number, retryAfter };
}

export class FaultQueue {
  private queue: Required<Fault>[] = [];

  add(f: Fault): void {
    this.queue.push(checkFault(f));
  }

  clear(): void {
    this.queue = [];
  }

  /** The fault that hits a request for `endpoint`, if any; it is used up after `times` hits. */
  take(endpoint: Endpoint): Required<Fault> | undefined {
    const i = this.queue.findIndex((f) => f.on === endpoint || (f.on === "any" && API.includes(endpoint)));
    if (i < 0) return undefined;
    const f = this.queue[i];
    if (--f.times === 0) this.queue.splice(i, 1);
    return { ...f };
  }
}
