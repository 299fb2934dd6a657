import { deepEqual, equal } from "node:assert/strict";
import { concatBytes } from "./concat_bytes.ts";

Deno.test("concatBytes() joins chunks in order, and returns a single chunk as it is", () => {
  deepEqual(
    concatBytes([Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)]),
    Uint8Array.of(1, 2, 3),
  );
  deepEqual(concatBytes([]), new Uint8Array());
  const one = Uint8Array.of(7);
  equal(concatBytes([one]), one);
});
