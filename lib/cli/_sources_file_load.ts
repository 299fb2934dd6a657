/**
 * The sources file's entries made the Reflector's sources, each through
 * `_source_config.ts` as a flag's source is, with paths relative to the
 * file's directory and every failure named after its entry.
 *
 * @module
 */

import { dirname } from "node:path";
import type { SourceConfig } from "../reflector/source_config.ts";
import { shown } from "../cannot.ts";
import { resolveSource, type SourceDefaults, SourceFieldError } from "./_source_config.ts";
import { type SourcesFileEntry, SourcesFileError } from "./_sources_file.ts";

/**
 * The sources of `entries`, read from the file at `path`, in order. Throws a
 * {@linkcode SourcesFileError} naming the entry at fault (`sources[0]
 * ("east")`): a field its defaults rule out, or a file it names that cannot
 * be read.
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
    try {
      sources.push(await resolveSource(entry, { ...defaults, base }));
    } catch (error) {
      const problem = error instanceof SourceFieldError
        ? `${at}.${error.message}`
        : `${at}: ${(error as Error).message}`;
      throw new SourcesFileError(path, problem, { cause: error });
    }
  }
  return sources;
}
