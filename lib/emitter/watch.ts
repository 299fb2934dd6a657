/**
 * Watches over the view, fanned out from one place with kube-apiserver's
 * semantics: a watch starts from a resourceVersion (replayed from the
 * view's history, 410 Gone as an ERROR event when it is older than the
 * history) or from the current state (synthetic ADDED events, and with
 * `sendInitialEvents` an `initial-events-end` bookmark); label and field
 * selectors turn changes across the selector's edge into ADDED/DELETED;
 * bookmarks go out periodically; `timeoutSeconds` ends a watch.
 *
 * Bounded resources: at most `maxWatchers` watches (more get 429). The
 * starting events of a watch are produced as its client reads them, and
 * the changes waiting for one client are bounded by `bufferBytes`; a
 * watcher that falls that far behind is closed (it resumes or relists)
 * instead of growing memory (see `watcher.ts`). Each event line is encoded
 * once per form and the same bytes go to every watcher (see
 * `event_lines.ts`): an idle watch costs its connection and a few small
 * objects, whatever the number of objects served.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import { matches, tooLarge } from "./list.ts";
import type { ReadQuery } from "./query.ts";
import type { ResourceRoute, ServedResource } from "./routes.ts";
import { servedTable, type TableRenderer } from "./served_table.ts";
import { expired, failureStatus, StatusResponseError } from "./status.ts";
import type { ServedEvent, View } from "./view.ts";
import { EventLines, type EventType } from "./event_lines.ts";
import { Watcher } from "./watcher.ts";

export type { TableRenderer } from "./served_table.ts";

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
  /** Renders Table events of the built-in kinds; without it, watches send no Tables. */
  renderTable?: TableRenderer;
  /** Called when a watcher opens or closes, with the current count. */
  onWatchers?: (count: number) => void;
  /** Called with the number of events written to watchers. */
  onSent?: (resource: ServedResource, events: number) => void;
  /** Called when a watcher is closed for falling behind. */
  onSlowWatcher?: (resource: ServedResource) => void;
  /** Called once per event line encoded (lines shared by watchers count once); for tests. */
  onEncode?: (type: EventType) => void;
}

/** Owns every open watch of one Emitter. */
export class WatchHub {
  readonly #view: View;
  readonly #options: WatchHubOptions;
  readonly #lines: EventLines;
  readonly #watches = new Set<Watch>();
  /** Table lines of one change, shared by the table watchers it goes to. */
  readonly #tableLines = new WeakMap<ServedEvent, Map<string, Uint8Array>>();
  /** The last served state of an object that left a selection, at the change's version. */
  readonly #leftObjects = new WeakMap<ServedEvent, KubeObject>();
  /** The latest bookmark line per resource and kind of bookmark. */
  readonly #bookmarks = new Map<string, { resourceVersion: number; line: Uint8Array }>();
  readonly #unsubscribe: () => void;
  #ticker: ReturnType<typeof setInterval> | undefined;

  /** Subscribes to `view`; call {@linkcode WatchHub.close} to end every watch. */
  constructor(view: View, options: WatchHubOptions = {}) {
    this.#view = view;
    this.#options = options;
    this.#lines = new EventLines(options.onEncode ? { onEncode: options.onEncode } : {});
    this.#unsubscribe = view.subscribe((event) => {
      for (const watch of this.#watches) watch.offer(event);
    });
  }

  /** Number of open watches. */
  get size(): number {
    return this.#watches.size;
  }

  /** Opens a watch and returns its streaming response. Throws StatusResponseError (429). */
  open(route: ResourceRoute, query: ReadQuery, table: boolean): Response {
    const max = this.#options.maxWatchers ?? 1000;
    if (this.#watches.size >= max) {
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
    const watch = new Watch(this, route, query, table && this.#options.renderTable !== undefined);
    this.#watches.add(watch);
    this.#options.onWatchers?.(this.#watches.size);
    watch.begin(this.#view);
    this.#ticker ??= setInterval(() => {
      for (const each of this.#watches) each.bookmark(this.#view.resourceVersion);
    }, this.#options.bookmarkIntervalMs ?? 60_000);
    return new Response(watch.stream, {
      headers: { "content-type": "application/json", "cache-control": "no-cache" },
    });
  }

  /** Ends every watch and stops listening to the view. */
  close(): void {
    this.#unsubscribe();
    for (const watch of [...this.#watches]) watch.end();
    this.#stopTicker();
  }

  /** @internal */
  options(): WatchHubOptions {
    return this.#options;
  }

  /** @internal The shared line of a served object as a `type` event in one form. */
  objectLine(
    type: EventType,
    resource: ServedResource,
    object: KubeObject,
    table: boolean,
  ): Uint8Array {
    const renderer = this.#options.renderTable;
    if (!table || !renderer) return this.#lines.object(type, resource, object);
    const rendered = servedTable(
      renderer,
      resource,
      [object],
      object.metadata?.resourceVersion ?? "",
    );
    return this.#lines.encode(type, rendered);
  }

  /**
   * @internal The shared line of a change in one form; `left` sends the
   * object's last state before it left the watcher's selection.
   */
  changeLine(
    event: ServedEvent,
    type: EventType,
    left: boolean,
    resource: ServedResource,
    table: boolean,
  ): Uint8Array {
    const object = left ? this.#leftObject(event) : event.object;
    if (!table) return this.#lines.object(type, resource, object);
    let lines = this.#tableLines.get(event);
    if (!lines) this.#tableLines.set(event, lines = new Map());
    const key = `${type}|${left}`;
    let line = lines.get(key);
    if (!line) lines.set(key, line = this.objectLine(type, resource, object, true));
    return line;
  }

  /** @internal A BOOKMARK line at `resourceVersion`, shared by every watcher of `resource`. */
  bookmarkLine(resource: ServedResource, resourceVersion: number, initialEnd: boolean): Uint8Array {
    const key = `${resource.kind}|${initialEnd}`;
    const cached = this.#bookmarks.get(key);
    if (cached?.resourceVersion === resourceVersion) return cached.line;
    const line = this.#lines.encode("BOOKMARK", {
      apiVersion: resource.apiVersion,
      kind: resource.objectKind,
      metadata: {
        resourceVersion: String(resourceVersion),
        ...(initialEnd ? { annotations: { "k8s.io/initial-events-end": "true" } } : {}),
      },
    });
    this.#bookmarks.set(key, { resourceVersion, line });
    return line;
  }

  /** @internal An ERROR line carrying `error` as a Status. */
  errorLine(error: StatusResponseError): Uint8Array {
    return this.#lines.encode(
      "ERROR",
      failureStatus(error.code, error.reason, error.message, error.details),
    );
  }

  /** @internal */
  removed(watch: Watch): void {
    if (!this.#watches.delete(watch)) return;
    this.#options.onWatchers?.(this.#watches.size);
    if (this.#watches.size === 0) this.#stopTicker();
  }

  #leftObject(event: ServedEvent): KubeObject {
    let object = this.#leftObjects.get(event);
    if (!object) {
      const previous = event.previous ?? event.object;
      object = Object.freeze({
        ...previous,
        metadata: { ...previous.metadata, resourceVersion: String(event.resourceVersion) },
      });
      this.#leftObjects.set(event, object);
    }
    return object;
  }

  #stopTicker(): void {
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }
}

/** One open watch: what it selects, and its {@linkcode Watcher}. */
class Watch {
  readonly #hub: WatchHub;
  readonly #route: ResourceRoute;
  readonly #query: ReadQuery;
  readonly #table: boolean;
  #watcher: Watcher | undefined;
  #timeout: ReturnType<typeof setTimeout> | undefined;

  constructor(hub: WatchHub, route: ResourceRoute, query: ReadQuery, table: boolean) {
    this.#hub = hub;
    this.#route = route;
    this.#query = query;
    this.#table = table;
  }

  /** The response body; valid after {@linkcode Watch.begin}. */
  get stream(): ReadableStream<Uint8Array> {
    return (this.#watcher as Watcher).stream;
  }

  /** Starts the stream: the current state or a replay, or an ERROR line. */
  begin(view: View): void {
    const options = this.#hub.options();
    const { initial, error } = this.#starting(view);
    this.#watcher = new Watcher({
      bufferBytes: options.bufferBytes ?? 1024 * 1024,
      ...(initial ? { initial } : {}),
      onSlow: () => options.onSlowWatcher?.(this.#route.resource),
      onClose: () => {
        clearTimeout(this.#timeout);
        this.#hub.removed(this);
      },
    });
    if (error) {
      this.#watcher.push(this.#hub.errorLine(error));
      this.#watcher.finish();
      return;
    }
    const base = options.defaultTimeoutSeconds ?? 1800;
    const seconds = this.#query.timeoutSeconds ?? base * (1 + Math.random());
    this.#timeout = setTimeout(() => this.end(), Math.max(0, seconds) * 1000);
  }

  /** Queues a view change, translated for this watch's selectors. */
  offer(event: ServedEvent): void {
    if (!this.#watcher?.open || event.kind !== this.#route.resource.kind) return;
    const line = this.#changeLine(event);
    if (!line) return;
    this.#watcher.push(line);
    this.#hub.options().onSent?.(this.#route.resource, 1);
  }

  /** Queues a BOOKMARK at `resourceVersion` if the client asked for bookmarks. */
  bookmark(resourceVersion: number): void {
    if (!this.#watcher?.open || !this.#query.allowWatchBookmarks || this.#table) return;
    this.#watcher.push(this.#hub.bookmarkLine(this.#route.resource, resourceVersion, false));
  }

  /** Ends the watch now. */
  end(): void {
    this.#watcher?.end();
  }

  #starting(
    view: View,
  ): { initial?: Iterator<Uint8Array | undefined>; error?: StatusResponseError } {
    const { resourceVersion, sendInitialEvents } = this.#query;
    const { kind } = this.#route.resource;
    if (resourceVersion === undefined || resourceVersion === 0 || sendInitialEvents) {
      // A snapshot of references, taken now: later changes queue behind it.
      const objects = [...view.objects(kind)]
        .filter((object) => matches(kind, object, this.#route.namespace, this.#query))
        .sort((a, b) => key(a).localeCompare(key(b)));
      return { initial: this.#snapshotLines(objects, view.resourceVersion) };
    }
    if (resourceVersion > view.resourceVersion) {
      return { error: tooLarge(resourceVersion, view.resourceVersion) };
    }
    const replay = view.history(kind).since(resourceVersion);
    if (!replay) {
      return {
        error: expired(
          `too old resource version: ${resourceVersion} (${view.history(kind).horizon})`,
        ),
      };
    }
    return { initial: this.#replayLines(replay) };
  }

  #snapshotLines(objects: KubeObject[], resourceVersion: number): Iterator<Uint8Array> {
    const { resource } = this.#route;
    const hub = this.#hub;
    const table = this.#table;
    const endBookmark = this.#query.sendInitialEvents;
    return (function* () {
      for (const object of objects) yield hub.objectLine("ADDED", resource, object, table);
      if (endBookmark) yield hub.bookmarkLine(resource, resourceVersion, true);
    })();
  }

  #replayLines(events: ServedEvent[]): Iterator<Uint8Array | undefined> {
    return events.values().map((event) => {
      const line = this.#changeLine(event);
      if (line) this.#hub.options().onSent?.(this.#route.resource, 1);
      return line;
    });
  }

  /** The line this watch sends for `event`, if the change concerns its selection. */
  #changeLine(event: ServedEvent): Uint8Array | undefined {
    const { kind } = event;
    const { namespace, resource } = this.#route;
    const now = matches(kind, event.object, namespace, this.#query);
    const before = event.previous !== undefined &&
      matches(kind, event.previous, namespace, this.#query);
    const line = (type: EventType, left: boolean) =>
      this.#hub.changeLine(event, type, left, resource, this.#table);
    if (event.type === "DELETED") return before ? line("DELETED", false) : undefined;
    if (now) return line(before ? "MODIFIED" : "ADDED", false);
    // Left the selection: a deletion for this watcher, in the last state it matched.
    return before ? line("DELETED", true) : undefined;
  }
}

function key(object: KubeObject): string {
  return `${object.metadata?.namespace}/${object.metadata?.name}`;
}
