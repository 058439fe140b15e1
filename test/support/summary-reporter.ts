// Ends a vitest run with one plain line, `vitest: N passed, N failed, N skipped`, that any CI
// can read without knowing vitest's own summary format. Skipped tests are explained once: without
// $ESPRUINO the real-interpreter tests skip.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    if (skipped > 0 && (!process.env.ESPRUINO || !process.env.ESPRUINO_CODEPAIR)) {
      process.stdout.write(
        "\nThe real-interpreter tests were skipped: no Espruino interpreter. `npm test` builds one when Espruino's\n" +
          "source is at ../shared/espruino (or $ESPRUINO_SOURCE); or build it with `npm run espruino -- SOURCE` and\n" +
          "set ESPRUINO (and ESPRUINO_CODEPAIR, the codepair kind) to the paths it prints (see the README's \"Checking against the real interpreter\").\n",
      );
    }
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
