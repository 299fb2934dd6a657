/**
 * A Warning Event on the mirror a source's invalid object bears on, so
 * that `kubectl describe service` in the host says why the mirror no
 * longer follows its source. Only a mirror the Reflector owns gets one;
 * without a mirror, the log and the metric tell.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import { isReflected } from "../ownership.ts";
import { type EventRecorder, serviceReference } from "./events.ts";
import type { ReflectorObserver } from "./observer.ts";
import { describeProblems } from "./source_shape.ts";

/** Options of {@linkcode invalidObjectEvents}. */
export interface InvalidObjectEventsOptions {
  /** The host's Event recorder (rate-limited per object and reason). */
  events: () => EventRecorder;
  /** The host's Services, where mirrors are looked up by key. */
  mirrors: () => ReadonlyStore<Service>;
  /** Told when an Event cannot be recorded. */
  onError: (error: unknown) => void;
}

/** The observer that records an `InvalidSourceObject` Event on the mirror of each invalid object. */
export function invalidObjectEvents(options: InvalidObjectEventsOptions): ReflectorObserver {
  return {
    onInvalidObject(invalid) {
      const key = invalid.serviceKey;
      const mirror = key === undefined ? undefined : options.mirrors().get(key);
      if (!mirror || !isReflected(mirror)) return;
      const version = invalid.resourceVersion
        ? ` (resourceVersion ${invalid.resourceVersion})`
        : "";
      options.events().record({
        object: serviceReference(mirror),
        type: "Warning",
        reason: "InvalidSourceObject",
        message:
          `Source "${invalid.source}" sent ${invalid.resource} ${invalid.object}${version} ` +
          `that cannot be mirrored, so the mirror keeps what it had: ` +
          describeProblems(invalid.problems).slice(0, 800),
      }).catch(options.onError);
    },
  };
}
