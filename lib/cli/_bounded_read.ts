/**
 * Reads a small text file that may turn out to be anything, without ever
 * blocking its caller or growing without bound:
 * - only a regular file is read: the path's symlinks are followed (a
 *   mounted ConfigMap's key is a symlink through `..data`) and the target
 *   checked before it is opened, so that a FIFO, whose open waits for a
 *   writer, or a device (`/dev/zero` never ends; opening some devices acts)
 *   is refused unopened. The open is non-blocking (`node:fs` with
 *   `O_NONBLOCK`, which `Deno.open` lacks), so that a FIFO put in the
 *   target's place since the check cannot hold it, and the opened file is
 *   checked again;
 * - at most `maxBytes` are read, counted as they arrive (a stat size can
 *   lie: it is 0 for `/proc` files and devices);
 * - the whole read must finish within `timeoutMs`, or it is abandoned and
 *   reported. What is in flight then (a stat or a read on a hung network
 *   mount) is left behind, the file closed once it returns, and until it
 *   returns every later read fails at once instead of piling up more.
 *
 * @module
 */

import { constants, type promises } from "node:fs";
import { open } from "node:fs/promises";
import { type Clock, realClock } from "../clock.ts";

type FileHandle = promises.FileHandle;

/** A file {@linkcode BoundedReader.read} could not read; `problem` says why in a few words. */
export class UnreadableFileError extends Error {
  /** The path as given. */
  readonly path: string;
  /** E.g. `it is a FIFO, not a regular file`. */
  readonly problem: string;

  /** The message is `Cannot read <path>: <problem>`. */
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`Cannot read ${path}: ${problem}`, options);
    this.name = "UnreadableFileError";
    this.path = path;
    this.problem = problem;
  }
}

/** Options of {@linkcode BoundedReader}. */
export interface BoundedReaderOptions {
  /** Most bytes a file may hold; a file with more is refused. */
  maxBytes: number;
  /** Longest a read may take, from the first look at the path to the last byte. */
  timeoutMs: number;
  /** Time source of the bound. */
  clock?: Clock;
}

/** Reads files one at a time under the bounds of its options. */
export class BoundedReader {
  readonly #options: BoundedReaderOptions;
  /** The abandoned read that has not returned yet, and when it was abandoned. */
  #stuck: { since: number } | undefined;

  /** Validates `options`; nothing is read yet. */
  constructor(options: BoundedReaderOptions) {
    for (const key of ["maxBytes", "timeoutMs"] as const) {
      const value = options[key];
      if (!Number.isInteger(value) || value <= 0) {
        throw new RangeError(
          `Cannot read files as '${key}' must be a positive integer: current value is ${value}`,
        );
      }
    }
    this.#options = options;
  }

  /**
   * The text of the regular file at `path` (UTF-8, invalid bytes replaced).
   *
   * @throws {UnreadableFileError} When it is not a regular file, holds more
   * than `maxBytes`, cannot be read, or is not read within `timeoutMs`.
   */
  async read(path: string): Promise<string> {
    const { timeoutMs, clock = realClock } = this.#options;
    if (this.#stuck) {
      const ago = Math.round((clock.now() - this.#stuck.since) / 1000);
      throw new UnreadableFileError(
        path,
        `an earlier read of it was abandoned ${ago}s ago and has not returned: it is not read again until it does`,
      );
    }
    let file: FileHandle | undefined;
    let abandoned = false;
    const reading = this.#readRegular(path, (opened) => {
      if (abandoned) opened.close().catch(() => {});
      else file = opened;
    });
    const timeout = new AbortController();
    const timedOut = clock.sleep(timeoutMs, timeout.signal).then(() => "timeout" as const);
    try {
      const outcome = await Promise.race([reading, timedOut]);
      if (outcome !== "timeout") return outcome;
    } finally {
      timeout.abort();
      timedOut.catch(() => {});
    }
    abandoned = true;
    const stuck = { since: clock.now() };
    this.#stuck = stuck;
    // Whatever is in flight ends when it ends; the file is closed then, if not now.
    file?.close().catch(() => {});
    reading.then(() => {}, () => {}).finally(() => {
      if (this.#stuck === stuck) this.#stuck = undefined;
    });
    throw new UnreadableFileError(
      path,
      `it was not read within ${timeoutMs / 1000}s: the read was abandoned`,
    );
  }

  /** Reads the file at `path` once checked regular, telling `onOpen` the file it opened. */
  async #readRegular(path: string, onOpen: (file: FileHandle) => void): Promise<string> {
    const { maxBytes } = this.#options;
    let file: FileHandle;
    try {
      const target = await Deno.realPath(path);
      checkRegular(path, await Deno.stat(target));
      // Non-blocking, so that a FIFO put in its place since the check cannot hold the open.
      file = await open(target, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (error) {
      throw unreadable(path, error);
    }
    onOpen(file);
    try {
      const opened = await file.stat();
      if (!opened.isFile()) throw new UnreadableFileError(path, "it is not a regular file");
      // One byte more than allowed tells a file that holds too many.
      const buffer = new Uint8Array(maxBytes + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > maxBytes) {
        throw new UnreadableFileError(path, `it holds more than ${maxBytes} bytes`);
      }
      return new TextDecoder().decode(buffer.subarray(0, length));
    } catch (error) {
      throw unreadable(path, error);
    } finally {
      await file.close().catch(() => {});
    }
  }
}

/** `error` as an {@linkcode UnreadableFileError} of `path`. */
function unreadable(path: string, error: unknown): UnreadableFileError {
  if (error instanceof UnreadableFileError) return error;
  return new UnreadableFileError(path, `it cannot be read: ${(error as Error).message}`, {
    cause: error,
  });
}

/** Throws unless `info` is a regular file's, naming what it is instead. */
function checkRegular(path: string, info: Deno.FileInfo): void {
  if (info.isFile) return;
  const kind = info.isDirectory
    ? "a directory"
    : info.isFifo
    ? "a FIFO"
    : info.isCharDevice
    ? "a character device"
    : info.isBlockDevice
    ? "a block device"
    : info.isSocket
    ? "a socket"
    : undefined;
  throw new UnreadableFileError(path, `it is ${kind ? `${kind}, not ` : "not "}a regular file`);
}
