// require(): the modules the interpreter has built in, by name. Anything else throws the
// error Espruino throws: the device never fetches modules at run time.
import type { Realm } from "./realm.ts";

export class Modules {
  private table: Record<string, unknown> = {};

  constructor(private realm: Realm) {}

  provide(name: string, module: unknown): void {
    this.table[name] = module;
  }

  globals(): Record<string, unknown> {
    return {
      require: (name: unknown): unknown => {
        const key = String(name);
        if (Object.prototype.hasOwnProperty.call(this.table, key)) return this.table[key];
        throw new this.realm.Error('Module "' + key + '" not found');
      },
    };
  }
}
