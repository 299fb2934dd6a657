/**
 * The resident memory that open watches add to the process serving them:
 * the watch clients run in a child process (`_watch_clients.ts`), so the
 * RSS measured here, after a full GC, is the server's. The RSS is read
 * before the watches open and once every one of them has started (the
 * server opens a watch before it answers) and, with `until`, has received
 * that text. The
 * clients exit afterwards; the server may go on counting their watches
 * until it next writes to them.
 *
 * @module
 */

/** Options of {@linkcode measureWatches}. */
export interface MeasureWatchesOptions {
  /** URL each client GETs, e.g. a watch from the current resourceVersion. */
  url: string;
  /** Number of watches. */
  count: number;
  /** Text every stream must carry before the watches count as started. */
  until?: string;
  /** Aborts the measurement. */
  signal?: AbortSignal;
}

/** What {@linkcode measureWatches} measured. */
export interface WatchMemory {
  /** RSS before the watches opened, bytes. */
  before: number;
  /** RSS with every watch open, bytes. */
  open: number;
  /** V8 heap in use before the watches opened, bytes. */
  heapBefore: number;
  /** V8 heap in use with every watch open, bytes. */
  heapOpen: number;
  /** Time from the first connection to every watch started, ms. */
  startMs: number;
}

/** Resident set size after a full GC (the bench task runs with --expose-gc). */
export function rssAfterGc(): number {
  return memoryAfterGc().rss;
}

function memoryAfterGc(): Deno.MemoryUsage {
  (globalThis as { gc?: () => void }).gc?.();
  return Deno.memoryUsage();
}

/** Opens `count` watches from a child process and measures the RSS they add here. */
export async function measureWatches(options: MeasureWatchesOptions): Promise<WatchMemory> {
  const { url, count, until, signal } = options;
  const { rss: before, heapUsed: heapBefore } = memoryAfterGc();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      new URL("./_watch_clients.ts", import.meta.url).pathname,
      url,
      String(count),
      ...(until ? [until] : []),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    ...(signal ? { signal } : {}),
  }).spawn();
  const writer = child.stdin.getWriter();
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("ready\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`Cannot measure watches as the clients exited: ${text}`);
      text += value;
    }
    const startMs = performance.now() - started;
    lines.releaseLock();
    // Let the event loop finish the connections' bookkeeping before reading.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { rss: open, heapUsed: heapOpen } = memoryAfterGc();
    return { before, open, heapBefore, heapOpen, startMs };
  } finally {
    await writer.close();
    await child.status;
    await child.stdout.cancel().catch(() => {});
    // Not awaited: Deno.serve notices a client gone only when it next writes
    // to it, so the server may count these watches until their next event.
  }
}
