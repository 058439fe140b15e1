import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";
import { fontModuleSource, packFont, parseFont } from "./tools/fontpack.mjs";
import { trustRootsBase64 } from "./tools/trust-roots.mjs";

export default defineConfig({
  // firmware/version.ts reads __VERSION__, net/tls.ts __TRUST_ROOTS__: build.mjs defines them for the bundle
  define: {
    __VERSION__: JSON.stringify(JSON.parse(readFileSync("package.json", "utf8")).version),
    __TRUST_ROOTS__: JSON.stringify(trustRootsBase64()),
  },
  plugins: [
    {
      // Firmware modules import fonts as esbuild's fontPlugin turns them into modules; tests
      // that import those modules directly get the same module source.
      name: "codepair-font",
      transform(code: string, id: string) {
        if (!id.endsWith(".font")) return null;
        return { code: fontModuleSource(packFont(parseFont(code, id))), map: null };
      },
    },
  ],
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
