// Room in Storage. Every file written goes at the end of Storage, and a replaced or erased
// file stays as trash until Storage is compacted: when a write finds too little room at the
// end, the interpreter compacts inside that write, rewriting all of Storage page by page for
// seconds (on a stock 2v29 a power cut then can wipe Storage: see the README). The firmware
// compacts at moments it chooses instead, with "Keep power on" on the screen: at boot when
// Storage is near full, and before a token write that would otherwise compact.

/** Compacted at boot when less than this part of Storage is free at its end. */
export const BOOT_FREE_PART = 1 / 8;
/** Compacted before a token write when fewer bytes than this are free at the end (a record is well under). */
export const ROOM_FOR_SAVE = 8192;

/** True when Storage holds trash and less than `minFree` bytes are free at its end. */
export function needsCompaction(storage: StorageModule, minFree: number): boolean {
  const s = storage.getStats();
  return s.trashBytes > 0 && s.freeBytes < minFree;
}

/** The free bytes wanted at boot: an eighth of Storage, and room for a token write at least. */
export function bootMinFree(storage: StorageModule): number {
  return Math.max(ROOM_FOR_SAVE, storage.getStats().totalBytes * BOOT_FREE_PART);
}
