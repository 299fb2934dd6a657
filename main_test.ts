import { deepStrictEqual, equal } from "node:assert/strict";
import { main } from "./main.ts";
import { version } from "./lib/version.ts";

Deno.test("main() prints the version for --version", () => {
  const lines: string[] = [];
  equal(main(["--version"], (line) => lines.push(line)), 0);
  deepStrictEqual(lines, [version]);
});

Deno.test("main() refuses to run components that do not exist yet", () => {
  const lines: string[] = [];
  equal(main([], (line) => lines.push(line)), 2);
  equal(lines.length, 1);
});
