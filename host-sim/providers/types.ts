// The mock providers' public types: one loopback server, three providers under path prefixes.

export type ProviderKind = "simkl" | "kinde" | "auth0";

export interface MockOptions {
  /** Default 0: any free port. The host is always 127.0.0.1. */
  port?: number;
  /** Milliseconds, for code and token expiry and poll spacing. Default Date.now; tests pass the board's clock. */
  now?: () => number;
  /** Device code lifetime, s. Default: each provider's documented value (Simkl 900, Kinde 600, Auth0 900). */
  expiresIn?: number;
  /** Poll interval, s. Default 5 (all three document 5). */
  interval?: number;
  /** Access token lifetime, s (Kinde, Auth0). Default 86400, the value both document. Simkl tokens do not expire. */
  tokenLifetime?: number;
  /** Auth0: refresh token rotation (a refresh answers a new refresh token; the old one stops working). Default false. */
  rotateRefresh?: boolean;
  /** Auth0: the tenant has no default audience, so a device code request without `audience` is refused. Default false. */
  requireAudience?: boolean;
  /** Called with each request's log entry once it is answered (the simulator's headless log). */
  onAnswer?: (r: MockRequest) => void;
  /**
   * The base each provider names in the links it gives (verification_uri and
   * verification_uri_complete, an ID token's issuer) instead of its address on loopback, as a
   * provider behind a proxy names its public address: the README's pictures (tools/screens.ts)
   * show "https://simkl.com/pin", not a port the OS picked. The device still talks to base(kind).
   */
  publicBase?: Partial<Record<ProviderKind, string>>;
}

/** What a request was for. Faults target the first five; "any" covers those five, never pages or controls. */
export type Endpoint = "start" | "poll" | "userinfo" | "refresh" | "revoke" | "page" | "control" | "unknown";

export type FaultTarget = "start" | "poll" | "userinfo" | "refresh" | "any";
export type FaultKind = "slow_down" | "status" | "retry_after" | "hold" | "truncate" | "malformed" | "huge" | "drop";

export interface Fault {
  on: FaultTarget;
  kind: FaultKind;
  /** How many matching requests it hits. Default 1. */
  times?: number;
  /** "status": 500, 502 or 503 (default 503). "retry_after": 429 or 503 (default 429). */
  status?: number;
  /** "retry_after": the Retry-After header, s (default 30). */
  retryAfter?: number;
}

export interface MockRequest {
  provider: ProviderKind | "";
  method: string;
  /** Path below the provider's prefix ("/oauth/pin/ABCDE"). */
  path: string;
  query: Record<string, string>;
  /** The parsed body (form or JSON). Header values are never recorded. */
  form: Record<string, unknown>;
  /** Status answered; 0 while held or when the socket was dropped. */
  status: number;
  /** now() when the request arrived. */
  at: number;
  endpoint: Endpoint;
  /** The fault that hit it, if one did. */
  fault?: FaultKind;
  /**
   * What the mock made of it: "started", "pending", "slow_down", "success", "denied", "expired",
   * "unknown_code", "poll_after_success" (a client bug: the code was already redeemed),
   * "userinfo", "unauthorized", "refreshed", "invalid_grant", "revoked", "bad_request",
   * "page", "approved", "not_found", "control"; "fault:<kind>" when a fault answered in the
   * provider's stead (status, retry_after, hold, truncate, malformed, drop). Under "slow_down"
   * the outcome is "slow_down"; under "huge" it is what the provider answered, padded.
   */
  outcome: string;
}

export interface CodeInfo {
  userCode: string;
  deviceCode: string;
  state: "pending" | "approved" | "denied" | "redeemed";
  who?: string;
  clientId: string;
  scope: string;
  audience?: string;
  expiresAt: number;
  /** The spacing the provider now expects, s: interval plus 5 for every slow_down (RFC 8628 §3.5). */
  interval: number;
  lastPollAt?: number;
  polls: number;
}

export interface TokenInfo {
  value: string;
  type: "access" | "refresh";
  who: string;
  /** Undefined: never expires (Simkl; refresh tokens). */
  expiresAt?: number;
  revoked: boolean;
  /** A refresh token replaced by rotation. */
  rotated: boolean;
}

export interface MockProvider {
  readonly kind: ProviderKind;
  /** Queue a fault; faults are consumed in order, each by the first requests it targets. */
  fault(f: Fault): void;
  clearFaults(): void;
  /** As if a person approved the code on the page (case, dashes and spaces ignored). False if no pending, live code. */
  approve(userCode: string, opts?: { who?: string }): boolean;
  deny(userCode: string): boolean;
  /** The next user codes it issues, in order (then random ones again): a code known in advance. */
  issueNext(userCodes: string[]): void;
  /** That one token stops working: userinfo answers 401, a refresh answers invalid_grant. */
  revoke(token: string): void;
  /** Every token stops working, as when the user removes the app from their account. */
  revokeAll(): void;
  codes(): CodeInfo[];
  tokens(): TokenInfo[];
}

export interface MockProviders {
  /** http://127.0.0.1:PORT */
  url: string;
  /** url + "/simkl" etc.: what a device config names as the provider's base. */
  base(kind: ProviderKind): string;
  provider(kind: ProviderKind): MockProvider;
  /** Every request, in arrival order. */
  requests: MockRequest[];
  /** Replies held right now by the "hold" fault. */
  held(): number;
  close(): Promise<void>;
}
