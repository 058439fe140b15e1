// The store module (store/module.ts, `codepair-store` in Storage) for one use: loaded, used,
// dropped from require's cache. Loaded for good, its functions held ~200 JsVars the whole time
// a code is up (measured on the ESP32-like interpreter, bench/pairing.ts); used this way they
// exist only at boot and while a token is loaded, saved or forgotten.
import type { readConfig } from "./config";
import type { forgetToken, loadToken, saveToken } from "./token";

export const STORE_MODULE: "codepair-store" = "codepair-store";

/** What the module exports. */
export interface StoreModule {
  readConfig: typeof readConfig;
  loadToken: typeof loadToken;
  saveToken: typeof saveToken;
  forgetToken: typeof forgetToken;
}

/** `use` given the store module; throws as require() does when Storage does not hold it. */
export function withStore<T>(use: (store: StoreModule) => T): T {
  const store = require(STORE_MODULE);
  try {
    return use(store);
  } finally {
    Modules.removeCached(STORE_MODULE);
  }
}
