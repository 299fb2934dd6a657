/**
 * The sources file kept live: read once at start-up (a file that cannot be
 * used stops start-up), then read again whenever it may have changed
 * (`_file_changes.ts`). Every read is bounded (`_bounded_read.ts`: regular
 * files only, at most {@linkcode maxSourcesFileBytes} as read, within
 * {@linkcode sourcesFileReadTimeoutMs}), so no file can block the reloads
 * or grow the process.
 *
 * A changed text is applied only once it is stable (read again
 * {@linkcode sourcesFileStableMs} later, the same), and then, if it loads,
 * handed on as the Reflector's whole list of sources (the flags' sources
 * first, then the file's). A source it no longer lists is removed as the
 * Reflector removes one (its mirrors stay through `--reflector.remove-grace`
 * and are adopted in place if it is listed again); a text listing no source
 * where the last one listed some is also a warning, logged and shown on
 * `/readyz?verbose` through the grace.
 *
 * A file that cannot be read or does not load changes nothing: the last
 * good sources go on running, nothing is deleted, and the error is logged,
 * counted (`service_reflector_config_reload_errors_total`, with
 * `service_reflector_config_last_reload_successful` at 0) and shown on
 * `/readyz?verbose`. The status is the file's as it is now: the next read
 * that loads, or that finds the last loaded text again, ends it.
 *
 * @module
 */

import { Counter, Gauge, type Registry } from "prom-client";
import { type Clock, realClock } from "../clock.ts";
import { shown } from "../cannot.ts";
import type { Logger } from "../log/logger.ts";
import type { SourceConfig } from "../reflector/source_config.ts";
import { BoundedReader, UnreadableFileError } from "./_bounded_read.ts";
import { watchFileChanges } from "./_file_changes.ts";
import { parseSourcesFile, SourcesFileError } from "./_sources_file.ts";
import type { SourceDefaults } from "./_source_config.ts";
import { loadSourceEntries } from "./_sources_file_load.ts";

/** Most bytes a sources file may hold (a ConfigMap holds at most 1 MiB), counted as read. */
export const maxSourcesFileBytes = 1024 * 1024;

/** Longest one read of the file may take before it is abandoned and reported. */
export const sourcesFileReadTimeoutMs = 5_000;

/**
 * How long a changed text must stay the same to be applied: it is read
 * again this long after, and applied only if both reads agree, so that a
 * file written in steps (truncated, then written, as `>` and most editors
 * do) is one change, not two.
 */
export const sourcesFileStableMs = 1_000;

/** Options of {@linkcode SourcesFile.load}. */
export interface SourcesFileOptions {
  /** The file (`--reflector.sources-file`). */
  path: string;
  /** The sources of the flags, which the file's may not rename. */
  fixed: readonly SourceConfig[];
  /** What the file's sources share unless their entry says otherwise. */
  defaults: SourceDefaults;
  /** `--reflector.remove-grace`, in ms, for the warning on a file emptied. Defaults to 0. */
  removeGraceMs?: number;
  /** Time source of the last-reload time, of the stable-text wait and of the read bound. */
  clock?: Clock;
}

/** Options of {@linkcode SourcesFile.run}. */
export interface SourcesFileRunOptions {
  /** Watching stops once it aborts. */
  signal: AbortSignal;
  /** Told every list of sources a changed file loads to. */
  apply(sources: readonly SourceConfig[]): void;
  /** Reload outcomes are logged here. */
  logger: Logger;
  /** Where the reload metrics are registered (once per registry). */
  registry: Registry;
  /** How often the file is read however it looks (see `_file_changes.ts`). Defaults to 10 000 ms. */
  pollMs?: number;
}

/** What one look at the file found. */
type Reload =
  /** The text is the one loaded last (or one that failed to load last), and nothing failed since. */
  | { kind: "unchanged" }
  /** The text is the one loaded last again, after a failure: the failure is over. */
  | { kind: "recovered" }
  /** A new text loaded to `sources`; `emptied` names the file's sources it dropped, all of them. */
  | { kind: "loaded"; sources: SourceConfig[]; emptied?: string[] };

/** The sources file as last loaded. */
export class SourcesFile {
  readonly #options: SourcesFileOptions;
  readonly #reader: BoundedReader;
  /** The text of the last load that loaded. */
  #text: string;
  #sources: readonly SourceConfig[];
  #loadedAtMs: number;
  /** The failure since the last load, and the text that failed to load, if it was read. */
  #failure: { error: Error; atMs: number; text?: string } | undefined;
  /** Since a load listing no source replaced one listing some: when, and their names. */
  #emptied: { names: string[]; atMs: number } | undefined;

  /** Holds `loaded`, the file's `text` and its sources; {@linkcode SourcesFile.load} makes both. */
  constructor(options: SourcesFileOptions, loaded: { text: string; sources: SourceConfig[] }) {
    this.#options = options;
    this.#reader = sourcesFileReader(options.clock);
    this.#text = loaded.text;
    this.#sources = loaded.sources;
    this.#loadedAtMs = this.#now();
  }

  /**
   * Reads and loads the file once.
   *
   * @throws {SourcesFileError} When it cannot be read, parsed or loaded.
   */
  static async load(options: SourcesFileOptions): Promise<SourcesFile> {
    const text = await readText(sourcesFileReader(options.clock), options.path);
    return new SourcesFile(options, { text, sources: await loadText(options, text) });
  }

  /** Every source: the flags', then the file's as last loaded. */
  get sources(): readonly SourceConfig[] {
    return [...this.#options.fixed, ...this.#sources];
  }

  /**
   * The `/readyz?verbose` line: what was loaded when, and the last failure
   * since, if any; or, while the sources of a file emptied are inside their
   * grace, a warning naming them.
   */
  describe(nowMs: number): string {
    const ago = (ms: number) => `${seconds(nowMs - ms)}s ago`;
    const loaded = `${this.#sources.length} sources loaded ${ago(this.#loadedAtMs)}`;
    if (this.#failure) {
      return `reload failed ${
        ago(this.#failure.atMs)
      }, the last good configuration runs (${loaded}): ${this.#failure.error.message}`;
    }
    const line = `${loaded}, ${this.#options.path}`;
    const left = this.#emptied &&
      this.#emptied.atMs + (this.#options.removeGraceMs ?? 0) - nowMs;
    if (!this.#emptied || left === undefined || left <= 0) return line;
    return `${line}; warning: it lists no source, so ${this.#emptied.names.join(", ")} stopped ${
      ago(this.#emptied.atMs)
    } and their mirrors go in ${seconds(left)}s (--reflector.remove-grace) unless listed again`;
  }

  /**
   * Reloads the file whenever its text changes and stays the same for
   * {@linkcode sourcesFileStableMs}, until `signal` aborts.
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
      help: "Whether the last read of --reflector.sources-file loaded (1) or not (0).",
      registers: [options.registry],
    });
    successful.set(1);
    const { signal } = options;
    const log = options.logger.child({ component: "sources-file" });
    await watchFileChanges(this.#options.path, {
      signal,
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      onChange: async () => {
        let reload: Reload;
        try {
          reload = await this.#reload(signal);
        } catch (error) {
          if (signal.aborted) return;
          errors.inc();
          successful.set(0);
          log.warn("cannot reload the sources file: the last good sources keep running", {
            error: this.#failure?.error ?? error,
          });
          return;
        }
        if (reload.kind === "unchanged") return;
        successful.set(1);
        if (reload.kind === "recovered") {
          log.info("sources file read again as last loaded", { path: this.#options.path });
          return;
        }
        const { sources, emptied } = reload;
        log.info("sources file reloaded", { sources: sources.map((each) => each.name) });
        if (emptied) {
          log.warn(
            "the sources file lists no source: its sources stop, and their mirrors go after --reflector.remove-grace unless listed again",
            { sources: emptied, removeGraceMs: this.#options.removeGraceMs ?? 0 },
          );
        }
        options.apply(this.sources);
      },
    });
  }

  /**
   * Reads the file until two reads {@linkcode sourcesFileStableMs} apart
   * agree, then loads that text unless it is the last one loaded (or the
   * last one that failed to load).
   *
   * @throws {SourcesFileError} When a read or the load fails, which is
   * then the failure {@linkcode SourcesFile.describe} shows.
   */
  async #reload(signal: AbortSignal): Promise<Reload> {
    const clock = this.#options.clock ?? realClock;
    let text = await this.#read();
    while (true) {
      if (text === this.#text) {
        if (!this.#failure) return { kind: "unchanged" };
        this.#failure = undefined;
        return { kind: "recovered" };
      }
      if (text === this.#failure?.text) return { kind: "unchanged" };
      await clock.sleep(sourcesFileStableMs, signal);
      const again = await this.#read();
      if (again === text) break;
      text = again;
    }
    let sources: SourceConfig[];
    try {
      sources = await loadText(this.#options, text);
    } catch (error) {
      this.#failure = { error: error as Error, atMs: this.#now(), text };
      throw error;
    }
    const dropped = this.#sources.map((source) => source.name);
    const emptied = sources.length === 0 && dropped.length > 0 ? dropped : undefined;
    if (emptied) this.#emptied = { names: emptied, atMs: this.#now() };
    else if (sources.length > 0) this.#emptied = undefined;
    this.#text = text;
    this.#sources = sources;
    this.#loadedAtMs = this.#now();
    this.#failure = undefined;
    return { kind: "loaded", sources, ...(emptied ? { emptied } : {}) };
  }

  /** The file's text now; a failure to read it becomes the failure shown. */
  async #read(): Promise<string> {
    try {
      return await readText(this.#reader, this.#options.path);
    } catch (error) {
      this.#failure = { error: error as Error, atMs: this.#now() };
      throw error;
    }
  }

  #now(): number {
    return (this.#options.clock ?? realClock).now();
  }
}

/** Whole seconds of `ms`, rounded, never negative. */
function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 1000));
}

/** The reader of a sources file: regular files only, within the size cap and the time bound. */
function sourcesFileReader(clock: Clock | undefined): BoundedReader {
  return new BoundedReader({
    maxBytes: maxSourcesFileBytes,
    timeoutMs: sourcesFileReadTimeoutMs,
    ...(clock ? { clock } : {}),
  });
}

/** The text of the file at `path`, read by `reader`. */
async function readText(reader: BoundedReader, path: string): Promise<string> {
  try {
    return await reader.read(path);
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    throw new SourcesFileError(path, error.problem, { cause: error });
  }
}

/** The file's sources in `text`, named apart from the fixed sources. */
async function loadText(options: SourcesFileOptions, text: string): Promise<SourceConfig[]> {
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
