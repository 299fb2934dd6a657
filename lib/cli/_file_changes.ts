/**
 * Tells when a file may have changed, however it is replaced: written in
 * place, renamed over, or swapped as a mounted ConfigMap is (the kubelet
 * writes a new timestamped directory, points a `..data_tmp` symlink at it
 * and renames that over `..data`, which the file's own symlink goes
 * through: the file's inode never changes, only where its path leads).
 *
 * So the path is looked at every `checkMs` without being opened: where its
 * symlinks lead (`Deno.realPath`) and what `Deno.stat` says of the target
 * (device, inode, size, modification and change times); a difference is a
 * change. Every `pollMs` a change is told whatever they say, in case a
 * write kept all of them (same size within one timestamp tick). Telling
 * may be spurious: the caller compares what it reads.
 *
 * The directory is not watched with `Deno.watchFs`: its watcher opens
 * every path it has an event for, so a FIFO made in the directory blocks
 * its thread for good (no writer comes) and closing it then blocks the
 * process. Neither a look at the path nor `onChange` runs twice at once,
 * and a look that does not return (a hung network mount) delays only the
 * looks after it, never the polls or the stop.
 *
 * @module
 */

import { realClock } from "../clock.ts";

/** Options of {@linkcode watchFileChanges}. */
export interface FileChangesOptions {
  /** Watching stops once it aborts. */
  signal: AbortSignal;
  /** Called once the path looks different, and on every poll; must not reject. */
  onChange(): void | Promise<void>;
  /** How often a change is told whatever the path looks like. Defaults to 10 000 ms. */
  pollMs?: number;
  /** How often the path is looked at. Defaults to 1 000 ms. */
  checkMs?: number;
}

/**
 * Calls `onChange` once at the start, then whenever the file at `path`
 * may have changed, until `signal` aborts; one call at a time, never two
 * at once. Resolves once the call in progress, if any, has returned.
 */
export async function watchFileChanges(path: string, options: FileChangesOptions): Promise<void> {
  const { signal, pollMs = 10_000, checkMs = 1_000 } = options;
  if (signal.aborted) return;
  let running: Promise<void> = Promise.resolve();
  let again = false;
  // One call at a time: a change told while one runs is told once more after it.
  const tell = () => {
    if (again) return;
    again = true;
    running = running.then(async () => {
      again = false;
      if (!signal.aborted) await options.onChange();
    });
  };
  const poll = setInterval(tell, pollMs);
  const stopped = new Promise<undefined>((resolve) => {
    signal.addEventListener("abort", () => resolve(undefined), { once: true });
  });
  try {
    // The first look is a change: the file may have changed since the caller last read it.
    let seen: string | undefined;
    while (!signal.aborted) {
      const now = await Promise.race([look(path), stopped]);
      if (now === undefined) break;
      if (now !== seen) tell();
      seen = now;
      await realClock.sleep(checkMs, signal).catch(() => {});
    }
  } finally {
    clearInterval(poll);
    await running;
  }
}

/** What the path looks like, without opening it: where it leads and its target's stat. */
async function look(path: string): Promise<string> {
  try {
    const target = await Deno.realPath(path);
    const { dev, ino, size, mtime, ctime } = await Deno.stat(target);
    return JSON.stringify([target, dev, ino, size, mtime?.getTime(), ctime?.getTime()]);
  } catch (error) {
    return `cannot be looked at: ${(error as Error).name}`;
  }
}
