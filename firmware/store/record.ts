// A record in flash that a power cut at any byte of its write leaves old or new, never broken.
// Two slots (files): a record is written into the slot that does not hold the newest one, with
// a sequence number one higher and a CRC-32 of its text at its end; reading takes the newest
// slot whose CRC holds. A cut mid-write leaves that slot's CRC wrong (Storage.write makes a
// file of 0xFF bytes, then writes them in), so the other slot, the previous record, is read.
// The token (token.ts) and the network saved by set-up (wifi.ts) are kept this way.
import { createJsonReader } from "../json/reader";

/** The hex CRC-32 that ends a slot: 8 characters after the record's text. */
function crcOf(text: string): string {
  return ("0000000" + E.CRC32(text).toString(16)).substr(-8);
}

export interface Slot {
  seq: number;
  /** the record's members named in `fields` (strings, numbers, booleans, null) */
  members: any;
}

/** A slot's record if its CRC holds, it reads as JSON and `ok` accepts it, else null. */
export function readSlot(storage: StorageModule, name: string, fields: string[], ok: (members: any) => boolean): Slot | null {
  const data = storage.read(name);
  if (!data || data.length < 9) return null;
  const text = data.substr(0, data.length - 8);
  if (crcOf(text) !== data.substr(-8)) return null;
  // read with the firmware's own reader (limits on size), not the device's lenient JSON.parse;
  // the device's JSON.stringify wrote each byte >= 0x7F of a string as \u00XX
  const reader = createJsonReader(["seq"].concat(fields), { bytes: true });
  reader.write(text);
  const o = reader.end();
  if (!o.ok) return null;
  const r: any = o.members;
  // a sequence number is a whole number the next save can still add one to and print exactly
  // (the device prints 12 digits): 1e400 or 2^53 would make every later save look older
  if (typeof r.seq !== "number" || !(r.seq >= 1 && r.seq < 1e9) || r.seq !== Math.floor(r.seq)) return null;
  if (!ok(r)) return null;
  return { seq: r.seq, members: r };
}

/** The index of the slot with the newest whole record, or -1 when neither holds one. */
function newest(slots: (Slot | null)[]): number {
  const a = slots[0];
  const b = slots[1];
  if (!a && !b) return -1;
  if (!b || (a && a.seq > b.seq)) return 0;
  return 1;
}

function readSlots(storage: StorageModule, names: string[], fields: string[], ok: (members: any) => boolean): (Slot | null)[] {
  return [readSlot(storage, names[0], fields, ok), readSlot(storage, names[1], fields, ok)];
}

/** The newest whole record of the two slots `names`, or null. */
export function loadRecord(storage: StorageModule, names: string[], fields: string[], ok: (members: any) => boolean): Slot | null {
  const slots = readSlots(storage, names, fields, ok);
  const i = newest(slots);
  return i < 0 ? null : slots[i];
}

/**
 * Writes `members` (in `fields`' order, after `seq`) into the older slot and reads it back:
 * the record as read back, or null if flash did not keep it whole.
 */
export function saveRecord(storage: StorageModule, names: string[], fields: string[], ok: (members: any) => boolean, members: any): Slot | null {
  const slots = readSlots(storage, names, fields, ok);
  const i = newest(slots);
  const target = i < 0 ? 0 : 1 - i;
  const seq = i < 0 ? 1 : (slots[i] as Slot).seq + 1;
  const record: any = { seq: seq };
  for (let k = 0; k < fields.length; k++) record[fields[k]] = members[fields[k]];
  const text = JSON.stringify(record);
  try {
    storage.write(names[target], text + crcOf(text));
  } catch (err) {
    return null;
  }
  const back = readSlot(storage, names[target], fields, ok);
  return back && back.seq === seq ? back : null;
}

/** Erases both slots. */
export function eraseRecord(storage: StorageModule, names: string[]): void {
  storage.erase(names[0]);
  storage.erase(names[1]);
}
