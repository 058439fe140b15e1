// require() and the global Modules (src/jswrap_modules.c, 2v29). require(name) gives the
// module cached under that name; else a module the interpreter has built in; else, when a
// Storage file has that name (28 characters at most), that file's code run as a module
// (jsparse.c's jspEvaluateModule: `exports` and `module` in scope, `this` the exports); else it
// throws the error Espruino throws (the device never fetches modules at run time). What it
// finds is cached until Modules.removeCached(name).
import { textForm } from "./lexer.ts";
import { NAME_LIMIT } from "./storage.ts";
import type { Realm } from "./realm.ts";

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export class Modules {
  private table: Record<string, unknown> = {};
  private cache: Record<string, unknown> = {};

  /**
   * `files`: the board's Storage, where require() looks for a module's code; `loaded` hears of
   * each module's code run from it (its name and text: the board names positions in it).
   */
  constructor(
    private realm: Realm,
    private files?: { get(name: string): string | undefined },
    private loaded?: (name: string, code: string) => void,
  ) {}

  provide(name: string, module: unknown): void {
    this.table[name] = module;
  }

  private fromStorage(name: string): unknown {
    if (!this.files || name.length > NAME_LIMIT) return undefined;
    const stored = this.files.get(name);
    if (stored === undefined) return undefined;
    // the interpreter's lexer reads raw strings in the stored code (the flash form)
    const code = textForm(stored);
    if (this.loaded) this.loaded(name, code);
    const run = this.realm.run("(function (exports, module) {" + code + "\n})", name) as (this: unknown, e: unknown, m: unknown) => void;
    const scope = this.realm.object({}) as Record<string, unknown>;
    const exports = this.realm.object({});
    scope.exports = exports;
    scope.module = scope;
    try {
      run.call(exports, exports, scope);
    } catch (err) {
      // 2v29 keeps what the module exported before it threw: the next require() gives it
      this.cache[name] = scope.exports;
      throw err;
    }
    return scope.exports;
  }

  globals(): Record<string, unknown> {
    const realm = this.realm;
    return {
      require: (name: unknown): unknown => {
        const key = String(name);
        if (has(this.cache, key)) return this.cache[key];
        const found = has(this.table, key) ? this.table[key] : this.fromStorage(key);
        if (found === undefined) throw new realm.Error('Module "' + key + '" not found');
        this.cache[key] = found;
        return found;
      },
      Modules: realm.library({
        removeCached: (id: unknown): void => {
          if (typeof id !== "string") throw new realm.Error("First argument must be String");
          if (!has(this.cache, id)) throw new realm.Error('Module "' + id + '" not found');
          delete this.cache[id];
        },
        removeAllCached: (): void => {
          this.cache = {};
        },
        getCached: (): unknown => realm.fromHost(Object.keys(this.cache)),
      }),
    };
  }
}
