/**
 * lib/kube: the project's own minimal Kubernetes client, with client-go's
 * semantics where a controller depends on them.
 *
 * - Configuration: {@linkcode loadKubeconfig}, {@linkcode inClusterConfig},
 *   {@linkcode configFromUrl} produce a {@linkcode ClientConfig}.
 * - Transport and REST: {@linkcode Transport} (TLS, credentials, timeouts,
 *   typed {@linkcode StatusError}s) and {@linkcode RestClient} (get, list
 *   with pagination, create, update, patch, delete, watch).
 * - Caches: {@linkcode Informer} (list then watch, bookmarks, relist on 410,
 *   backoff) over an indexed {@linkcode Store}.
 * - Work: the rate-limited workqueue in `./workqueue/mod.ts`.
 * - Leadership: {@linkcode LeaderElector} on a Lease, with client-go's rules.
 *
 * @example Watching Services of a cluster
 * ```ts ignore
 * const { config } = await loadKubeconfig({});
 * using transport = new Transport(config);
 * const informer = new Informer(new RestClient(transport), { type: services });
 * informer.addEventHandlers({ onAdd: (service) => queue.add(objectKey(service)) });
 * await informer.run(signal);
 * ```
 *
 * @module
 */

export { Backoff, type BackoffOptions } from "./backoff.ts";
export {
  type ClientCertificate,
  type ClientConfig,
  configFromUrl,
  type CredentialProvider,
  type Credentials,
  staticCredentials,
} from "./client_config.ts";
export { type Clock, realClock } from "./clock.ts";
export { servesResource } from "./discovery.ts";
export {
  type ExecApiVersion,
  execApiVersions,
  type ExecClusterInfo,
  type ExecCredentialOptions,
  execCredentials,
  type ExecPlugin,
} from "./exec_credential.ts";
export {
  defaultServiceAccountDir,
  type InClusterConfig,
  inClusterConfig,
  type InClusterOptions,
} from "./in_cluster.ts";
export {
  type EventHandlers,
  Informer,
  type InformerOptions,
  type InformerPhase,
  type InformerStats,
} from "./informer.ts";
export { type LoadedKubeconfig, loadKubeconfig, type LoadKubeconfigOptions } from "./kubeconfig.ts";
export {
  defaultIdentity,
  type LeaderCallbacks,
  LeaderElector,
  type LeaderElectorOptions,
} from "./leader_election.ts";
export {
  type KubeObject,
  objectKey,
  type ObjectList,
  resourceVersionOf,
  splitObjectKey,
} from "./object.ts";
export {
  apiVersionOf,
  endpoints,
  endpointSlices,
  events,
  leases,
  namespaces,
  type PathOptions,
  pods,
  resourcePath,
  type ResourceType,
  services,
} from "./resource.ts";
export {
  type CallOptions,
  type DeleteCallOptions,
  type ListOptions,
  type PatchOptions,
  patchTypes,
  RestClient,
  type WatchOptions,
  type WriteOptions,
} from "./rest.ts";
export {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
  isUnauthorized,
  retryAfterSeconds,
  StatusError,
  statusErrorFrom,
  statusFromBody,
} from "./status_error.ts";
export { type IndexFunction, type ReadonlyStore, Store, type StoreOptions } from "./store.ts";
export { tokenFileCredentials, type TokenFileOptions, tokenFileRecheckMs } from "./token_file.ts";
export {
  type Query,
  type RequestOptions,
  Transport,
  TransportError,
  type TransportOptions,
} from "./transport.ts";
export {
  type DecodeOptions,
  decodeWatchEvents,
  defaultMaxLineBytes,
  splitLines,
  type WatchEvent,
  type WatchEventType,
  WatchStreamError,
} from "./watch_stream.ts";
