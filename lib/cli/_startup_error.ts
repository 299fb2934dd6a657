/**
 * The command's one error for a configuration that cannot run: a file a flag
 * names cannot be read, a kubeconfig does not load, a value derived at
 * start-up is not valid. The command prints its message on one line and
 * exits 2, as for a bad flag.
 *
 * @module
 */

/** A configuration problem found at start-up; the message is `<flag>: <cause's message>`. */
export class StartupError extends Error {
  /** The flag whose value is at fault. */
  readonly flag: string;

  /** Creates the error for `flag`, keeping `cause`. */
  constructor(flag: string, cause: unknown) {
    super(`${flag}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StartupError";
    this.flag = flag;
  }
}

/** What `load` returns; whatever it throws, as a {@linkcode StartupError} blaming `flag`. */
export async function blaming<T>(flag: string, load: () => T | Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new StartupError(flag, error);
  }
}
