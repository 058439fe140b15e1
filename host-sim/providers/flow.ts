// One provider's device flow state: the codes it issued, the grants people approved, the tokens
// it minted. Providers shape the wire format; the rules every one of them shares live here.

import { randomBytes, randomInt } from "node:crypto";
import type { CodeInfo, TokenInfo } from "./types.ts";

/** RFC 8628 §6.1: base-20 consonants, no vowels (no words) and no look-alikes. */
export const BASE20 = "BCDFGHJKLMNPQRSTVWXZ";

export interface Grant {
  id: number;
  who: string;
  clientId: string;
  scope: string;
  audience?: string;
  /** now() at approval. */
  at: number;
}

interface Token extends TokenInfo {
  grant: Grant;
}

interface Code extends CodeInfo {
  /** Auth0 answers expired_token once, then invalid_grant. */
  expiryReported: boolean;
}

/** What a poll of a known code comes to, before the provider words it. */
export type Verdict = "pending" | "approved" | "denied" | "slow_down" | "expired" | "redeemed";

/** Upper case with everything but letters and digits dropped: "wdjb-mjht " → "WDJBMJHT" (RFC 8628 §6.1). */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

export function randomChars(alphabet: string, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/** An opaque token: 32 random bytes, 43 base64url characters. */
export function opaqueToken(): string {
  return randomBytes(32).toString("base64url");
}

export class DeviceFlow {
  private codeList: Code[] = [];
  private tokenMap = new Map<string, Token>();
  private nextGrant = 1;
  /** User codes to issue before random ones again (issueNext). */
  private queued: string[] = [];

  constructor(
    /** A fresh user code as shown to the person, e.g. "WDJB-MJHT". */
    private readonly userCode: () => string,
    /** A fresh device code. */
    private readonly deviceCode: () => string,
    readonly expiresIn: number,
    readonly interval: number,
  ) {}

  /**
   * The next user codes to issue, in order, before random ones again: a test or a picture
   * that must show a known code (a random one would differ at every run), or a code of another
   * shape than this provider's (nine characters, lower case).
   */
  issueNext(userCodes: string[]): void {
    this.queued = this.queued.concat(userCodes);
  }

  /** A new pending code. The user code is unique among live codes. */
  issue(now: number, clientId: string, scope: string, audience?: string): CodeInfo {
    let userCode = this.queued.length ? (this.queued.shift() as string) : this.userCode();
    while (this.byUserCode(userCode, now)) userCode = this.userCode();
    const code: Code = {
      userCode,
      deviceCode: this.deviceCode(),
      state: "pending",
      clientId,
      scope,
      audience,
      expiresAt: now + this.expiresIn * 1000,
      interval: this.interval,
      polls: 0,
      expiryReported: false,
    };
    this.codeList.push(code);
    return code;
  }

  /** The newest code with this user code, typed by a person (case, dashes, spaces ignored). */
  byUserCode(typed: string, now?: number): Code | undefined {
    const want = normalizeCode(typed);
    for (let i = this.codeList.length - 1; i >= 0; i--) {
      const c = this.codeList[i];
      if (normalizeCode(c.userCode) === want && (now === undefined || now < c.expiresAt)) return c;
    }
    return undefined;
  }

  /** The newest code with exactly this user code, as a device echoes it. */
  byExactUserCode(userCode: string): Code | undefined {
    for (let i = this.codeList.length - 1; i >= 0; i--) if (this.codeList[i].userCode === userCode) return this.codeList[i];
    return undefined;
  }

  byDeviceCode(deviceCode: string): Code | undefined {
    return this.codeList.find((c) => c.deviceCode === deviceCode);
  }

  /** A person approves a pending, live code. */
  approve(typed: string, who: string, now: number): boolean {
    const c = this.byUserCode(typed, now);
    if (!c || c.state !== "pending") return false;
    c.state = "approved";
    c.who = who;
    return true;
  }

  deny(typed: string, now: number): boolean {
    const c = this.byUserCode(typed, now);
    if (!c || c.state !== "pending") return false;
    c.state = "denied";
    return true;
  }

  /**
   * One poll of a known code. A redeemed code stays redeemed; past expires_in a code is expired
   * (RFC 8628 §3.5 expired_token); a poll sooner than the expected interval after the previous
   * poll is slow_down, and the interval grows by 5 s "for this and all subsequent requests"
   * (RFC 8628 §3.5); otherwise the code's state.
   */
  poll(code: CodeInfo, now: number): Verdict {
    const c = code as Code;
    c.polls++;
    if (c.state === "redeemed") return "redeemed";
    if (now >= c.expiresAt) return "expired";
    const early = c.lastPollAt !== undefined && now - c.lastPollAt < c.interval * 1000;
    c.lastPollAt = now;
    if (early) {
      c.interval += 5;
      return "slow_down";
    }
    return c.state;
  }

  /** The provider answered slow_down to this code (a fault): it now expects interval + 5. */
  slowedDown(code: CodeInfo, now: number): void {
    code.interval += 5;
    code.lastPollAt = now;
    code.polls++;
  }

  /** True the first time an expired code is reported, false after (Auth0: expired_token once, then invalid_grant). */
  reportExpiry(code: CodeInfo): boolean {
    const c = code as Code;
    const first = !c.expiryReported;
    c.expiryReported = true;
    return first;
  }

  /** An approved code turns into a grant; the code is spent. */
  redeem(code: CodeInfo, now: number): Grant {
    code.state = "redeemed";
    return {
      id: this.nextGrant++,
      who: code.who ?? "Alice Example",
      clientId: code.clientId,
      scope: code.scope,
      audience: code.audience,
      at: now,
    };
  }

  mint(grant: Grant, type: "access" | "refresh", expiresAt?: number): string {
    const value = opaqueToken();
    this.tokenMap.set(value, { value, type, who: grant.who, expiresAt, revoked: false, rotated: false, grant });
    return value;
  }

  /** The grant of a token that works now: known, of this type, not revoked, not rotated out, not expired. */
  valid(value: string | undefined, type: "access" | "refresh", now: number): Grant | undefined {
    const t = value === undefined ? undefined : this.tokenMap.get(value);
    if (!t || t.type !== type || t.revoked || t.rotated) return undefined;
    if (t.expiresAt !== undefined && now >= t.expiresAt) return undefined;
    return t.grant;
  }

  /** The token's record, whatever its state. */
  lookup(value: string): (TokenInfo & { grant: Grant }) | undefined {
    return this.tokenMap.get(value);
  }

  /** A refresh token replaced by a new one (rotation). */
  rotate(value: string): void {
    const t = this.tokenMap.get(value);
    if (t) t.rotated = true;
  }

  revoke(value: string): void {
    const t = this.tokenMap.get(value);
    if (t) t.revoked = true;
  }

  /** Every token of a grant, or of a grant's given type. */
  revokeGrant(grant: Grant, type?: "access" | "refresh"): void {
    for (const t of this.tokenMap.values()) if (t.grant === grant && (!type || t.type === type)) t.revoked = true;
  }

  revokeAll(): void {
    for (const t of this.tokenMap.values()) t.revoked = true;
  }

  codes(): CodeInfo[] {
    return this.codeList.map((c) => {
      const { expiryReported: _, ...info } = c;
      return info;
    });
  }

  tokens(): TokenInfo[] {
    return [...this.tokenMap.values()].map((t) => ({
      value: t.value,
      type: t.type,
      who: t.who,
      expiresAt: t.expiresAt,
      revoked: t.revoked,
      rotated: t.rotated,
    }));
  }
}

/** "Alice Example" → the parts a profile needs. */
export function person(who: string): { given: string; family: string; nickname: string; email: string } {
  const words = who.trim().split(/\s+/);
  const given = words[0] || "user";
  const family = words.slice(1).join(" ");
  const local = words.join(".").toLowerCase().replace(/[^a-z0-9.]/g, "") || "user";
  return { given, family, nickname: given.toLowerCase(), email: local + "@example.com" };
}
