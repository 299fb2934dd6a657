import { deepStrictEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import { Fifo } from "./_fifo.ts";

Deno.test("Fifo shifts items in push order across compactions", () => {
  fc.assert(
    fc.property(fc.array(fc.option(fc.nat(), { nil: undefined }), { maxLength: 200 }), (ops) => {
      const fifo = new Fifo<number>();
      const model: number[] = [];
      // A number pushes it; undefined shifts.
      for (const op of ops) {
        if (op === undefined) equal(fifo.shift(), model.shift());
        else {
          fifo.push(op);
          model.push(op);
        }
        equal(fifo.length, model.length);
      }
      deepStrictEqual(fifo.drain(), model);
      equal(fifo.length, 0);
      equal(fifo.shift(), undefined);
    }),
    { numRuns: 200 },
  );
});
