/**
 * Where benchmarks write their progress lines by default: stderr, so that
 * stdout holds only the report.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes `line` and a newline to stderr. */
export function progressLine(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}
