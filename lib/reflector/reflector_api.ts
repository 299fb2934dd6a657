/**
 * The dialect a Reflector speaks, the `--reflector.api` setting: `mirror`
 * (the original's: a source exports the Services its selector picks, and
 * the host gets a same-named mirror Service of each) or `mcs` (the
 * Multi-Cluster Services API, KEP-1645: a source exports the Services its
 * ServiceExports name, and the host gets a ServiceImport of each).
 *
 * @module
 */

/** Every dialect, the default first. */
export const reflectorApis = ["mirror", "mcs"] as const;

/** A dialect. */
export type ReflectorApi = typeof reflectorApis[number];
