// What a provider sees of a request and what it answers, free of node:http.

import type { Endpoint } from "./types.ts";

export interface Ctx {
  method: string;
  /** Path below the provider's prefix. */
  path: string;
  query: Record<string, string>;
  form: Record<string, unknown>;
  /** A request header, read when needed and never recorded. */
  header(name: string): string | undefined;
  now: number;
  /** The provider's base URL as it names itself in links (http://127.0.0.1:PORT/kinde, or MockOptions.publicBase). */
  base: string;
  /** The base's path, as a browser's form posts to it ("/kinde"). */
  prefix: string;
}

export interface Reply {
  status: number;
  body: string;
  type: string;
  headers?: Record<string, string>;
  outcome: string;
}

export interface Provider {
  /** What a request is for, decided before any fault is applied. */
  endpoint(ctx: Ctx): Endpoint;
  handle(ctx: Ctx): Reply;
  /** The provider's slow_down answer; on a poll of a known code the provider then expects interval + 5 (RFC 8628 §3.5). */
  slowDown(ctx: Ctx): Reply;
  /** A token reply with a token no endpoint accepts: the body that "truncate" cuts and "malformed" breaks. */
  fakeSuccess(): Record<string, unknown>;
}

export function json(status: number, value: unknown, outcome: string, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), type: "application/json; charset=utf-8", headers, outcome };
}

export function html(status: number, body: string, outcome: string): Reply {
  return { status, body, type: "text/html; charset=utf-8", outcome };
}

/** A string member of a parsed body or query, else undefined. */
export function field(form: Record<string, unknown>, name: string): string | undefined {
  const v = form[name];
  return typeof v === "string" ? v : undefined;
}

/** The token of an `Authorization: Bearer …` header (RFC 6750 §2.1; the scheme is case-insensitive). */
export function bearer(ctx: Ctx): string | undefined {
  const h = ctx.header("authorization");
  const m = h ? /^bearer +(\S+)\s*$/i.exec(h) : null;
  return m ? m[1] : undefined;
}

/** A body (form or JSON object) as a record; anything else is empty. */
export function parseBody(contentType: string | undefined, body: string): Record<string, unknown> {
  if (!body) return {};
  if (contentType && /json/i.test(contentType)) {
    try {
      const v: unknown = JSON.parse(body);
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}
