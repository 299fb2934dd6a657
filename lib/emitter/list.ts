/**
 * Get and list over the view, with kube-apiserver's resourceVersion
 * semantics:
 *
 * - no version, or "0": the current state;
 * - `NotOlderThan` (the default when a version is given): the current
 *   state, unless the version is newer than the view (504, too large);
 * - `Exact`: the state at that version (504 when newer than the view).
 *
 * An older state is the current one with the resource's history window
 * (`history.ts`, whose events carry the state before each change) undone
 * back to it, so every version from the window's horizon on is served, as
 * kube-apiserver serves every version it has not compacted (or its watch
 * cache still holds). A version older than the window, one of an earlier
 * run of the Emitter or one it never handed out, is 410 Expired, as
 * kube-apiserver answers once a version is compacted and its watch cache
 * rebuilt. (A never-compacted etcd answers every version down to 1; the
 * Emitter has no such store.)
 *
 * Pages are cut in key order; a `continue` token names the version and the
 * last key, so later pages are of the same state, and it is honoured while
 * that version is in the window (otherwise 410, like an expired token;
 * clients then list again whole).
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import { objectFields } from "../kube/field_selector.ts";
import type { KubeObject } from "../kube/object.ts";
import type { ReadQuery } from "./query.ts";
import type { ResourceRoute } from "./routes.ts";
import { badRequest, expired, objectNotFound, StatusResponseError } from "./status.ts";
import type { ServedKind, View } from "./view.ts";

/** A page of a list. */
export interface ListPage {
  /** The objects, in key order. */
  items: KubeObject[];
  /** The view version the page is consistent at (the one asked for, with `Exact` or `continue`). */
  resourceVersion: number;
  /** Token for the next page, if any. */
  continueToken: string | undefined;
  /** How many matching objects follow this page. */
  remainingItemCount: number | undefined;
}

/** The selectable fields of a served object, as kube-apiserver defines them for its kind. */
export function selectableFields(kind: ServedKind, object: KubeObject): Record<string, string> {
  const fields = objectFields(object);
  if (kind !== "services") return fields;
  const spec = (object as Service).spec;
  return { ...fields, "spec.clusterIP": spec?.clusterIP ?? "", "spec.type": spec?.type ?? "" };
}

/** Whether `object` of `kind` passes the query's namespace, label and field filters. */
export function matches(
  kind: ServedKind,
  object: KubeObject,
  namespace: string | undefined,
  query: ReadQuery,
): boolean {
  if (namespace !== undefined && object.metadata?.namespace !== namespace) return false;
  return query.labels.matches(object.metadata?.labels ?? {}) &&
    query.fields.matches(selectableFields(kind, object));
}

/** 504 for a version the view has not reached, as kube-apiserver answers. */
export function tooLarge(requested: number, current: number): StatusResponseError {
  return new StatusResponseError(
    504,
    "Timeout",
    `Timeout: Too large resource version: ${requested}, current: ${current}`,
    {
      details: {
        causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
        retryAfterSeconds: 1,
      },
    },
  );
}

/** The object the route names, or a 404 Status. */
export function getObject(view: View, route: ResourceRoute): KubeObject {
  const name = route.name as string;
  const object = route.namespace === undefined
    ? undefined
    : view.get(route.resource.kind, `${route.namespace}/${name}`);
  if (!object) throw objectNotFound(route.resource.group, route.resource.kind, name);
  return object;
}

/**
 * The Namespace `name` as far as the Emitter knows one: it exists while an
 * object is served in it (a minimal, active Namespace), else a 404 Status.
 */
export function getNamespace(view: View, name: string): KubeObject {
  if (!view.servesNamespace(name)) throw objectNotFound("", "namespaces", name);
  return {
    kind: "Namespace",
    apiVersion: "v1",
    metadata: { name },
    status: { phase: "Active" },
  } as KubeObject;
}

interface ContinueToken {
  v: number;
  k: string;
}

/** One page of the collection the route names. Throws StatusResponseError for bad versions or tokens. */
export function listObjects(view: View, route: ResourceRoute, query: ReadQuery): ListPage {
  const current = view.resourceVersion;
  const { kind } = route.resource;
  let after: string | undefined;
  let at = current;
  let objects: Iterable<KubeObject> | undefined;
  if (query.continueToken) {
    const token = decodeToken(query.continueToken);
    at = token.v;
    after = token.k;
    objects = at <= current ? objectsAt(view, kind, at) : undefined;
    if (!objects) {
      throw expired(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
      );
    }
  } else if (query.resourceVersion !== undefined && query.resourceVersion !== 0) {
    if (query.resourceVersion > current) throw tooLarge(query.resourceVersion, current);
    if (query.resourceVersionMatch === "Exact") {
      at = query.resourceVersion;
      objects = objectsAt(view, kind, at);
      if (!objects) throw expired("The resourceVersion for the provided list is too old.");
    }
  }
  const all = [...(objects ?? view.objects(kind))]
    .filter((object) => matches(kind, object, route.namespace, query))
    .map((object) => ({ key: keyOf(object), object }))
    .filter((entry) => after === undefined || entry.key > after)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const page = query.limit === undefined ? all : all.slice(0, query.limit);
  const more = page.length < all.length;
  return {
    items: page.map((entry) => entry.object),
    resourceVersion: at,
    continueToken: more ? encodeToken({ v: at, k: page[page.length - 1]?.key ?? "" }) : undefined,
    remainingItemCount: more ? all.length - page.length : undefined,
  };
}

/**
 * The objects of `kind` as served at `version` (at most the current one):
 * the current ones with the changes after `version` undone, newest first;
 * undefined when the history no longer holds all of those changes.
 */
function objectsAt(
  view: View,
  kind: ServedKind,
  version: number,
): Iterable<KubeObject> | undefined {
  if (version === view.resourceVersion) return view.objects(kind);
  const changes = view.history(kind).since(version);
  if (!changes) return undefined;
  const byKey = new Map([...view.objects(kind)].map((object) => [keyOf(object), object]));
  for (const change of changes.reverse()) {
    const key = keyOf(change.object);
    if (change.previous === undefined) byKey.delete(key);
    else byKey.set(key, change.previous);
  }
  return byKey.values();
}

function keyOf(object: KubeObject): string {
  return `${object.metadata?.namespace}/${object.metadata?.name}`;
}

function encodeToken(token: ContinueToken): string {
  return btoa(JSON.stringify(token)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function decodeToken(text: string): ContinueToken {
  try {
    const padded = text.replaceAll("-", "+").replaceAll("_", "/");
    const token = JSON.parse(
      atob(padded + "=".repeat((4 - (padded.length % 4)) % 4)),
    ) as ContinueToken;
    if (typeof token.v === "number" && typeof token.k === "string") return token;
  } catch {
    // Reported below.
  }
  throw badRequest(
    `invalid continue token: continue key is not valid: ${JSON.stringify(text.slice(0, 40))}`,
  );
}
