// Runs on the interpreter: one token save, as the firmware makes it (firmware/store/token.ts),
// of the record the harness puts in front of the bundle as `var POWERCUT_RECORD = {...};`.
// Prints "saved true" when saveToken acknowledged it.
import { saveToken, type TokenRecord } from "../../firmware/store/token";

const record = (global as any).POWERCUT_RECORD as TokenRecord;
console.log("saved " + saveToken(require("Storage"), record));
