/**
 * The one error of `loadKubeconfig` (`kubeconfig.ts`): a kubeconfig that
 * cannot be found, read, parsed or used. `reason` classifies it, so a caller
 * decides what to do (a CLI words its one-line message, a fallback tries
 * another source) without reading `message`, whose text is for people and
 * names the file, the entry, the field and the value.
 *
 * One class for every reason, and not a subclass of TypeError or
 * SyntaxError: most reasons are bad values, but a missing file is not a
 * value of the wrong type, and one class cannot be both. Callers test
 * `reason`, never the class's ancestry.
 *
 * Only loading throws it. Credentials fetched later, at request time (an
 * exec plugin's run, a token file's re-read), fail with the plain Errors of
 * `exec_credential.ts` and `token_file.ts`: by then the kubeconfig has
 * loaded. `execCredentials()` checks its plugin with TypeErrors, as for any
 * caller's arguments; a kubeconfig never reaches them, because its `exec`
 * section is refused here first. In-cluster config is another input with
 * reasons of its own, so it has its own `InClusterConfigError`
 * (`in_cluster.ts`).
 *
 * @module
 */

/**
 * Why a kubeconfig cannot be loaded:
 *
 * - `not-found`: no kubeconfig file exists where one must (the explicit
 *   path, `$HOME/.kube/config`, every file of `KUBECONFIG`), with
 *   `Deno.errors.NotFound` as the cause; or there is nowhere to look, as
 *   neither `KUBECONFIG` nor `HOME` is set.
 * - `unreadable`: a kubeconfig file exists but cannot be read (a directory,
 *   no permission); the read error is the cause.
 * - `invalid-yaml`: a file is not YAML; the parser's error is the cause.
 * - `invalid-field`: a value has the wrong type or is not acceptable: the
 *   document or a list that is not one, an entry without a name, a field
 *   that is not a string, a boolean, base64 or a URL, a required field that
 *   is unset, a context naming a cluster or user that no file defines, an
 *   empty `tokenFile`.
 * - `duplicate-entry`: one file defines a cluster, user or context name twice.
 * - `context-not-found`: no context is selected (none given, no
 *   `current-context`), or the one selected is defined in no file.
 * - `conflicting-fields`: fields set together that exclude or need each
 *   other: a file and its `-data` twin, `exec` beside a static credential, a
 *   client certificate without its key.
 * - `unsupported`: a field this client refuses rather than ignores, since
 *   honouring it is impossible here and ignoring it would connect otherwise
 *   than kubectl (`insecure-skip-tls-verify: true`, `proxy-url`, basic auth,
 *   impersonation, `exec.interactiveMode: Always`, ...).
 * - `invalid-certificate`: PEM material that TLS would refuse: a CA bundle
 *   without certificates, a malformed certificate or key, a pair that does
 *   not match.
 * - `named-file-unreadable`: a file that a field names (a CA, certificate,
 *   key or `tokenFile`) does not exist or cannot be read; the read error is
 *   the cause (`Deno.errors.NotFound` when it does not exist).
 * - `exec-command`: the `exec.command` of a user is not an executable file,
 *   or is not found on `PATH`.
 * - `exec-permission`: the selected user has an exec plugin and this process
 *   lacks the unscoped run permission (`--allow-run`) it takes to run one.
 */
export type KubeconfigReason =
  | "not-found"
  | "unreadable"
  | "invalid-yaml"
  | "invalid-field"
  | "duplicate-entry"
  | "context-not-found"
  | "conflicting-fields"
  | "unsupported"
  | "invalid-certificate"
  | "named-file-unreadable"
  | "exec-command"
  | "exec-permission";

/** Options of the {@linkcode KubeconfigError} constructor. */
export interface KubeconfigErrorOptions {
  /** The kubeconfig file at fault, when the fault lies in one file. */
  file?: string | undefined;
  /** The error that revealed the fault, kept as `cause`. */
  cause?: unknown;
}

/** A kubeconfig that cannot be loaded; `reason` says why (see {@linkcode KubeconfigReason}). */
export class KubeconfigError extends Error {
  /** Why the kubeconfig cannot be loaded. */
  readonly reason: KubeconfigReason;
  /**
   * Absolute path of the kubeconfig file at fault: the one that cannot be
   * read or parsed, or that defines the entry or field at fault. `undefined`
   * when no one file is: no file was found, or no file defines the context.
   */
  readonly file: string | undefined;

  /** Creates the error with `message` as written, keeping `options.cause`. */
  constructor(reason: KubeconfigReason, message: string, options: KubeconfigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KubeconfigError";
    this.reason = reason;
    this.file = options.file;
  }
}
