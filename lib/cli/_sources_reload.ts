/**
 * The sources file kept live: read once at start-up (a file that cannot be
 * used stops start-up), then read again whenever it may have changed
 * (`_file_changes.ts`). A file whose text changed and that loads is
 * handed on as the Reflector's whole list of sources (the flags' sources
 * first, then the file's); one that does not load changes nothing: the last
 * good sources go on running, nothing is deleted, and the error is logged,
 * counted (`service_reflector_config_reload_errors_total`, with
 * `service_reflector_config_last_reload_successful` at 0) and shown on
 * `/readyz?verbose` until a later text loads.
 *
 * @module
 */

import { Counter, Gauge, type Registry } from "prom-client";
import { type Clock, realClock } from "../clock.ts";
import { shown } from "../cannot.ts";
import type { Logger } from "../log/logger.ts";
import type { SourceOptions } from "../reflector/source.ts";
import { watchFileChanges } from "./_file_changes.ts";
import { parseSourcesFile, SourcesFileError } from "./_sources_file.ts";
import { loadSourceEntries, type SourceDefaults } from "./_sources_file_load.ts";

/** Most bytes a sources file may hold (a ConfigMap holds at most 1 MiB). */
export const maxSourcesFileBytes = 1024 * 1024;

/** Options of {@linkcode SourcesFile.load}. */
export interface SourcesFileOptions {
  /** The file (`--reflector.sources-file`). */
  path: string;
  /** The sources of the flags, which the file's may not rename. */
  fixed: readonly SourceOptions[];
  /** What the file's sources share unless their entry says otherwise. */
  defaults: SourceDefaults;
  /** Time source of the last-reload time. */
  clock?: Clock;
}

/** Options of {@linkcode SourcesFile.run}. */
export interface SourcesFileRunOptions {
  /** Watching stops once it aborts. */
  signal: AbortSignal;
  /** Told every list of sources a changed file loads to. */
  apply(sources: readonly SourceOptions[]): void;
  /** Reload outcomes are logged here. */
  logger: Logger;
  /** Where the reload metrics are registered (once per registry). */
  registry: Registry;
  /** How often the file is read whatever the events. Defaults to 10 000 ms. */
  pollMs?: number;
}

/** The sources file as last loaded. */
export class SourcesFile {
  readonly #options: SourcesFileOptions;
  /** The text of the file at the last read, loaded or not. */
  #text: string;
  #sources: readonly SourceOptions[];
  #loadedAtMs: number;
  #failure: { error: Error; atMs: number } | undefined;

  /** Holds `loaded`, the file's `text` and its sources; {@linkcode SourcesFile.load} makes both. */
  constructor(options: SourcesFileOptions, loaded: { text: string; sources: SourceOptions[] }) {
    this.#options = options;
    this.#text = loaded.text;
    this.#sources = loaded.sources;
    this.#loadedAtMs = (options.clock ?? realClock).now();
  }

  /**
   * Reads and loads the file once.
   *
   * @throws {SourcesFileError} When it cannot be read, parsed or loaded.
   */
  static async load(options: SourcesFileOptions): Promise<SourcesFile> {
    const text = await readBounded(options.path);
    return new SourcesFile(options, { text, sources: await loadText(options, text) });
  }

  /** Every source: the flags', then the file's as last loaded. */
  get sources(): readonly SourceOptions[] {
    return [...this.#options.fixed, ...this.#sources];
  }

  /** The `/readyz?verbose` line: what was loaded when, and the last failure since, if any. */
  describe(nowMs: number): string {
    const ago = (ms: number) => `${Math.max(0, Math.round((nowMs - ms) / 1000))}s ago`;
    const loaded = `${this.#sources.length} sources loaded ${ago(this.#loadedAtMs)}`;
    if (!this.#failure) return `${loaded}, ${this.#options.path}`;
    return `reload failed ${
      ago(this.#failure.atMs)
    }, the last good configuration runs (${loaded}): ${this.#failure.error.message}`;
  }

  /**
   * Reloads the file whenever its text changes, until `signal` aborts.
   * Never rejects: a failed reload is told, not thrown.
   */
  async run(options: SourcesFileRunOptions): Promise<void> {
    const errors = new Counter({
      name: "service_reflector_config_reload_errors_total",
      help: "Reloads of --reflector.sources-file that failed; the last good sources keep running.",
      registers: [options.registry],
    });
    const successful = new Gauge({
      name: "service_reflector_config_last_reload_successful",
      help: "Whether the last load of --reflector.sources-file succeeded (1) or not (0).",
      registers: [options.registry],
    });
    successful.set(1);
    const log = options.logger.child({ component: "sources-file" });
    await watchFileChanges(this.#options.path, {
      signal: options.signal,
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      onWatchError: (error) =>
        log.warn("cannot watch the sources file's directory: polling only", { error }),
      onChange: async () => {
        try {
          const sources = await this.#reload();
          if (!sources) return;
          successful.set(1);
          log.info("sources file reloaded", { sources: sources.map((each) => each.name) });
          options.apply(this.sources);
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          this.#failure = { error: failure, atMs: (this.#options.clock ?? realClock).now() };
          errors.inc();
          successful.set(0);
          log.warn("cannot reload the sources file: the last good sources keep running", {
            error: failure,
          });
        }
      },
    });
  }

  /** The file's sources, newly loaded; undefined when its text is unchanged. */
  async #reload(): Promise<SourceOptions[] | undefined> {
    const text = await readBounded(this.#options.path);
    if (text === this.#text) return undefined;
    this.#text = text;
    const sources = await loadText(this.#options, text);
    this.#sources = sources;
    this.#loadedAtMs = (this.#options.clock ?? realClock).now();
    this.#failure = undefined;
    return sources;
  }
}

/** The text of the file at `path`, at most {@linkcode maxSourcesFileBytes}. */
async function readBounded(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    const file = await Deno.open(path);
    try {
      const { size } = await file.stat();
      if (size > maxSourcesFileBytes) {
        throw new SourcesFileError(
          path,
          `it holds ${size} bytes, more than ${maxSourcesFileBytes}`,
        );
      }
      bytes = new Uint8Array(await new Response(file.readable).arrayBuffer());
    } finally {
      try {
        file.close();
      } catch {
        // Reading the readable to its end closed it already.
      }
    }
  } catch (error) {
    if (error instanceof SourcesFileError) throw error;
    throw new SourcesFileError(path, `it cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return new TextDecoder().decode(bytes.subarray(0, maxSourcesFileBytes));
}

/** The file's sources in `text`, named apart from the fixed sources. */
async function loadText(options: SourcesFileOptions, text: string): Promise<SourceOptions[]> {
  const { path, fixed, defaults } = options;
  const entries = parseSourcesFile(path, text);
  const taken = new Set(fixed.map((source) => source.name));
  entries.forEach((entry, index) => {
    if (taken.has(entry.name)) {
      throw new SourcesFileError(
        path,
        `sources[${index}].name ${
          shown(entry.name)
        } is already used by a --reflector.source-api or --reflector.source-kubeconfig source`,
      );
    }
  });
  return await loadSourceEntries(path, entries, defaults);
}
