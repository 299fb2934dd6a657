/**
 * Bearer-token authentication of Emitter requests against a file of
 * accepted tokens (`--emitter.token-file`), re-read when it changes so
 * tokens rotate without a restart.
 *
 * File format: one token per line; blank lines and lines starting with `#`
 * are ignored. A line with a comma is kube-apiserver's `--token-auth-file`
 * CSV (`token,user,uid,"group1,group2"`) and only its first field is the
 * token, so an existing token file can be reused as is.
 *
 * Contract:
 * - The file is read once at creation. A missing, unreadable or token-less
 *   file is an Error naming the path, so start-up stops there.
 * - Afterwards the file is stat'ed at most once per
 *   {@linkcode tokenAuthRecheckMs} (by the injected clock, and only when
 *   requests arrive) and re-read when its mtime, size or inode changed.
 * - A failed re-read, or one that finds no token, keeps the last good set:
 *   a broken edit neither locks everyone out nor lets everyone in. Each
 *   failure goes to `onReloadError`; a failed read or stat is retried at the
 *   next check, while a version of the file that held no token is not read
 *   again until it changes.
 * - A request is accepted iff its `Authorization` header is exactly
 *   `Bearer <token>` (scheme case-insensitive) for a token of the set. Only
 *   SHA-256 digests of the tokens are kept, and the request's digest is
 *   compared with every one of them without early exit, so the time taken
 *   tells nothing about how much of a token matched.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { type FileStamp, fileStamp, sameFileStamp } from "../kube/config/file_stamp.ts";
import { cannot } from "../cannot.ts";

/** How often, at most, the token file is checked for a change. */
export const tokenAuthRecheckMs = 1000;

/** Options of {@linkcode tokenAuthenticator}. */
export interface TokenAuthOptions {
  /** Time source for the recheck interval (default: the real clock). */
  clock?: Clock;
  /**
   * Called with the Error of each failed re-read; the previous tokens stay
   * in force. Omitted: failures are silent. Must not throw.
   */
  onReloadError?: (error: unknown) => void;
}

/**
 * Reads the accepted tokens from the file at `path` and returns a function
 * telling whether a request carries one of them; it never throws. Rejects
 * if the file cannot be read or holds no token.
 *
 * @example Usage
 * ```ts ignore
 * const authenticate = await tokenAuthenticator("/etc/emitter/tokens");
 * const handler = createHandler({ view, hub, ready, authenticate });
 * ```
 */
export async function tokenAuthenticator(
  path: string,
  options: TokenAuthOptions = {},
): Promise<(request: Request) => Promise<boolean>> {
  if (path === "") {
    throw new TypeError(cannot("read token file", "'path' must be a non-empty string", path));
  }
  const tokens = new TokenSet(path, options);
  await tokens.load(await tokens.stat());
  return (request) => tokens.accepts(request);
}

class TokenSet {
  readonly #path: string;
  readonly #clock: Clock;
  readonly #onReloadError: ((error: unknown) => void) | undefined;
  // SHA-256 digests of the accepted tokens: the last good set, never empty.
  #digests: Uint8Array[] = [];
  // The stamp of the version last read (good or token-less), taken before reading it.
  #stamp: FileStamp | undefined;
  // When the stamp was last compared (creation counts as one).
  #checkedAt: number;
  // One check in flight, shared by concurrent requests.
  #checking: Promise<void> | undefined;

  constructor(path: string, options: TokenAuthOptions) {
    this.#path = path;
    this.#clock = options.clock ?? realClock;
    this.#onReloadError = options.onReloadError;
    this.#checkedAt = this.#clock.now();
  }

  /**
   * Reads the file, whose `stamp` was taken just before; throws if it yields
   * no token. Stat before reading: if the file changes in between, the stamp
   * kept is the older one, so the next check reads again and no change is missed.
   */
  async load(stamp: FileStamp): Promise<void> {
    const tokens = parseTokens(await this.#read());
    this.#stamp = stamp;
    if (tokens.length === 0) {
      throw new Error(`Cannot read token file "${this.#path}": file holds no token`);
    }
    this.#digests = await Promise.all(tokens.map(digest));
  }

  async accepts(request: Request): Promise<boolean> {
    const header = request.headers.get("authorization");
    if (header === null || header.slice(0, 7).toLowerCase() !== "bearer ") return false;
    const token = header.slice(7);
    if (token === "") return false;
    await this.#refresh();
    const presented = await digest(token);
    let accepted = false;
    // Every digest is compared, whatever matched before.
    for (const known of this.#digests) accepted = sameDigest(known, presented) || accepted;
    return accepted;
  }

  #refresh(): Promise<void> {
    if (this.#clock.now() - this.#checkedAt < tokenAuthRecheckMs) return Promise.resolve();
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<void> {
    this.#checkedAt = this.#clock.now();
    try {
      const stamp = await this.stat();
      if (this.#stamp && sameFileStamp(this.#stamp, stamp)) return;
      await this.load(stamp);
    } catch (error) {
      // A failed stat or read leaves the stamp as it was, so it is tried again.
      this.#onReloadError?.(error);
    }
  }

  /** The file's current stamp; throws if it cannot be stat'ed. */
  async stat(): Promise<FileStamp> {
    try {
      return await fileStamp(this.#path);
    } catch (cause) {
      throw this.#failure(cause);
    }
  }

  async #read(): Promise<string> {
    try {
      return await Deno.readTextFile(this.#path);
    } catch (cause) {
      throw this.#failure(cause);
    }
  }

  #failure(cause: unknown): Error {
    const reason = cause instanceof Deno.errors.NotFound
      ? "file not found"
      : `file is not readable (${cause instanceof Error ? cause.message : String(cause)})`;
    return new Error(`Cannot read token file "${this.#path}": ${reason}`, { cause });
  }
}

/** The tokens of a token file's text, in order. */
function parseTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const token = line.includes(",") ? firstCsvField(line) : line;
    if (token !== "") tokens.push(token);
  }
  return tokens;
}

/** The first field of a CSV record, unquoted (`"a""b",x` is `a"b`). */
function firstCsvField(line: string): string {
  if (!line.startsWith('"')) return line.slice(0, line.indexOf(",")).trim();
  let field = "";
  for (let index = 1; index < line.length; index++) {
    const char = line.charAt(index);
    if (char !== '"') field += char;
    else if (line.charAt(index + 1) === '"') field += line.charAt(++index);
    else break;
  }
  return field;
}

async function digest(token: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
}

/** Compares two SHA-256 digests in time independent of their content. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let index = 0; index < a.length; index++) difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  return difference === 0;
}
