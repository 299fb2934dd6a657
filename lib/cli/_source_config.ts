/**
 * A source as written, by a flag (`--reflector.source-api`,
 * `--reflector.source-kubeconfig`) or by an entry of the sources file, made
 * the {@linkcode SourceConfig} the Reflector runs: the one path both take,
 * so that a source means the same whichever way it was given.
 *
 * - How it is reached: a URL (with the file's optional CA file, CA data and
 *   token file), or a kubeconfig through its current context or the one
 *   named. A flag's URL was made its client config once, at parsing; that
 *   config is used as is.
 * - What it reads: its own selector, else `--reflector.selector`; its own
 *   namespace, else `--namespace`, which it must equal when both are set;
 *   `--reflector.source-max-*` as its limits.
 * - Its `revision` is what the other fields do not show: the source as
 *   written, and for a kubeconfig the digest of the file's text, read before
 *   the file is loaded, so that the revision is never newer than the config
 *   and an edit of the kubeconfig behind an unchanged entry restarts that
 *   source on the next reload.
 *
 * Every file a source names is read here: a source whose file cannot be
 * read fails now, not when it first connects (a kubeconfig that cannot be
 * read fails with the loader's error, which names the file and why). The
 * caller names the source in messages (the flag, or `sources[0] ("east")`).
 *
 * @module
 */

import { resolve } from "node:path";
import { type ClientConfig, configFromUrl } from "../kube/config/client_config.ts";
import { loadKubeconfig } from "../kube/config/kubeconfig.ts";
import { tokenFileCredentials } from "../kube/config/token_file.ts";
import type { SourceConfig } from "../reflector/source_config.ts";
import type { SourceLimits } from "../reflector/source_limits.ts";
import { shown } from "../cannot.ts";
import type { SourcesFileEntry } from "./_sources_file.ts";

/**
 * One source as written: exactly one of `url` and `kubeconfig` is set. A
 * sources file entry is one, and so is a flag's source (`SourceFlag`), whose
 * URL comes with its `config`.
 */
export interface WrittenSource extends SourcesFileEntry {
  /**
   * The client config `url` was already made into (a flag's, made at
   * parsing): used as is, so `caFile`, `caData` and `tokenFile` are not read.
   */
  config?: ClientConfig;
}

/** What every source shares unless it says otherwise. */
export interface SourceDefaults {
  /** `--reflector.selector`: the selector of a source that sets none. */
  selector: string;
  /** `--reflector.source-max-*`: every source's limits. */
  limits: SourceLimits;
  /** `--namespace`: the namespace of a source that sets none, and the only one a source may set. */
  namespace?: string;
  /** The kubeconfigs' credentials' lifetime (see `loadKubeconfig`). */
  signal?: AbortSignal;
  /** The directory relative paths are read from; omitted: as given (the working directory's). */
  base?: string;
}

/**
 * A field of a source as written that its defaults rule out. The message
 * starts with the field's name, for the caller to put after the source's.
 */
export class SourceFieldError extends Error {
  /** The field at fault. */
  readonly field: keyof WrittenSource;

  /** The message is `<field> <problem>`. */
  constructor(field: keyof WrittenSource, problem: string) {
    super(`${field} ${problem}`);
    this.name = "SourceFieldError";
    this.field = field;
  }
}

/**
 * The source `written` runs as with `defaults` (see the module doc).
 *
 * @throws {TypeError} When `written` has not exactly one of a url and a kubeconfig.
 * @throws {SourceFieldError} When its namespace is not `--namespace`, before anything is read.
 * Rejects with the error of the file that cannot be read or the kubeconfig
 * that does not load, which the caller names the source in.
 */
export async function resolveSource(
  written: WrittenSource,
  defaults: SourceDefaults,
): Promise<SourceConfig> {
  if ((written.url === undefined) === (written.kubeconfig === undefined)) {
    throw new TypeError(
      `Cannot resolve source ${
        shown(written.name)
      } as it must have exactly one of a url and a kubeconfig`,
    );
  }
  const namespace = written.namespace ?? defaults.namespace;
  if (defaults.namespace && namespace !== defaults.namespace) {
    throw new SourceFieldError(
      "namespace",
      `must be --namespace ${shown(defaults.namespace)}, the only one reflected: current value is ${
        shown(namespace)
      }`,
    );
  }
  const { config: made, ...asWritten } = written;
  const common = {
    name: written.name,
    selector: written.selector ?? defaults.selector,
    limits: defaults.limits,
    ...(namespace ? { namespace } : {}),
  };
  const at = (file: string) => defaults.base === undefined ? file : resolve(defaults.base, file);
  if (written.kubeconfig !== undefined) {
    const { config, text } = await kubeconfigConfig(at(written.kubeconfig), written, defaults);
    return { ...common, config, revision: JSON.stringify([asWritten, await digest(text)]) };
  }
  const config = made ?? await urlConfig(written, at);
  return { ...common, config, revision: JSON.stringify([asWritten]) };
}

/**
 * The client config of the kubeconfig at `path`, and the file's text, read
 * before it is loaded (see the module doc).
 */
async function kubeconfigConfig(
  path: string,
  written: WrittenSource,
  defaults: SourceDefaults,
): Promise<{ config: ClientConfig; text: string }> {
  const load = () =>
    loadKubeconfig({
      path,
      ...(written.context ? { context: written.context } : {}),
      ...(defaults.signal ? { signal: defaults.signal } : {}),
    });
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    // The loader's error tells why the file cannot be read, naming it; this one is the fallback.
    await load();
    throw error;
  }
  return { config: (await load()).config, text };
}

/** The client config of the URL source `written`, its CA and token files read from `at`. */
async function urlConfig(
  written: WrittenSource,
  at: (file: string) => string,
): Promise<ClientConfig> {
  const caCerts = [
    ...(written.caFile ? [await Deno.readTextFile(at(written.caFile))] : []),
    ...(written.caData ? [written.caData] : []),
  ];
  const config = configFromUrl(written.url ?? "", { caCerts });
  if (!written.tokenFile) return config;
  // Read now so that a missing file fails here; the provider re-reads it as it changes.
  await Deno.readTextFile(at(written.tokenFile));
  return { ...config, credentials: tokenFileCredentials(at(written.tokenFile)) };
}

/** Hex SHA-256 of `text`. */
async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
