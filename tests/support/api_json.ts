/**
 * JSON over the Kubernetes REST API by path, for tests that read or set up
 * a real apiserver (or an Emitter) without the project's own client, so that
 * a bug in lib/kube cannot hide itself. Every helper fails on a non-2xx
 * answer with the method, path, status and body, so a broken fixture names
 * itself.
 *
 * @module
 */

import type { ListMeta } from "kubernetes-types/meta/v1.d.ts";

/** What fetches API paths: a test `Cluster`, or {@linkcode fetcherAt} for a URL. */
export interface ApiFetcher {
  /** `fetch` with `path` resolved against the API's base URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** A list as the API sends it, e.g. a ServiceList: its items and the list's metadata. */
export interface ApiList<T> {
  /** The list's metadata; the apiserver and the Emitter always send a resourceVersion. */
  metadata: ListMeta & { resourceVersion: string };
  /** The objects. */
  items: T[];
}

/** An {@linkcode ApiFetcher} for the API served at `base`, e.g. an Emitter's `http://127.0.0.1:8080`. */
export function fetcherAt(base: string): ApiFetcher {
  return { fetch: (path, init) => fetch(new URL(path, base), init) };
}

/** Options of {@linkcode getJson}. */
export interface GetJsonOptions {
  /** The `Accept` header, e.g. kubectl's Table media types. Defaults to none (JSON). */
  accept?: string;
}

/** GETs `path` and parses the body; throws naming the path on a non-2xx answer. */
export async function getJson<T>(
  api: ApiFetcher,
  path: string,
  options: GetJsonOptions = {},
): Promise<T> {
  const init = options.accept ? { headers: { accept: options.accept } } : {};
  return await answer<T>("GET", path, await api.fetch(path, init));
}

/** A write for {@linkcode sendJson}. */
export interface JsonWrite {
  /** The verb. */
  method: "POST" | "PUT" | "PATCH" | "DELETE";
  /** e.g. `/api/v1/namespaces`. */
  path: string;
  /** Sent as JSON. */
  body: unknown;
  /** The body's content type. Defaults to `application/json`; a PATCH needs its patch type. */
  contentType?: string;
}

/** Sends `write` and parses the answer; throws naming the method and path on a non-2xx one. */
export async function sendJson<T>(api: ApiFetcher, write: JsonWrite): Promise<T> {
  const { method, path, body, contentType = "application/json" } = write;
  const response = await api.fetch(path, {
    method,
    headers: { "content-type": contentType },
    body: JSON.stringify(body),
  });
  return await answer<T>(method, path, response);
}

async function answer<T>(method: string, path: string, response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}
