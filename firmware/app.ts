// The device's states. So far: the splash at power-up.
import { createDisplay } from "./display/display";
import type { Panel } from "./display/ssd1306";

export function startApp(panel: Panel, version: string): void {
  const display = createDisplay(panel);
  display.show({ kind: "splash", version: version }, 0);
}
