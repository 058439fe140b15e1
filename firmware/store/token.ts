// The token record in flash, kept so that a power cut at any byte of a write leaves the old
// record or the new one, never a broken one: a two-slot record (record.ts). Each write is read
// back and checked.
import { eraseRecord, loadRecord, saveRecord } from "./record";

/** The members of a record (after its sequence number). */
const FIELDS = ["provider", "clientId", "access", "refresh", "obtained", "expiresIn", "account"];

/** The two slots: files in Storage. */
export const TOKEN_SLOTS = ["codepair.tok0", "codepair.tok1"];

export interface TokenRecord {
  /** the provider's preset name and the client it was issued to: a record for another is not used */
  provider: string;
  clientId: string;
  access: string;
  /** "" when none */
  refresh: string;
  /**
   * when it was issued: getTime() then, in whole seconds (the device prints numbers to 12
   * digits, so a fraction would not read back); a real time only once the clock has been set
   */
  obtained: number;
  /** lifetime in s when issued, 0 if unknown */
  expiresIn: number;
  /** the account's name as last seen */
  account: string;
}

/** A record holds an access token. */
const whole = (r: any): boolean => typeof r.access === "string" && !!r.access;

/** The record's members as a TokenRecord, missing ones empty. */
function tokenOf(r: any): TokenRecord {
  const s = (v: unknown): string => (typeof v === "string" ? v : "");
  const n = (v: unknown): number => (typeof v === "number" ? v : 0);
  return { provider: s(r.provider), clientId: s(r.clientId), access: r.access, refresh: s(r.refresh), obtained: n(r.obtained), expiresIn: n(r.expiresIn), account: s(r.account) };
}

/** The newest whole record, if it was issued to this provider and client; else null. */
export function loadToken(storage: StorageModule, provider: string, clientId: string): TokenRecord | null {
  const slot = loadRecord(storage, TOKEN_SLOTS, FIELDS, whole);
  const record = slot ? tokenOf(slot.members) : null;
  return record && record.provider === provider && record.clientId === clientId ? record : null;
}

/** Writes the record into the older slot and reads it back: false if flash did not keep it. */
export function saveToken(storage: StorageModule, record: TokenRecord): boolean {
  const back = saveRecord(storage, TOKEN_SLOTS, FIELDS, whole, record);
  if (!back) return false;
  const kept = tokenOf(back.members);
  const keys = Object.keys(kept);
  for (let k = 0; k < keys.length; k++) if ((kept as any)[keys[k]] !== (record as any)[keys[k]]) return false;
  return true;
}

/** Erases every slot: nothing of the token is left in flash. */
export function forgetToken(storage: StorageModule): void {
  eraseRecord(storage, TOKEN_SLOTS);
}
