// The device's states. So far: the splash at power-up.
import type { Panel } from "./display/ssd1306";
import { splash } from "./display/screens";

export function startApp(panel: Panel, version: string): void {
  splash(panel.g, version);
  panel.flush();
}
