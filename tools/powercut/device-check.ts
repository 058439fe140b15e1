// Runs on the interpreter after a cut: what the device would find at boot. One line per file
// in Storage (`file NAME LENGTH CRC32`, in flash order), then the token as the firmware loads
// it for the config's provider (`token ACCESS ACCOUNT`, or `token none`), then `checked`.
import { readConfig } from "../../firmware/store/config";
import { loadToken } from "../../firmware/store/token";

const storage = require("Storage");
const names: string[] = storage.list();
for (let i = 0; i < names.length; i++) {
  const data = storage.read(names[i]) || "";
  console.log("file " + names[i] + " " + data.length + " " + ((E.CRC32(data) >>> 0) as number).toString(16));
}
const config = readConfig(storage);
const record = config.provider ? loadToken(storage, config.provider.name, config.provider.clientId) : null;
console.log(record ? "token " + record.access + " " + record.account : "token none");
console.log("stats " + JSON.stringify(storage.getStats()));
console.log("checked");
