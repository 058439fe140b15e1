// The token record in Storage. Written before anything else happens after an approval, read
// back to check it landed. (Two slots that survive a power cut at any byte come with the
// device-life work.)

export const TOKEN_FILE = "codepair.tok";

export interface TokenRecord {
  /** the provider's preset name and the client it was issued to: a record for another is not used */
  provider: string;
  clientId: string;
  access: string;
  /** "" when none */
  refresh: string;
  /** lifetime in s when issued, 0 if unknown */
  expiresIn: number;
  /** the account's name as last seen */
  account: string;
}

export function loadToken(storage: StorageModule, provider: string, clientId: string): TokenRecord | null {
  const r = storage.readJSON(TOKEN_FILE, true);
  if (!r || typeof r !== "object" || r.provider !== provider || r.clientId !== clientId || typeof r.access !== "string" || !r.access) return null;
  return {
    provider: provider,
    clientId: clientId,
    access: r.access,
    refresh: typeof r.refresh === "string" ? r.refresh : "",
    expiresIn: typeof r.expiresIn === "number" ? r.expiresIn : 0,
    account: typeof r.account === "string" ? r.account : "",
  };
}

/** Writes the record and reads it back: false if flash did not keep it. */
export function saveToken(storage: StorageModule, record: TokenRecord): boolean {
  storage.writeJSON(TOKEN_FILE, record);
  const back = loadToken(storage, record.provider, record.clientId);
  return !!back && back.access === record.access && back.refresh === record.refresh;
}

export function forgetToken(storage: StorageModule): void {
  storage.erase(TOKEN_FILE);
}
