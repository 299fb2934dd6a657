/**
 * A directory laid out as the kubelet lays out a mounted ConfigMap: each
 * version of the data in a timestamped directory, `..data` a symlink to the
 * current one, and each key a symlink through `..data`. An update writes a
 * new version and swaps `..data` atomically (a `..data_tmp` symlink renamed
 * over it), as the kubelet's atomic writer does; the old version is then
 * removed.
 *
 * @module
 */

import { join } from "node:path";

/** A ConfigMap-style directory. */
export interface ConfigMapDir extends AsyncDisposable {
  /** The directory. */
  readonly dir: string;
  /** The path of `key` in it, as a Pod reads it. */
  path(key: string): string;
  /** Publishes `data` (key to text) as the new version. */
  update(data: Record<string, string>): Promise<void>;
}

/** A new ConfigMap-style directory holding `data`; removed on dispose. */
export async function configMapDir(data: Record<string, string>): Promise<ConfigMapDir> {
  const dir = await Deno.makeTempDir({ prefix: "configmap-" });
  let version = 0;
  let current: string | undefined;
  const update = async (next: Record<string, string>) => {
    const name = `..${new Date().toISOString().replace(/[-:.]/g, "_")}.${++version}`;
    await Deno.mkdir(join(dir, name));
    for (const [key, text] of Object.entries(next)) {
      await Deno.writeTextFile(join(dir, name, key), text);
    }
    await Deno.symlink(name, join(dir, "..data_tmp"));
    await Deno.rename(join(dir, "..data_tmp"), join(dir, "..data"));
    for (const key of Object.keys(next)) {
      try {
        await Deno.symlink(join("..data", key), join(dir, key));
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
    }
    if (current) await Deno.remove(join(dir, current), { recursive: true });
    current = name;
  };
  await update(data);
  return {
    dir,
    path: (key) => join(dir, key),
    update,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
