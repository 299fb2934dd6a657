import { match } from "node:assert/strict";
import { version } from "./version.ts";

Deno.test("version is a semantic version", () => {
  match(version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
});
