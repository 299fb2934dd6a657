/**
 * "Quiet", seen from outside: a writer is quiet once the apiserver has
 * received no write of it for a while (`server_writes.ts`). Tests wait for
 * this instead of reading a component's internal state (its queue length),
 * which a write path outside the queue would not show.
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";
import { delay } from "./poll.ts";
import { describeWrite, markServerWrites, type WriteFilter } from "./server_writes.ts";

/** Options of {@linkcode untilServerQuiet}: which writes count, and for how long none may come. */
export interface ServerQuietOptions extends WriteFilter {
  /** Who must be quiet, for the timeout message, e.g. "the first Reflector". */
  description: string;
  /** How long no matching write may be received. */
  forMs: number;
  /** Give up after this long. Defaults to 60 000 ms. */
  timeoutMs?: number;
  /** Pause between reads of the log. Defaults to 100 ms. */
  intervalMs?: number;
  /** Aborts the wait with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Resolves once `cluster` has received no write matching `options` for
 * `options.forMs` (counted from the call, or from the last such write);
 * throws after `timeoutMs`, naming the last writes seen.
 */
export async function untilServerQuiet(
  cluster: Cluster,
  options: ServerQuietOptions,
): Promise<void> {
  const { description, forMs, timeoutMs = 60_000, intervalMs = 100, signal, ...filter } = options;
  if (!(forMs > 0) || !(timeoutMs > forMs)) {
    throw new RangeError(
      `Cannot wait for quiet as 'forMs' must be positive and below 'timeoutMs': current values are ${forMs} and ${timeoutMs}`,
    );
  }
  const mark = await markServerWrites(cluster);
  const deadline = mark.at + timeoutMs;
  while (true) {
    signal?.throwIfAborted();
    const writes = await mark.writes(filter);
    const last = writes.reduce((latest, write) => Math.max(latest, write.receivedAt), mark.at);
    const now = Date.now();
    if (now - last >= forMs) return;
    if (now >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${description} to write nothing for ${forMs} ms; last writes: ${
          writes.slice(-5).map(describeWrite).join("; ")
        }`,
      );
    }
    await delay(Math.min(intervalMs, forMs - (now - last)), signal);
  }
}
