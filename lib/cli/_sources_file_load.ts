/**
 * The sources file's entries made the Reflector's sources: each URL a
 * client config with its CA and token file, each kubeconfig loaded. Paths
 * in the file are relative to the file's directory.
 *
 * A source's `revision` is what its options do not show: the entry as
 * written and the text of its kubeconfig, so that editing the kubeconfig
 * behind an unchanged entry restarts that source on the next reload.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { configFromUrl } from "../kube/config/client_config.ts";
import { loadKubeconfig } from "../kube/config/kubeconfig.ts";
import { tokenFileCredentials } from "../kube/config/token_file.ts";
import type { SourceLimits } from "../reflector/source_limits.ts";
import type { SourceConfig } from "../reflector/source_config.ts";
import { shown } from "../cannot.ts";
import { type SourcesFileEntry, SourcesFileError } from "./_sources_file.ts";

/** What every source of the file shares unless its entry says otherwise. */
export interface SourceDefaults {
  /** `--reflector.selector`. */
  selector: string;
  /** `--reflector.source-max-*`. */
  limits: SourceLimits;
  /** `--namespace`: an entry's namespace must be it, if set. */
  namespace?: string;
  /** The kubeconfigs' credentials' lifetime (see `loadKubeconfig`). */
  signal?: AbortSignal;
}

/**
 * The sources of `entries`, read from the file at `path`, in order. Throws a
 * {@linkcode SourcesFileError} naming the entry whose file cannot be read.
 */
export async function loadSourceEntries(
  path: string,
  entries: readonly SourcesFileEntry[],
  defaults: SourceDefaults,
): Promise<SourceConfig[]> {
  const base = dirname(path);
  const sources: SourceConfig[] = [];
  for (const [index, entry] of entries.entries()) {
    const at = `sources[${index}] (${shown(entry.name)})`;
    if (defaults.namespace && entry.namespace && entry.namespace !== defaults.namespace) {
      throw new SourcesFileError(
        path,
        `${at}.namespace must be --namespace ${
          shown(defaults.namespace)
        }, the only one reflected: current value is ${shown(entry.namespace)}`,
      );
    }
    try {
      sources.push(await loadEntry(entry, base, defaults));
    } catch (error) {
      if (error instanceof SourcesFileError) throw error;
      throw new SourcesFileError(path, `${at}: ${(error as Error).message}`, { cause: error });
    }
  }
  return sources;
}

async function loadEntry(
  entry: SourcesFileEntry,
  base: string,
  defaults: SourceDefaults,
): Promise<SourceConfig> {
  const at = (file: string) => resolve(base, file);
  const common = {
    name: entry.name,
    selector: entry.selector ?? defaults.selector,
    limits: defaults.limits,
    ...(entry.namespace ? { namespace: entry.namespace } : {}),
  };
  if (entry.kubeconfig !== undefined) {
    const path = at(entry.kubeconfig);
    const text = await Deno.readTextFile(path);
    const { config } = await loadKubeconfig({
      path,
      ...(entry.context ? { context: entry.context } : {}),
      ...(defaults.signal ? { signal: defaults.signal } : {}),
    });
    return { ...common, config, revision: JSON.stringify([entry, await digest(text)]) };
  }
  const caCerts = [
    ...(entry.caFile ? [await Deno.readTextFile(at(entry.caFile))] : []),
    ...(entry.caData ? [entry.caData] : []),
  ];
  const config = configFromUrl(entry.url ?? "", { caCerts });
  // Read now so that a missing file fails this load; the provider re-reads it as it changes.
  if (entry.tokenFile) await Deno.readTextFile(at(entry.tokenFile));
  return {
    ...common,
    config: entry.tokenFile
      ? { ...config, credentials: tokenFileCredentials(at(entry.tokenFile)) }
      : config,
    revision: JSON.stringify([entry]),
  };
}

/** Hex SHA-256 of `text`. */
async function digest(text: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
