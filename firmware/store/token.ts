// The token record in flash, kept so that a power cut at any byte of a write leaves the old
// record or the new one, never a broken one. Two slots (files): a record is written into the
// slot that does not hold the newest one, with a sequence number one higher and a CRC-32 of
// its text at its end; reading takes the newest slot whose CRC holds. A cut mid-write leaves
// that slot's CRC wrong (Storage.write makes a file of 0xFF bytes, then writes them in), so
// the other slot, the previous record, is read. Each write is read back and checked.
import { createJsonReader } from "../json/reader";

/** The members of a record. */
const FIELDS = ["seq", "provider", "clientId", "access", "refresh", "obtained", "expiresIn", "account"];

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

/** The hex CRC-32 that ends a slot: 8 characters after the record's text. */
function crcOf(text: string): string {
  return ("0000000" + E.CRC32(text).toString(16)).substr(-8);
}

interface Slot {
  seq: number;
  record: TokenRecord;
}

/** A slot's record if its CRC holds and it is whole, else null. */
function readSlot(storage: StorageModule, name: string): Slot | null {
  const data = storage.read(name);
  if (!data || data.length < 9) return null;
  const text = data.substr(0, data.length - 8);
  if (crcOf(text) !== data.substr(-8)) return null;
  // read with the firmware's own reader (limits on size), not the device's lenient JSON.parse;
  // the device's JSON.stringify wrote each byte >= 0x7F of a string as \u00XX
  const reader = createJsonReader(FIELDS, { bytes: true });
  reader.write(text);
  const o = reader.end();
  if (!o.ok) return null;
  const r: any = o.members;
  // a sequence number is a whole number the next save can still add one to and print exactly
  // (the device prints 12 digits): 1e400 or 2^53 would make every later save look older
  if (typeof r.seq !== "number" || !(r.seq >= 1 && r.seq < 1e9) || r.seq !== Math.floor(r.seq)) return null;
  if (typeof r.access !== "string" || !r.access) return null;
  const s = (v: unknown): string => (typeof v === "string" ? v : "");
  const n = (v: unknown): number => (typeof v === "number" ? v : 0);
  return {
    seq: r.seq,
    record: { provider: s(r.provider), clientId: s(r.clientId), access: r.access, refresh: s(r.refresh), obtained: n(r.obtained), expiresIn: n(r.expiresIn), account: s(r.account) },
  };
}

/** The index of the slot with the newest whole record, or -1 when neither holds one. */
function newest(slots: (Slot | null)[]): number {
  const a = slots[0];
  const b = slots[1];
  if (!a && !b) return -1;
  if (!b || (a && a.seq > b.seq)) return 0;
  return 1;
}

function readSlots(storage: StorageModule): (Slot | null)[] {
  return [readSlot(storage, TOKEN_SLOTS[0]), readSlot(storage, TOKEN_SLOTS[1])];
}

/** The newest whole record, if it was issued to this provider and client; else null. */
export function loadToken(storage: StorageModule, provider: string, clientId: string): TokenRecord | null {
  const slots = readSlots(storage);
  const i = newest(slots);
  const slot = i < 0 ? null : slots[i];
  return slot && slot.record.provider === provider && slot.record.clientId === clientId ? slot.record : null;
}

/** Writes the record into the older slot and reads it back: false if flash did not keep it. */
export function saveToken(storage: StorageModule, record: TokenRecord): boolean {
  const slots = readSlots(storage);
  const i = newest(slots);
  const target = i < 0 ? 0 : 1 - i;
  const seq = i < 0 ? 1 : (slots[i] as Slot).seq + 1;
  const text = JSON.stringify({
    seq: seq,
    provider: record.provider,
    clientId: record.clientId,
    access: record.access,
    refresh: record.refresh,
    obtained: record.obtained,
    expiresIn: record.expiresIn,
    account: record.account,
  });
  try {
    storage.write(TOKEN_SLOTS[target], text + crcOf(text));
  } catch (err) {
    return false;
  }
  const back = readSlot(storage, TOKEN_SLOTS[target]);
  if (!back || back.seq !== seq) return false;
  const keys = Object.keys(back.record);
  for (let k = 0; k < keys.length; k++) if ((back.record as any)[keys[k]] !== (record as any)[keys[k]]) return false;
  return true;
}

/** Erases every slot: nothing of the token is left in flash. */
export function forgetToken(storage: StorageModule): void {
  storage.erase(TOKEN_SLOTS[0]);
  storage.erase(TOKEN_SLOTS[1]);
}
