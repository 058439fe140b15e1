// String.prototype.indexOf and includes on the simulated board against the real interpreter:
// 2v29 finds what is sought where the text ends with its start ("ab\r\n".indexOf("\r\n\r\n")
// is 2), which the simulator models (host-sim/realm.ts) and firmware that looks for a head's
// end must allow for (firmware/setup/portal.ts). Runs on the interpreter only with $ESPRUINO.
import { describe, expect, it } from "vitest";
import { ESPRUINO, runOnEspruino, runOnSimulator } from "./support/espruino.ts";

const PROGRAM = `
var cases = [["ab\\r\\n", "\\r\\n\\r\\n"], ["abcd", "cdef"], ["abcd", "cd"], ["xab", "abc"], ["ab", "abc"], ["a\\r\\n\\r", "\\r\\n\\r\\n"],
  ["abc", ""], ["", ""], ["aaa", "aa"], ["hello", "lo", 4], ["hello", "l", -3], ["hello", "o", 9], ["GET / HTTP/1.1\\r\\nHost: x\\r\\n", "\\r\\n\\r\\n"]];
cases.forEach(function (c) { print(JSON.stringify(c) + " " + c[0].indexOf(c[1], c[2]) + " " + c[0].includes(c[1], c[2])); });
`;

describe("String indexOf and includes", () => {
  it("the simulator finds what 2v29 finds, a match at the text's end included", () => {
    const sim = runOnSimulator(PROGRAM).lines;
    expect(sim[0]).toBe('["ab\\r\\n","\\r\\n\\r\\n"] 2 true');
    expect(sim[1]).toBe('["abcd","cdef"] 2 true');
    expect(sim[4]).toBe('["ab","abc"] -1 false');
  });
});

describe.skipIf(!ESPRUINO)("String indexOf and includes on the interpreter", () => {
  it("gives what the simulator gives, case by case", () => {
    const sim = runOnSimulator(PROGRAM).lines;
    expect(runOnEspruino(PROGRAM).lines.filter((l) => l.startsWith("["))).toEqual(sim);
  });
});
