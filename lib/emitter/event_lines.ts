/**
 * Watch event lines (`{"type":...,"object":...}\n`, UTF-8), encoded once and
 * shared: every watcher that sends the same object with the same event
 * type gets the very same bytes, so a change fanned out to N watchers, or
 * the current state sent to N new watchers, costs one encoding and one copy
 * in memory, not N.
 *
 * Invariants:
 * - A served object is never modified once served (the view replaces it
 *   with a new one on every change, see `view.ts`), so the line cached for
 *   an object and a type never goes stale. It is keyed by the object itself
 *   and lives exactly as long as something (the view, its history, a
 *   watcher's snapshot) still holds that object.
 * - Lines handed out are never written to: watchers only enqueue them.
 *
 * Table lines (`kubectl get -w`) carry an age computed when rendered, so they
 * are not cached here; the hub shares them per change instead.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import type { ServedResource } from "./routes.ts";

/** The type of a watch event. */
export type EventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** Options of {@linkcode EventLines}. */
export interface EventLinesOptions {
  /** Called once per line actually encoded (not per line handed out); for tests and metrics. */
  onEncode?: (type: EventType) => void;
}

const encoder = new TextEncoder();

/** The shared encoder of watch event lines. */
export class EventLines {
  readonly #cache = new WeakMap<KubeObject, Map<EventType, Uint8Array>>();
  readonly #onEncode: ((type: EventType) => void) | undefined;

  /** Creates an empty cache. */
  constructor(options: EventLinesOptions = {}) {
    this.#onEncode = options.onEncode;
  }

  /** The line of `object` (a served, frozen object of `resource`) as a `type` event; cached. */
  object(type: EventType, resource: ServedResource, object: KubeObject): Uint8Array {
    let lines = this.#cache.get(object);
    if (!lines) this.#cache.set(object, lines = new Map());
    let line = lines.get(type);
    if (!line) {
      line = this.encode(type, {
        apiVersion: resource.apiVersion,
        kind: resource.objectKind,
        ...object,
      });
      lines.set(type, line);
    }
    return line;
  }

  /** Encodes a line around `body` as it is (a Table, a bookmark, a Status); not cached. */
  encode(type: EventType, body: unknown): Uint8Array {
    this.#onEncode?.(type);
    return encoder.encode(JSON.stringify({ type, object: body }) + "\n");
  }
}
