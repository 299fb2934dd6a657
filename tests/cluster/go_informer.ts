/**
 * A real client-go informer as an independent client of an API server
 * (kube-apiserver, or the Emitter): runs `cluster informer` (see
 * `informer.go`) and follows the snapshots of its caches.
 *
 * Protocol of the Go program, one JSON object per stdout line: first
 * `{"synced":true}`, then `{"resource":"services","items":[{"key":"ns/name",
 * "resourceVersion":"1"}]}` right after the sync and whenever a cache
 * changed. Reflector errors are stderr lines starting with `watch error:`.
 * It exits 0 on SIGTERM or when its stdin closes.
 *
 * Invariants: {@linkcode startGoInformer} either returns an informer whose
 * caches synced and whose first snapshots arrived, or leaves no process;
 * {@linkcode GoInformer.stop} is idempotent and always reaps the process.
 *
 * @module
 */

import { clusterBinary } from "./binary.ts";

/** Options of {@linkcode startGoInformer}. */
export interface GoInformerOptions {
  /** API server URL, e.g. `https://127.0.0.1:41234`. */
  server: string;
  /** What to watch: `services`, `endpointslices`, `endpoints`. Defaults to `["services"]`. */
  resources?: string[];
  /** Watch only this namespace. Defaults to all namespaces. */
  namespace?: string;
  /** Label selector of every list and watch. */
  labelSelector?: string;
  /** PEM CA file that verifies the server. Defaults to the system roots. */
  caFile?: string;
  /** Bearer token. */
  token?: string;
  /** How often the Go side compares its caches with the last snapshot. Defaults to 200 ms. */
  intervalMs?: number;
  /**
   * Keep client-go's WatchListClient (streaming lists with
   * `sendInitialEvents`, on by default in client-go). Off by default here,
   * so the informer lists then watches.
   */
  watchList?: boolean;
  /** Bound on the wait for the sync and the first snapshots. Defaults to 30 000 ms. */
  syncTimeoutMs?: number;
}

/** One cached object: `namespace/name` and its resourceVersion. */
export interface GoInformerItem {
  /** `namespace/name` (client-go's MetaNamespaceKeyFunc). */
  key: string;
  /** `metadata.resourceVersion` as cached. */
  resourceVersion: string;
}

/**
 * The snapshot a Go informer caching exactly `objects` reports: their keys
 * and resourceVersions, sorted by key bytes as Go's `sort.Strings` sorts.
 */
export function goInformerItems(
  objects: readonly {
    metadata?: { namespace?: string; name?: string; resourceVersion?: string };
  }[],
): GoInformerItem[] {
  return objects
    .map((object) => ({
      key: `${object.metadata?.namespace}/${object.metadata?.name}`,
      resourceVersion: object.metadata?.resourceVersion ?? "",
    }))
    .sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Options of {@linkcode GoInformer.waitFor}. */
export interface GoInformerWaitOptions {
  /** Give up after this long. Defaults to 30 000 ms. */
  timeoutMs?: number;
  /** What is awaited, for the timeout message. */
  description?: string;
}

/** A running `cluster informer` process. */
export interface GoInformer extends AsyncDisposable {
  /** Process id of the Go program. */
  readonly pid: number;
  /** The latest snapshot of `resource`, sorted by key; `undefined` before the first one. */
  snapshot(resource: string): GoInformerItem[] | undefined;
  /**
   * Resolves with the first snapshot of `resource` (the current one
   * included) that satisfies `predicate`. Rejects with the last snapshot and
   * the stderr tail on timeout, or when the process exits.
   */
  waitFor(
    resource: string,
    predicate: (items: GoInformerItem[]) => boolean,
    options?: GoInformerWaitOptions,
  ): Promise<GoInformerItem[]>;
  /** The `watch error:` lines of stderr so far. */
  errors(): string[];
  /** The last `lines` lines of stderr. */
  stderrTail(lines?: number): string;
  /** Closes stdin (the program exits), then SIGKILLs after a grace period, and reaps it. */
  stop(): Promise<void>;
}

const defaultResources = ["services"];
const defaultTimeoutMs = 30_000;
const stopGraceMs = 5_000;
const stderrKept = 200;

/**
 * Starts `cluster informer` against `options.server` and waits until its
 * caches synced and the first snapshot of every resource arrived.
 *
 * @example Usage
 * ```ts ignore
 * await using informer = await startGoInformer({
 *   server: cluster.server,
 *   caFile: cluster.caPath,
 *   token: cluster.token,
 * });
 * await informer.waitFor("services", (items) => items.some((i) => i.key === "demo/web"));
 * ```
 */
export async function startGoInformer(options: GoInformerOptions): Promise<GoInformer> {
  const resources = options.resources ?? defaultResources;
  if (resources.length === 0) {
    throw new RangeError("Cannot start the Go informer as 'resources' must not be empty");
  }
  const args = ["informer", `--server=${options.server}`, `--resources=${resources.join(",")}`];
  if (options.namespace !== undefined) args.push(`--namespace=${options.namespace}`);
  if (options.labelSelector !== undefined) args.push(`--label-selector=${options.labelSelector}`);
  if (options.caFile !== undefined) args.push(`--ca-file=${options.caFile}`);
  if (options.token !== undefined) args.push(`--token=${options.token}`);
  if (options.intervalMs !== undefined) args.push(`--interval=${options.intervalMs}ms`);
  if (options.watchList) args.push("--watch-list=true");

  const child = new Deno.Command(await clusterBinary(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const informer = new GoInformerProcess(child);
  try {
    await informer.waitForStart(resources, options.syncTimeoutMs ?? defaultTimeoutMs);
    return informer;
  } catch (error) {
    await informer.stop();
    throw error;
  }
}

interface Waiter {
  check(): void;
}

class GoInformerProcess implements GoInformer {
  readonly pid: number;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #snapshots = new Map<string, GoInformerItem[]>();
  readonly #stderr: string[] = [];
  readonly #errors: string[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #pumped: Promise<void>;
  #synced = false;
  #exit: Deno.CommandStatus | undefined;
  #stopped: Promise<void> | undefined;

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.pid = child.pid;
    this.#stdin = child.stdin.getWriter();
    this.#pumped = Promise.all([
      readLines(child.stdout, (line) => this.#onStdout(line)),
      readLines(child.stderr, (line) => this.#onStderr(line)),
    ]).then(() => {});
    child.status.then((status) => {
      this.#exit = status;
      this.#notify();
    });
  }

  snapshot(resource: string): GoInformerItem[] | undefined {
    const items = this.#snapshots.get(resource);
    return items && structuredClone(items);
  }

  errors(): string[] {
    return [...this.#errors];
  }

  stderrTail(lines = 40): string {
    return this.#stderr.slice(-lines).join("\n");
  }

  waitFor(
    resource: string,
    predicate: (items: GoInformerItem[]) => boolean,
    options: GoInformerWaitOptions = {},
  ): Promise<GoInformerItem[]> {
    const { timeoutMs = defaultTimeoutMs, description = "a matching snapshot" } = options;
    const what = `${description} of "${resource}" from the Go informer`;
    return this.#until(() => {
      const items = this.#snapshots.get(resource);
      return items && predicate(structuredClone(items)) ? structuredClone(items) : undefined;
    }, {
      timeoutMs,
      describe: (reason) =>
        `${reason} waiting for ${what}; last snapshot: ${
          JSON.stringify(this.#snapshots.get(resource) ?? null)
        }; stderr tail:\n${this.stderrTail(20)}`,
    });
  }

  /** Resolves once synced and every resource has a first snapshot. */
  async waitForStart(resources: string[], timeoutMs: number): Promise<void> {
    await this.#until(
      () => this.#synced && resources.every((r) => this.#snapshots.has(r)) ? true : undefined,
      {
        timeoutMs,
        describe: (reason) =>
          `${reason} waiting for the Go informer to sync ${
            resources.join(", ")
          } (synced: ${this.#synced}); stderr tail:\n${this.stderrTail(20)}`,
      },
    );
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #stop(): Promise<void> {
    // End of stdin is the program's stop signal; SIGKILL is the fallback.
    await this.#stdin.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // Ended between the grace timeout and the kill.
        }
        resolve();
      }, stopGraceMs);
    });
    await Promise.race([this.#child.status, killed]);
    clearTimeout(timer);
    await this.#child.status;
    await this.#pumped;
  }

  /** Resolves with `probe`'s first defined value, re-checked on every output line. */
  #until<T>(
    probe: () => T | undefined,
    options: { timeoutMs: number; describe: (reason: string) => string },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          let value: T | undefined;
          try {
            value = probe();
          } catch (error) {
            finish();
            reject(error);
            return;
          }
          if (value !== undefined) {
            finish();
            resolve(value);
          } else if (this.#exit) {
            finish();
            reject(new Error(options.describe(`Go informer exited with code ${this.#exit.code}`)));
          }
        },
      };
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      // Declared before the first check() below, which may call finish().
      const timer = setTimeout(() => {
        finish();
        reject(new Error(options.describe(`Timed out after ${options.timeoutMs} ms`)));
      }, options.timeoutMs);
      this.#waiters.add(waiter);
      waiter.check();
    });
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  #onStdout(line: string): void {
    let message: { synced?: boolean; resource?: string; items?: GoInformerItem[] };
    try {
      message = JSON.parse(line);
    } catch {
      this.#keepStderr(`(unparsed stdout) ${line}`);
      return;
    }
    if (message.synced === true) {
      this.#synced = true;
    } else if (typeof message.resource === "string" && Array.isArray(message.items)) {
      this.#snapshots.set(message.resource, message.items);
    } else {
      this.#keepStderr(`(unexpected stdout) ${line}`);
      return;
    }
    this.#notify();
  }

  #onStderr(line: string): void {
    this.#keepStderr(line);
    if (line.startsWith("watch error:")) this.#errors.push(line);
  }

  #keepStderr(line: string): void {
    this.#stderr.push(line);
    if (this.#stderr.length > stderrKept) this.#stderr.splice(0, this.#stderr.length - stderrKept);
  }
}

/** Calls `onLine` for every line of `stream` (without the newline), to its end. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let buffered = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  }
  if (buffered) onLine(buffered);
}
