/**
 * The Reflector's settings as the command line decides them: the
 * {@linkcode ReflectorOptions} that come from flags (`--reflector.*` and
 * `--namespace`), mapped from the parsed {@linkcode Config} in one place.
 * The rest of the Reflector's options (its host client, its sources, its
 * observer) are wiring the stage adds, never flags.
 *
 * @module
 */

import type { ReflectorOptions } from "../reflector/reflector.ts";
import type { Config } from "./flags.ts";

/** Every option of the Reflector that a flag decides. */
export type ReflectorSettings = Pick<
  ReflectorOptions,
  | "api"
  | "clusterId"
  | "removeGraceMs"
  | "nameTemplate"
  | "namespace"
  | "createNamespaces"
  | "legacyEndpoints"
  | "workers"
  | "resyncMs"
  | "staleAfterMs"
  | "staleAction"
>;

/**
 * The Reflector's settings in `config`. `--namespace` and
 * `--reflector.stale-after` are omitted when empty (all namespaces; never
 * stale), as the Reflector reads an omitted one.
 */
export function reflectorSettings(config: Config): ReflectorSettings {
  const { reflector, namespace } = config;
  return {
    api: reflector.api,
    ...(reflector.clusterId ? { clusterId: reflector.clusterId } : {}),
    removeGraceMs: reflector.removeGraceMs,
    nameTemplate: reflector.nameTemplate,
    ...(namespace ? { namespace } : {}),
    createNamespaces: reflector.createNamespaces,
    legacyEndpoints: reflector.legacyEndpoints,
    workers: reflector.workers,
    resyncMs: reflector.resyncMs,
    ...(reflector.staleAfterMs ? { staleAfterMs: reflector.staleAfterMs } : {}),
    staleAction: reflector.staleAction,
  };
}
