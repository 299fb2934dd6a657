/**
 * Watches over the view, fanned out from one place with kube-apiserver's
 * semantics: a watch starts from a resourceVersion (replayed from the
 * view's history, 410 Gone as an ERROR event when it is older than the
 * history) or from the current state (synthetic ADDED events, and with
 * `sendInitialEvents` an `initial-events-end` bookmark); label and field
 * selectors turn changes across the selector's edge into ADDED/DELETED;
 * bookmarks go out periodically; `timeoutSeconds` ends a watch.
 *
 * Bounded resources: at most `maxWatchers` watches (more get 429), and
 * each has a send buffer of `bufferBytes`; a watcher that falls that far
 * behind is closed (it resumes or relists) instead of growing memory. Each
 * event is encoded once per form and the same bytes go to every watcher.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import { matches, tooLarge } from "./list.ts";
import type { ReadQuery } from "./query.ts";
import type { ResourceRoute, ServedResource } from "./routes.ts";
import { expired, failureStatus, StatusResponseError } from "./status.ts";
import type { ServedEvent, View } from "./view.ts";

/** Renders objects of a resource as a `meta.k8s.io/v1` Table (for `kubectl get -w`). */
export type TableRenderer = (
  resource: ServedResource,
  objects: KubeObject[],
  resourceVersion: string,
) => unknown;

/** Options of {@linkcode WatchHub}. */
export interface WatchHubOptions {
  /** Concurrent watches allowed; more are answered 429. Defaults to 1000. */
  maxWatchers?: number;
  /** Bytes queued for one watcher before it is closed as too slow. Defaults to 1 MiB. */
  bufferBytes?: number;
  /** Interval of BOOKMARK events. Defaults to 60 000 ms. */
  bookmarkIntervalMs?: number;
  /** Watches without `timeoutSeconds` end after this to twice this, at random. Defaults to 1800 s. */
  defaultTimeoutSeconds?: number;
  /** Renders Table events. */
  renderTable?: TableRenderer;
  /** Called when a watcher opens or closes, with the current count. */
  onWatchers?: (count: number) => void;
  /** Called with the number of events written to watchers. */
  onSent?: (resource: ServedResource, events: number) => void;
  /** Called when a watcher is closed for falling behind. */
  onSlowWatcher?: (resource: ServedResource) => void;
}

type EventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
const encoder = new TextEncoder();

/** Owns every open watch of one Emitter. */
export class WatchHub {
  readonly #view: View;
  readonly #options: WatchHubOptions;
  readonly #watchers = new Set<Watcher>();
  readonly #encoded = new WeakMap<ServedEvent, Map<string, Uint8Array>>();
  readonly #unsubscribe: () => void;
  #bookmarks: ReturnType<typeof setInterval> | undefined;

  /** Subscribes to `view`; call {@linkcode WatchHub.close} to end every watch. */
  constructor(view: View, options: WatchHubOptions = {}) {
    this.#view = view;
    this.#options = options;
    this.#unsubscribe = view.subscribe((event) => {
      for (const watcher of this.#watchers) {
        try {
          watcher.offer(event);
        } catch {
          // The client went away between two events: its stream refuses
          // writes. Closing it is all that is left to do; others go on.
          watcher.end();
        }
      }
    });
  }

  /** Number of open watches. */
  get size(): number {
    return this.#watchers.size;
  }

  /** Opens a watch and returns its streaming response. Throws StatusResponseError (429). */
  open(route: ResourceRoute, query: ReadQuery, table: boolean): Response {
    const max = this.#options.maxWatchers ?? 1000;
    if (this.#watchers.size >= max) {
      throw new StatusResponseError(
        429,
        "TooManyRequests",
        `too many watches: this Emitter allows ${max}`,
        {
          details: { retryAfterSeconds: 1 },
          headers: { "retry-after": "1" },
        },
      );
    }
    const watcher = new Watcher(
      this,
      route,
      query,
      table && this.#options.renderTable !== undefined,
    );
    this.#watchers.add(watcher);
    this.#options.onWatchers?.(this.#watchers.size);
    watcher.begin(this.#view);
    this.#bookmarks ??= setInterval(() => {
      for (const each of this.#watchers) each.bookmark(this.#view.resourceVersion);
    }, this.#options.bookmarkIntervalMs ?? 60_000);
    return new Response(watcher.stream, {
      headers: { "content-type": "application/json", "cache-control": "no-cache" },
    });
  }

  /** Ends every watch and stops listening to the view. */
  close(): void {
    this.#unsubscribe();
    for (const watcher of [...this.#watchers]) watcher.end();
    this.#stopBookmarks();
  }

  /** @internal */
  options(): WatchHubOptions {
    return this.#options;
  }

  /** @internal Encoded bytes of a view event in one form, computed once per event. */
  encodedEvent(
    event: ServedEvent,
    type: EventType,
    previousAtVersion: boolean,
    watcher: Watcher,
  ): Uint8Array {
    let forms = this.#encoded.get(event);
    if (!forms) this.#encoded.set(event, forms = new Map());
    const form = `${type}|${previousAtVersion}|${watcher.table}`;
    let bytes = forms.get(form);
    if (!bytes) {
      const object = previousAtVersion && event.previous
        ? {
          ...event.previous,
          metadata: { ...event.previous.metadata, resourceVersion: String(event.resourceVersion) },
        }
        : event.object;
      bytes = watcher.encode(type, object);
      forms.set(form, bytes);
    }
    return bytes;
  }

  /** @internal */
  removed(watcher: Watcher): void {
    if (!this.#watchers.delete(watcher)) return;
    this.#options.onWatchers?.(this.#watchers.size);
    if (this.#watchers.size === 0) this.#stopBookmarks();
  }

  #stopBookmarks(): void {
    if (this.#bookmarks !== undefined) clearInterval(this.#bookmarks);
    this.#bookmarks = undefined;
  }
}

/** One open watch. */
class Watcher {
  readonly stream: ReadableStream<Uint8Array>;
  readonly table: boolean;
  readonly #hub: WatchHub;
  readonly #route: ResourceRoute;
  readonly #query: ReadQuery;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #timeout: ReturnType<typeof setTimeout> | undefined;
  #open = true;

  constructor(hub: WatchHub, route: ResourceRoute, query: ReadQuery, table: boolean) {
    this.#hub = hub;
    this.#route = route;
    this.#query = query;
    this.table = table;
    const bufferBytes = hub.options().bufferBytes ?? 1024 * 1024;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => this.#closed(),
    }, { highWaterMark: bufferBytes, size: (chunk) => chunk.byteLength });
  }

  /** Sends the starting events: current state or a replay, or an ERROR. */
  begin(view: View): void {
    const base = this.#hub.options().defaultTimeoutSeconds ?? 1800;
    const seconds = this.#query.timeoutSeconds ?? base * (1 + Math.random());
    this.#timeout = setTimeout(() => this.end(), Math.max(0, seconds) * 1000);
    const { resourceVersion } = this.#query;
    const kind = this.#route.resource.kind;
    if (resourceVersion === undefined || resourceVersion === 0 || this.#query.sendInitialEvents) {
      const initial = [...view.objects(kind)]
        .filter((object) => matches(kind, object, this.#route.namespace, this.#query))
        .sort((a, b) => key(a).localeCompare(key(b)));
      for (const object of initial) this.#write(this.encode("ADDED", object));
      if (this.#query.sendInitialEvents) {
        this.#write(this.encode("BOOKMARK", this.#bookmarkObject(view.resourceVersion, true)));
      }
      return;
    }
    if (resourceVersion > view.resourceVersion) {
      return this.#fail(tooLarge(resourceVersion, view.resourceVersion));
    }
    const replay = view.history(kind).since(resourceVersion);
    if (!replay) {
      return this.#fail(
        expired(`too old resource version: ${resourceVersion} (${view.history(kind).horizon})`),
      );
    }
    for (const event of replay) this.offer(event);
  }

  /** Delivers a view event, translated for this watcher's selectors. */
  offer(event: ServedEvent): void {
    if (!this.#open || event.kind !== this.#route.resource.kind) return;
    const { kind } = event;
    const now = matches(kind, event.object, this.#route.namespace, this.#query);
    const before = event.previous !== undefined &&
      matches(kind, event.previous, this.#route.namespace, this.#query);
    let bytes: Uint8Array | undefined;
    if (event.type === "DELETED") {
      if (before) bytes = this.#hub.encodedEvent(event, "DELETED", false, this);
    } else if (now) {
      bytes = this.#hub.encodedEvent(event, before ? "MODIFIED" : "ADDED", false, this);
    } else if (before) {
      // Left the selector: a deletion for this watcher, in the last state it matched.
      bytes = this.#hub.encodedEvent(event, "DELETED", true, this);
    }
    if (bytes) {
      this.#write(bytes);
      this.#hub.options().onSent?.(this.#route.resource, 1);
    }
  }

  /** Sends a BOOKMARK at `resourceVersion` if the client asked for bookmarks. */
  bookmark(resourceVersion: number): void {
    if (!this.#open || !this.#query.allowWatchBookmarks || this.table) return;
    this.#write(this.encode("BOOKMARK", this.#bookmarkObject(resourceVersion, false)));
  }

  /** Encodes one event line in this watcher's form. */
  encode(type: EventType, object: KubeObject): Uint8Array {
    const { resource } = this.#route;
    const body = this.table && type !== "ERROR" && type !== "BOOKMARK"
      ? this.#hub.options().renderTable?.(
        resource,
        [object],
        object.metadata?.resourceVersion ?? "",
      )
      : type === "ERROR"
      ? object
      : { apiVersion: resource.apiVersion, kind: resource.objectKind, ...object };
    return encoder.encode(JSON.stringify({ type, object: body }) + "\n");
  }

  /** Ends the watch normally (timeout, shutdown). */
  end(): void {
    if (!this.#open) return;
    try {
      this.#controller.close();
    } catch {
      // Already cancelled by the client.
    }
    this.#closed();
  }

  #bookmarkObject(resourceVersion: number, initialEventsEnd: boolean): KubeObject {
    return {
      metadata: {
        resourceVersion: String(resourceVersion),
        ...(initialEventsEnd ? { annotations: { "k8s.io/initial-events-end": "true" } } : {}),
      },
    };
  }

  #fail(error: StatusResponseError): void {
    const status = failureStatus(error.code, error.reason, error.message, error.details);
    this.#write(encoder.encode(JSON.stringify({ type: "ERROR", object: status }) + "\n"));
    this.end();
  }

  #write(bytes: Uint8Array): void {
    if (!this.#open) return;
    this.#controller.enqueue(bytes);
    if ((this.#controller.desiredSize ?? 0) < 0) {
      // Too far behind: stop here. The client reads what is queued, then
      // resumes from its last version (or relists if that is gone).
      this.#hub.options().onSlowWatcher?.(this.#route.resource);
      this.end();
    }
  }

  #closed(): void {
    this.#open = false;
    clearTimeout(this.#timeout);
    this.#hub.removed(this);
  }
}

function key(object: KubeObject): string {
  return `${object.metadata?.namespace}/${object.metadata?.name}`;
}
