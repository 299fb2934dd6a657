/**
 * Tells when a file may have changed, however it is replaced: written in
 * place, renamed over, or swapped as a mounted ConfigMap is (the kubelet
 * writes a new timestamped directory, points a `..data_tmp` symlink at it
 * and renames that over `..data`, which the file's own symlink goes
 * through: the file's inode never changes, only its directory's entries).
 *
 * So the file's directory is watched (`Deno.watchFs`, not recursive), and
 * the file is also looked at every `pollMs` in case events are lost or the
 * directory cannot be watched. A change is told after `settleMs` without a
 * further event, so one swap is told once. Telling may be spurious: the
 * caller compares what it reads.
 *
 * @module
 */

import { dirname } from "node:path";

/** Options of {@linkcode watchFileChanges}. */
export interface FileChangesOptions {
  /** Watching stops once it aborts. */
  signal: AbortSignal;
  /** Called after events in the file's directory settle, and on every poll; must not reject. */
  onChange(): void | Promise<void>;
  /** How often the file is looked at whatever the events. Defaults to 10 000 ms. */
  pollMs?: number;
  /** How long events must pause before a change is told. Defaults to 100 ms. */
  settleMs?: number;
  /** Told when the directory cannot be watched (polling goes on). */
  onWatchError?(error: unknown): void;
}

/**
 * Calls `onChange` whenever the file at `path` may have changed, until
 * `signal` aborts; one call at a time, never two at once.
 */
export async function watchFileChanges(path: string, options: FileChangesOptions): Promise<void> {
  const { signal, pollMs = 10_000, settleMs = 100 } = options;
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
  let settle: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(settle);
    settle = setTimeout(tell, settleMs);
  };
  const poll = setInterval(tell, pollMs);
  let watcher: Deno.FsWatcher | undefined;
  const close = () => watcher?.close();
  signal.addEventListener("abort", close, { once: true });
  try {
    watcher = Deno.watchFs(dirname(path), { recursive: false });
    for await (const _ of watcher) soon();
  } catch (error) {
    if (!signal.aborted) options.onWatchError?.(error);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    signal.removeEventListener("abort", close);
    clearInterval(poll);
    clearTimeout(settle);
    await running;
  }
}
