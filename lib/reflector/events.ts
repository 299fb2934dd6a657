/**
 * Kubernetes Events the Reflector records in the host, so that an operator
 * running `kubectl describe service` sees why a mirror is missing. The
 * same event for the same object is recorded at most once per interval, so
 * a key retried at the backoff's cap does not flood the namespace.
 *
 * @module
 */

import type { Event, ObjectReference, Service } from "kubernetes-types/core/v1.d.ts";
import type { Clock } from "../clock.ts";
import { realClock } from "../clock.ts";
import type { KubeObject } from "../kube/object.ts";
import { apiVersionOf, events, type ResourceType, services } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";

/** Options of {@linkcode EventRecorder}. */
export interface EventRecorderOptions {
  /** Client of the host. */
  rest: RestClient;
  /** Minimum time between two equal events. Defaults to 600 000 ms. */
  intervalMs?: number;
  /** Time source. */
  clock?: Clock;
}

/** What to record. */
export interface EventNote {
  /** The object the event is about. */
  object: ObjectReference;
  /** `Normal` or `Warning`. */
  type: "Normal" | "Warning";
  /** CamelCase reason, e.g. `NotOwned`. */
  reason: string;
  /** Human-readable message. */
  message: string;
}

/** The reference an Event about `object`, of `type`, names. */
export function objectReference(type: ResourceType, object: KubeObject): ObjectReference {
  return {
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    namespace: object.metadata?.namespace ?? "",
    name: object.metadata?.name ?? "",
    uid: object.metadata?.uid ?? "",
  };
}

/** The reference an Event about the host Service `service` (a mirror, or one in its way) names. */
export function serviceReference(service: Service): ObjectReference {
  return objectReference(services, service);
}

/** Records host Events, rate-limited per object and reason. */
export class EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #clock: Clock;
  readonly #last = new Map<string, number>();

  /** Creates a recorder; it writes nothing until asked. */
  constructor(options: EventRecorderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? realClock;
  }

  /** Records `note` unless an equal one was recorded within the interval. Returns whether it wrote. */
  async record(note: EventNote): Promise<boolean> {
    const { object } = note;
    const id = `${object.namespace}/${object.name}/${note.reason}`;
    const now = this.#clock.now();
    const last = this.#last.get(id);
    if (last !== undefined && now - last < (this.#options.intervalMs ?? 600_000)) return false;
    this.#last.set(id, now);
    const time = new Date(now).toISOString();
    const event: Event = {
      metadata: { generateName: `${object.name}.`, namespace: object.namespace ?? "default" },
      involvedObject: object,
      type: note.type,
      reason: note.reason,
      message: note.message,
      source: { component: "service-reflector" },
      reportingComponent: "service-reflector",
      reportingInstance: Deno.hostname(),
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    };
    await this.#options.rest.create(events, event);
    return true;
  }
}
