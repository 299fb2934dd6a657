/**
 * One process of the test control plane (etcd, kube-apiserver, ...), with
 * its stdout and stderr appended to a log file.
 *
 * Invariants: a started component is stopped exactly once by {@linkcode
 * Component.stop}, which always reaps the process and closes its log, even if
 * the process already died; a component can be started again after a stop,
 * appending to the same log.
 *
 * @module
 */

import { poll } from "../support/poll.ts";

/** Options of {@linkcode Component}. */
export interface ComponentOptions {
  /** Executable to run. */
  binary: string;
  /** Arguments, including the multi-call command name. */
  args: string[];
  /** File that receives stdout and stderr, appended across restarts. */
  logPath: string;
  /** Environment added to the inherited one. */
  env?: Record<string, string>;
  /** Time between SIGTERM and SIGKILL on {@linkcode Component.stop}. Defaults to 10 000 ms. */
  stopGraceMs?: number;
}

/** A restartable child process with a log file. */
export class Component {
  /** Short name used in logs and errors, e.g. `kube-apiserver`. */
  readonly name: string;
  readonly #options: ComponentOptions;
  #running: { child: Deno.ChildProcess; pumped: Promise<void> } | undefined;
  #exit: Promise<Deno.CommandStatus> | undefined;

  constructor(name: string, options: ComponentOptions) {
    this.name = name;
    this.#options = options;
  }

  /** Path of the log file. */
  get logPath(): string {
    return this.#options.logPath;
  }

  /** Resolves with the exit status once the current process ends. */
  get exited(): Promise<Deno.CommandStatus> {
    if (!this.#exit) throw new Error(`Cannot wait for ${this.name}: it was never started`);
    return this.#exit;
  }

  /** Spawns the process. Throws if it is already running. */
  async start(): Promise<void> {
    if (this.#running) throw new Error(`Cannot start ${this.name}: it is already running`);
    const log = await Deno.open(this.#options.logPath, { create: true, append: true });
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.#options.binary, {
        args: this.#options.args,
        env: this.#options.env ?? {},
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      log.close();
      throw error;
    }
    const sink = new LogSink(log);
    const pumped = Promise.all([sink.drain(child.stdout), sink.drain(child.stderr)])
      .then(() => {}).finally(() => log.close());
    this.#running = { child, pumped };
    this.#exit = child.status;
  }

  /** Stops the process with SIGTERM, then SIGKILL after a grace period, and reaps it. */
  async stop(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    const { child, pumped } = running;
    try {
      child.kill("SIGTERM");
    } catch {
      // The process already ended; reaping below still applies.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Ended between the grace timeout and the kill.
        }
        resolve();
      }, this.#options.stopGraceMs ?? 10_000);
    });
    await Promise.race([child.status, killed]);
    clearTimeout(timer);
    await child.status;
    await pumped;
  }

  /** Returns the last `lines` lines of the log. */
  async tail(lines = 40): Promise<string> {
    const text = await Deno.readTextFile(this.#options.logPath).catch(() => "");
    return text.split("\n").slice(-lines - 1).join("\n");
  }
}

/** Options of {@linkcode waitForComponent}. */
export interface WaitForComponentOptions {
  /** What is awaited, for messages, e.g. "kube-apiserver to be ready in cluster \"east\"". */
  description: string;
  /** Give up after this long. */
  timeoutMs: number;
  /** Aborts the wait. */
  signal?: AbortSignal | undefined;
}

/** Polls `probe` every 200 ms, failing at once if `component` exits meanwhile. */
export async function waitForComponent(
  component: Component,
  probe: () => Promise<true | undefined>,
  options: WaitForComponentOptions,
): Promise<void> {
  const died = new AbortController();
  component.exited.then((status) => {
    died.abort(
      new Error(
        `${component.name} exited with code ${status.code} while waiting for ${options.description}`,
      ),
    );
  });
  const signals = [died.signal];
  if (options.signal) signals.push(options.signal);
  await poll(probe, {
    description: options.description,
    timeoutMs: options.timeoutMs,
    intervalMs: 200,
    signal: AbortSignal.any(signals),
  });
}

/**
 * Appends chunks of several streams to one file as they arrive. Writes go
 * straight to the file (not through `FsFile.writable`, which buffers until
 * close), so a log can be read while the process runs; one promise chain
 * keeps chunks whole and in arrival order.
 */
class LogSink {
  readonly #file: Deno.FsFile;
  #last: Promise<void> = Promise.resolve();

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream) {
      this.#last = this.#last.then(() => this.#writeAll(chunk));
      await this.#last;
    }
  }

  async #writeAll(chunk: Uint8Array): Promise<void> {
    for (let offset = 0; offset < chunk.length;) {
      offset += await this.#file.write(chunk.subarray(offset));
    }
  }
}
