/**
 * A bearer token read from a file that may be rotated underneath us: the
 * kubelet rewrites projected ServiceAccount tokens long before they expire,
 * and kubeconfig `tokenFile` entries are meant to be re-read the same way.
 *
 * Contract:
 * - The file is stat'ed at most once per {@linkcode tokenFileRecheckMs}
 *   (by the injected clock) and re-read only when its mtime, size or inode
 *   changed since the last read, so a busy client costs one stat a second.
 * - `invalidate()` (the transport calls it after a 401) forces a re-read on
 *   the next `get()`, whatever the stat says.
 * - The token is the file's content with surrounding whitespace trimmed. An
 *   empty file or a failed read is an Error naming the path; nothing stale
 *   is served in its place, and the next `get()` tries again.
 *
 * @module
 */

import type { CredentialProvider, Credentials } from "./client_config.ts";
import { type Clock, realClock } from "../../clock.ts";
import { type FileStamp, fileStamp, sameFileStamp } from "./file_stamp.ts";

/** How often, at most, the file is checked for a change. */
export const tokenFileRecheckMs = 1000;

/** Options of {@linkcode tokenFileCredentials}. */
export interface TokenFileOptions {
  /** Time source for the recheck interval (default: the real clock). */
  clock?: Clock;
}

/**
 * A {@linkcode CredentialProvider} whose token is the content of the file at
 * `path`, re-read when the file changes. Nothing is read until the first `get()`.
 */
export function tokenFileCredentials(
  path: string,
  options: TokenFileOptions = {},
): CredentialProvider {
  return new TokenFileProvider(path, options.clock ?? realClock);
}

class TokenFileProvider implements CredentialProvider {
  readonly #path: string;
  readonly #clock: Clock;
  // The last token read, and the stamp the file had just before it was read.
  #cached: { credentials: Credentials; stamp: FileStamp } | undefined;
  // When the stamp was last compared; -Infinity forces a check.
  #checkedAt = -Infinity;
  // One check in flight, shared by concurrent callers.
  #checking: Promise<Credentials> | undefined;
  // Bumped by invalidate(), so a check that started before it cannot refill the cache.
  #generation = 0;

  constructor(path: string, clock: Clock) {
    this.#path = path;
    this.#clock = clock;
  }

  get(signal?: AbortSignal): Promise<Credentials> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#cached && this.#clock.now() - this.#checkedAt < tokenFileRecheckMs) {
      return Promise.resolve(this.#cached.credentials);
    }
    let checking = this.#checking;
    if (checking === undefined) {
      checking = this.#check().finally(() => {
        if (this.#checking === checking) this.#checking = undefined;
      });
      this.#checking = checking;
    }
    return checking;
  }

  invalidate(): void {
    // A check already in flight may have read the refused token; the next get() reads anew.
    this.#cached = undefined;
    this.#checking = undefined;
    this.#checkedAt = -Infinity;
    this.#generation++;
  }

  async #check(): Promise<Credentials> {
    const generation = this.#generation;
    const checkedAt = this.#clock.now();
    // Stat before reading: if the file changes in between, the stamp kept is the older
    // one, so the next check sees a difference and reads again. A change is never missed.
    const stamp = await this.#stat();
    const cached = this.#cached;
    if (cached && sameFileStamp(cached.stamp, stamp)) {
      if (generation === this.#generation) this.#checkedAt = checkedAt;
      return cached.credentials;
    }
    const token = await this.#read();
    const credentials = Object.freeze({ token });
    if (generation === this.#generation) {
      this.#cached = { credentials, stamp };
      this.#checkedAt = checkedAt;
    }
    return credentials;
  }

  async #stat(): Promise<FileStamp> {
    try {
      return await fileStamp(this.#path);
    } catch (cause) {
      throw this.#failure(cause);
    }
  }

  async #read(): Promise<string> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (cause) {
      throw this.#failure(cause);
    }
    const token = text.trim();
    if (token === "") throw new Error(`Cannot read token file "${this.#path}": file is empty`);
    return token;
  }

  #failure(cause: unknown): Error {
    const reason = cause instanceof Deno.errors.NotFound
      ? "file not found"
      : `file is not readable (${cause instanceof Error ? cause.message : String(cause)})`;
    return new Error(`Cannot read token file "${this.#path}": ${reason}`, { cause });
  }
}
