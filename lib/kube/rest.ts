/**
 * Typed REST verbs over a {@linkcode Transport}: get, list (every page),
 * create, update, patch (merge, JSON, strategic, server-side apply), delete
 * (with preconditions) and watch, for core and grouped APIs, namespaced and
 * cluster-scoped. Errors are {@linkcode StatusError}s; classify them with
 * the predicates of `status_error.ts`.
 *
 * @module
 */

import type { DeleteOptions, Status } from "kubernetes-types/meta/v1.d.ts";
import type { KubeObject, ObjectList } from "./object.ts";
import { apiVersionOf, resourcePath, type ResourceType } from "./resource.ts";
import { isGone, StatusError } from "./status_error.ts";
import { type Query, type Transport, TransportError } from "./transport.ts";
import { decodeWatchEvents, LineTooLongError, type WatchEvent } from "./watch_stream.ts";
import { cannot, shown } from "../cannot.ts";
import { LimitExceededError } from "./limit_error.ts";

/** Options shared by every verb. */
export interface CallOptions {
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** Options of {@linkcode RestClient.list}. */
export interface ListOptions extends CallOptions {
  /** Namespace to list in; omitted for all namespaces or cluster-scoped types. */
  namespace?: string;
  /** Label selector, e.g. `app=web,tier in (a,b)`. */
  labelSelector?: string;
  /** Field selector, e.g. `metadata.name=web`. */
  fieldSelector?: string;
  /** Page size; each page is one request and `continue` is followed to the end. Defaults to 500. */
  limit?: number;
  /** `resourceVersion` of the first page; "" (the default) asks for a consistent read. */
  resourceVersion?: string;
  /** `resourceVersionMatch`: `NotOlderThan` or `Exact`. */
  resourceVersionMatch?: "NotOlderThan" | "Exact";
  /** Most pages requested for one list. Omitted: no bound. */
  maxPages?: number;
  /** Most bytes of all pages of one list together, counted as they arrive. Omitted: no bound. */
  maxBytes?: number;
  /** Most objects in one list. Omitted: no bound. */
  maxItems?: number;
}

/** Options of {@linkcode RestClient.watch}. */
export interface WatchOptions extends CallOptions {
  /** Namespace to watch; omitted for all namespaces or cluster-scoped types. */
  namespace?: string;
  /** Label selector. */
  labelSelector?: string;
  /** Field selector. */
  fieldSelector?: string;
  /** Start after this resourceVersion; "" starts with synthetic ADDED events for every object. */
  resourceVersion?: string;
  /** Ask for BOOKMARK events. Defaults to true. */
  allowWatchBookmarks?: boolean;
  /** Server-side bound on the watch's duration. */
  timeoutSeconds?: number;
  /** Bound on one encoded event. */
  maxLineBytes?: number;
  /** Called once the server accepted the watch (its answer's headers arrived, 2xx), before any event. */
  onOpen?: () => void;
  /** Called for every chunk of the stream that arrives (see `DecodeOptions.onData`). */
  onData?: () => void;
}

/** Options of writes. */
export interface WriteOptions extends CallOptions {
  /** Field manager recorded in managedFields. */
  fieldManager?: string;
  /** `All` validates and answers without persisting. */
  dryRun?: "All";
}

/** Patch formats, by their content type. */
export const patchTypes = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

/** Options of {@linkcode RestClient.patch}. */
export interface PatchOptions extends WriteOptions {
  /** Namespace of the object. */
  namespace?: string;
  /** Patch format. Server-side apply (`apply`) requires `fieldManager`. */
  patchType: keyof typeof patchTypes;
  /** With `apply`: take fields owned by other managers. */
  force?: boolean;
  /** e.g. `status`. */
  subresource?: string;
}

/** Options of {@linkcode RestClient.delete}. */
export interface DeleteCallOptions extends CallOptions {
  /** Namespace of the object. */
  namespace?: string;
  /** Delete only if the object still has this UID and/or resourceVersion (else 409 Conflict). */
  preconditions?: { uid?: string; resourceVersion?: string };
  /** What happens to dependents. */
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  /** Grace period; 0 deletes at once. */
  gracePeriodSeconds?: number;
}

/** The verbs of the Kubernetes REST API for any {@linkcode ResourceType}. */
export class RestClient {
  /** The transport requests go through. */
  readonly transport: Transport;

  /** Creates a client sending through `transport`. */
  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** Reads one object. */
  async get<T extends KubeObject>(
    type: ResourceType,
    name: string,
    options: CallOptions & { namespace?: string } = {},
  ): Promise<T> {
    const path = resourcePath(type, { ...namespaced(options.namespace), name });
    return await this.transport.json<T>(path, signalOnly(options));
  }

  /**
   * Lists every object, following `continue` tokens page by page. If a
   * token expires mid-way (410), the list starts over in one unpaginated
   * request, as client-go's pager does, so callers always get a whole,
   * consistent list. `maxPages`, `maxBytes` and `maxItems` bound what the
   * server may send (the fallback request counts as one more page); past
   * one, reading stops and the list fails.
   *
   * @throws {LimitExceededError} Past a bound, naming it and the request.
   * @throws {TransportError} If a page is not a list: `items` must be an
   * array of objects, `continue` and `resourceVersion` strings.
   */
  async list<T extends KubeObject>(
    type: ResourceType,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    const { limit = 500 } = options;
    for (const [name, value] of [["limit", limit], ...listBounds(options)] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(
          cannot(`list ${type.resource}`, `'${name}' must be a positive integer`, value),
        );
      }
    }
    const path = resourcePath(type, namespaced(options.namespace));
    const base: Query = {
      labelSelector: options.labelSelector || undefined,
      fieldSelector: options.fieldSelector || undefined,
    };
    const reading = new ListReading<T>(options);
    let next: string | undefined;
    do {
      const query: Query = next ? { ...base, limit, continue: next } : {
        ...base,
        limit,
        resourceVersion: options.resourceVersion || undefined,
        resourceVersionMatch: options.resourceVersion ? options.resourceVersionMatch : undefined,
      };
      try {
        next = reading.add(await this.#page<T>(path, query, reading, options));
      } catch (error) {
        if (!(next && isGone(error))) throw error;
        const whole = new ListReading<T>(options, reading.pages);
        whole.add(await this.#page<T>(path, base, whole, options));
        return whole.result();
      }
    } while (next);
    return reading.result();
  }

  /** One page of a list, read within what is left of the list's bounds. */
  async #page<T>(
    path: string,
    query: Query,
    reading: ListReading<T>,
    options: ListOptions,
  ): Promise<ListPage<T>> {
    const request = `GET ${this.transport.url(path, query)}`;
    reading.checkPages(request);
    try {
      const { body, bytes } = await this.transport.sizedJson<unknown>(path, {
        query,
        ...signalOnly(options),
        ...optional("maxBytes", reading.bytesLeft),
      });
      return { page: checkedPage<T>(body, request), request, bytes };
    } catch (error) {
      if (error instanceof LimitExceededError && error.limit === "maxBytes") {
        throw new LimitExceededError({
          request,
          limit: "maxListBytes",
          max: options.maxBytes as number,
          detail: `the list goes on past ${options.maxBytes} bytes, in page ${reading.pages}`,
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Creates `object` (its namespace comes from `metadata.namespace`). */
  async create<T extends KubeObject>(
    type: ResourceType,
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return await this.#write("POST", type, object, options);
  }

  /**
   * Replaces `object`. With `metadata.resourceVersion` set, the server
   * refuses (409 Conflict) if the object changed since it was read.
   */
  async update<T extends KubeObject>(
    type: ResourceType,
    object: T,
    options: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    const name = object.metadata?.name;
    if (!name) {
      throw new TypeError(`Cannot update ${type.resource} as the object has no metadata.name`);
    }
    return await this.#write("PUT", type, object, { ...options, name });
  }

  /** Patches one object in the chosen format. */
  async patch<T extends KubeObject>(
    type: ResourceType,
    name: string,
    patch: unknown,
    options: PatchOptions,
  ): Promise<T> {
    if (options.patchType === "apply" && !options.fieldManager) {
      throw new TypeError(
        `Cannot apply ${type.resource} "${name}" as server-side apply requires 'fieldManager'`,
      );
    }
    const path = resourcePath(type, {
      ...namespaced(options.namespace),
      name,
      ...optional("subresource", options.subresource || undefined),
    });
    return await this.transport.json<T>(path, {
      method: "PATCH",
      query: { ...writeQuery(options), force: options.force || undefined },
      body: patch,
      contentType: patchTypes[options.patchType],
      ...signalOnly(options),
    });
  }

  /** Deletes one object; returns the server's answer (the object while it finalizes, or a Status). */
  async delete(
    type: ResourceType,
    name: string,
    options: DeleteCallOptions = {},
  ): Promise<KubeObject | Status> {
    const path = resourcePath(type, { ...namespaced(options.namespace), name });
    const body: DeleteOptions = { apiVersion: "v1", kind: "DeleteOptions" };
    if (options.preconditions) body.preconditions = options.preconditions;
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) {
      body.gracePeriodSeconds = options.gracePeriodSeconds;
    }
    return await this.transport.json(path, { method: "DELETE", body, ...signalOnly(options) });
  }

  /**
   * Opens a watch and yields its events until the server ends it or
   * `signal` aborts (then it returns quietly). An ERROR event is thrown as a
   * {@linkcode StatusError} (410 Expired reads `isGone`), an event longer
   * than `maxLineBytes` as a {@linkcode LimitExceededError}, another broken
   * stream as a `WatchStreamError`.
   */
  async *watch<T extends KubeObject>(
    type: ResourceType,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const path = resourcePath(type, namespaced(options.namespace));
    const query: Query = {
      watch: true,
      labelSelector: options.labelSelector || undefined,
      fieldSelector: options.fieldSelector || undefined,
      resourceVersion: options.resourceVersion || undefined,
      allowWatchBookmarks: options.allowWatchBookmarks ?? true,
      timeoutSeconds: options.timeoutSeconds,
    };
    const { signal } = options;
    let response: Response;
    try {
      response = await this.transport.request(path, {
        query,
        timeoutMs: null,
        ...signalOnly(options),
      });
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    if (!response.body) {
      throw new StatusError(`WATCH ${this.transport.url(path, query)}`, {
        code: 500,
        message: "the response has no body",
      });
    }
    options.onOpen?.();
    try {
      for await (
        const event of decodeWatchEvents<T>(
          response.body,
          {
            ...optional("maxLineBytes", options.maxLineBytes),
            ...optional("signal", signal),
            ...optional("onData", options.onData),
          },
        )
      ) {
        if (event.type === "ERROR") {
          const status = event.object as Status;
          throw new StatusError(`WATCH ${this.transport.url(path, query)}`, {
            ...status,
            code: status.code || 500,
          });
        }
        yield event;
      }
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof LineTooLongError) {
        throw new LimitExceededError({
          request: `WATCH ${this.transport.url(path, query)}`,
          limit: "maxLineBytes",
          max: error.maxLineBytes,
          detail: `an event goes on past ${error.maxLineBytes} bytes`,
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Sends the whole `object` with its type meta: POST to its collection, or
   * PUT to `options.name` (and its subresource). A cluster-scoped type
   * ignores `metadata.namespace`.
   */
  async #write<T extends KubeObject>(
    method: "POST" | "PUT",
    type: ResourceType,
    object: T,
    options: WriteOptions & { name?: string; subresource?: string },
  ): Promise<T> {
    const path = resourcePath(type, {
      ...namespaced(type.namespaced ? object.metadata?.namespace : undefined),
      ...optional("name", options.name),
      ...optional("subresource", options.subresource || undefined),
    });
    return await this.transport.json<T>(path, {
      method,
      query: writeQuery(options),
      body: withTypeMeta(type, object),
      ...signalOnly(options),
    });
  }
}

interface RawList<T> {
  items?: T[] | null;
  metadata?: { resourceVersion?: string; continue?: string } | null;
}

/** One page read: the page, the request that read it, its size in bytes. */
interface ListPage<T> {
  page: RawList<T>;
  request: string;
  bytes: number;
}

function listBounds(options: ListOptions): [string, number][] {
  const bounds: [string, number | undefined][] = [
    ["maxPages", options.maxPages],
    ["maxBytes", options.maxBytes],
    ["maxItems", options.maxItems],
  ];
  return bounds.filter((bound): bound is [string, number] => bound[1] !== undefined);
}

/**
 * The pages of one list read so far, against the list's bounds: pages
 * requested, bytes read, objects kept.
 */
class ListReading<T> {
  readonly #options: ListOptions;
  readonly #items: T[] = [];
  #resourceVersion = "";
  /** Pages requested. */
  pages: number;
  /** Bytes of the pages read. */
  bytes = 0;

  constructor(options: ListOptions, pages = 0) {
    this.#options = options;
    this.pages = pages;
  }

  /** What is left of `maxBytes` for the next page; undefined without a bound. */
  get bytesLeft(): number | undefined {
    const { maxBytes } = this.#options;
    return maxBytes === undefined ? undefined : Math.max(1, maxBytes - this.bytes);
  }

  /** Counts a page about to be requested, refusing one past `maxPages`. */
  checkPages(request: string): void {
    const { maxPages } = this.#options;
    if (maxPages !== undefined && this.pages >= maxPages) {
      throw new LimitExceededError({
        request,
        limit: "maxListPages",
        max: maxPages,
        detail: `the list goes on after ${this.pages} pages`,
      });
    }
    this.pages++;
  }

  /** Keeps a page's objects; returns its `continue` token, if any. */
  add({ page, request, bytes }: ListPage<T>): string | undefined {
    const { maxItems } = this.#options;
    const items = page.items ?? [];
    if (maxItems !== undefined && this.#items.length + items.length > maxItems) {
      throw new LimitExceededError({
        request,
        limit: "maxListItems",
        max: maxItems,
        detail: `the list holds more than ${this.#items.length + items.length - 1} objects`,
      });
    }
    // One by one: spreading a huge page into push() would overflow the stack.
    for (const item of items) this.#items.push(item);
    this.bytes += bytes;
    this.#resourceVersion = page.metadata?.resourceVersion ?? "";
    return page.metadata?.continue || undefined;
  }

  result(): ObjectList<T> {
    return { items: this.#items, resourceVersion: this.#resourceVersion };
  }
}

/** `page` if it is shaped as a list, else a TransportError naming what is wrong. */
function checkedPage<T>(page: unknown, request: string): RawList<T> {
  const problem = listProblem(page);
  if (problem) {
    throw new TransportError(request, new TypeError(`the answer is not a list: ${problem}`));
  }
  return page as RawList<T>;
}

function listProblem(page: unknown): string | undefined {
  if (!isRecord(page)) return `expected an object, got ${preview(page)}`;
  const { items, metadata } = page;
  if (items !== undefined && items !== null) {
    if (!Array.isArray(items)) return `expected 'items' to be an array, got ${preview(items)}`;
    const index = items.findIndex((item) => !isRecord(item));
    if (index >= 0) return `expected items[${index}] to be an object, got ${preview(items[index])}`;
  }
  if (metadata === undefined || metadata === null) return undefined;
  if (!isRecord(metadata)) return `expected 'metadata' to be an object, got ${preview(metadata)}`;
  for (const field of ["continue", "resourceVersion"]) {
    const value = metadata[field];
    if (value !== undefined && value !== null && typeof value !== "string") {
      return `expected 'metadata.${field}' to be a string, got ${preview(value)}`;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function preview(value: unknown): string {
  const text = shown(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

function namespaced(namespace: string | undefined): { namespace?: string } {
  return namespace ? { namespace } : {};
}

function signalOnly(options: CallOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function writeQuery(options: WriteOptions): Query {
  return { fieldManager: options.fieldManager, dryRun: options.dryRun };
}

function withTypeMeta<T extends KubeObject>(type: ResourceType, object: T): T {
  return { ...object, apiVersion: apiVersionOf(type), kind: type.kind };
}
