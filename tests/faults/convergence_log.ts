/**
 * Where the fault cases note how long each took to converge, one JSON line
 * per case (`{"case": ..., "ms": ..., "at": ...}`) appended to
 * `.cache/faults/convergence.jsonl`, so that a run's figures can be read
 * after it without parsing test output. Times are noted, never asserted.
 *
 * @module
 */

const file = new URL("../../.cache/faults/convergence.jsonl", import.meta.url);

/** Appends the convergence time `ms` of fault case `name`. */
export async function noteConvergence(name: string, ms: number): Promise<void> {
  await Deno.mkdir(new URL(".", file), { recursive: true });
  const line = JSON.stringify({ case: name, ms: Math.round(ms), at: new Date().toISOString() });
  await Deno.writeTextFile(file, line + "\n", { append: true });
}
