// The device's states. So far: the splash at power-up.
import type { Panel } from "./display/ssd1306";
import { splash } from "./display/screens";

export interface App {
  panel: Panel;
}

export function startApp(panel: Panel, version: string): App {
  splash(panel.g, version);
  panel.flush();
  return { panel: panel };
}
