/**
 * Where tests note how long something took, one JSON line per case
 * (`{"case": ..., "ms": ..., "at": ...}`) appended to `.cache/<log>.jsonl`,
 * so that a run's figures can be read after it without parsing test output.
 * Times are noted, never asserted.
 *
 * @module
 */

const cache = new URL("../../.cache/", import.meta.url);

/** Appends the time `ms` of case `name` to `.cache/<log>.jsonl` (`log` may hold a folder). */
export async function noteTiming(log: string, name: string, ms: number): Promise<void> {
  const file = new URL(`${log}.jsonl`, cache);
  await Deno.mkdir(new URL(".", file), { recursive: true });
  const line = JSON.stringify({ case: name, ms: Math.round(ms), at: new Date().toISOString() });
  await Deno.writeTextFile(file, line + "\n", { append: true });
}

/** Appends the figures of case `name` (e.g. bytes, counts) to `.cache/<log>.jsonl`. */
export async function noteFigures(
  log: string,
  name: string,
  figures: Record<string, number>,
): Promise<void> {
  const file = new URL(`${log}.jsonl`, cache);
  await Deno.mkdir(new URL(".", file), { recursive: true });
  const line = JSON.stringify({ case: name, ...figures, at: new Date().toISOString() });
  await Deno.writeTextFile(file, line + "\n", { append: true });
}
