/**
 * The Emitter's HTTP API as one pure function `(Request) => Promise<Response>`:
 * discovery, health, and get/list/watch of the served resources. It holds no
 * socket; `serve.ts` mounts it, and tests call it with `new Request(...)`.
 *
 * It answers as kube-apiserver answers, in this order (each step checked
 * against a real one by `conformance_test.ts`):
 * 1. health paths, for every method and without credentials;
 * 2. 401 without accepted credentials;
 * 3. 503 for a path of the MCS group (`multicluster.x-k8s.io`) while the
 *    Emitter has not found out whether it serves ServiceExports (see
 *    `served_apis.ts`); then discovery documents (GET only, except
 *    `/apis`, which answers every method as kube-apiserver's does);
 * 4. a get of a namespace (see `routes.ts`); 404: a Status inside `/api/`
 *    and the built-in groups served, Go's plain text elsewhere (the MCS
 *    group included, as kube-apiserver answers for a custom resource's);
 * 5. 405 for any method but GET on a resource (the Emitter's resources are
 *    read-only, as a resource without those verbs is there);
 * 6. 406 for an Accept header that asks for nothing the Emitter renders
 *    (JSON and v1 Tables; not YAML or protobuf);
 * 7. the query: a get reads only `resourceVersion` (so `?watch=true` on an
 *    object is a get), a list or watch is converted and validated with
 *    apimachinery's ListOptions rules;
 * 8. 503 until the caches synced; then the answer.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import { negotiate } from "./_table_accept.ts";
import { mcsGroup } from "../mcs/api.ts";
import { discoveryDocument } from "./discovery.ts";
import { getNamespace, getObject, listObjects } from "./list.ts";
import {
  checkGetQuery,
  metadataFields,
  parseReadQuery,
  type ReadQuery,
  serviceFields,
} from "./query.ts";
import { requestTarget } from "./request_target.ts";
import {
  insideServedGroup,
  isBuiltin,
  namespaceRoute,
  type ResourceRoute,
  routeResource,
} from "./routes.ts";
import { ServedApis } from "./served_apis.ts";
import { servedTable } from "./served_table.ts";
import {
  jsonResponse,
  methodNotAllowed,
  notAcceptable,
  pageNotFound,
  pathNotFound,
  PlainTextError,
  statusResponse,
  StatusResponseError,
} from "./status.ts";
import type { View } from "./view.ts";
import type { TableRenderer, WatchHub } from "./watch.ts";

/** The verb of a request, for metrics. */
export type Verb = "get" | "list" | "watch" | "discovery" | "health" | "other";

/** Options of {@linkcode createHandler}. */
export interface HandlerOptions {
  /** What is served. */
  view: View;
  /** Where watches go. */
  hub: WatchHub;
  /** What is served besides the always-served resources. Defaults to nothing more, decided. */
  apis?: ServedApis;
  /** Whether the upstream caches have synced (readiness; resources answer 503 before). */
  ready: () => boolean;
  /**
   * Decides whether a request may read (health endpoints are always open).
   * Omitted: everyone may, as with the original Emitter.
   */
  authenticate?: (request: Request) => boolean | Promise<boolean>;
  /**
   * Renders `Table` answers of the built-in kinds for `kubectl get` (those
   * of ServiceExports are the CRD's); without it, Table requests get plain
   * JSON clauses only.
   */
  renderTable?: TableRenderer;
  /** Called once per request with its verb and status code. */
  onRequest?: (verb: Verb, code: number) => void;
  /** Called with unexpected errors (answered 500). */
  onError?: (error: unknown) => void;
}

const health = new Set(["/healthz", "/livez", "/readyz", "/health"]);

/** Builds the Emitter's request handler. */
export function createHandler(options: HandlerOptions): (request: Request) => Promise<Response> {
  const apis = options.apis ?? new ServedApis();
  return async (request) => {
    const seen: { verb: Verb } = { verb: "other" };
    let response: Response;
    try {
      response = await answer(options, apis, request, seen);
    } catch (error) {
      response = errorResponse(options, error);
    }
    options.onRequest?.(seen.verb, response.status);
    return request.method === "HEAD" ? new Response(null, response) : response;
  };
}

/** Steps 1 to 8 of the module doc; `seen.verb` is set as soon as it is known. */
async function answer(
  options: HandlerOptions,
  apis: ServedApis,
  request: Request,
  seen: { verb: Verb },
): Promise<Response> {
  const { path, params } = requestTarget(request.url);
  if (health.has(path)) {
    seen.verb = "health";
    return healthResponse(path, options.ready());
  }
  if (options.authenticate && !(await options.authenticate(request))) {
    throw new StatusResponseError(401, "Unauthorized", "Unauthorized");
  }
  const accept = request.headers.get("accept");
  const documentPath = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  if (!apis.decided && inMcsGroup(documentPath)) throw mcsUndecided();
  const document = discoveryDocument(documentPath, apis);
  if (document !== undefined) {
    if (request.method !== "GET" && documentPath !== "/apis") throw methodNotAllowed();
    if (!negotiate(accept, { tables: false })) throw notAcceptable(["application/json"]);
    seen.verb = "discovery";
    return jsonResponse(document);
  }
  const namespace = namespaceRoute(path);
  if (namespace !== undefined) return namespaceResponse(options, request, namespace, seen);
  const route = routeResource(path, apis.resources);
  if (!route) throw insideServedGroup(path) ? pathNotFound() : pageNotFound();
  if (request.method !== "GET") throw methodNotAllowed();
  const item = route.name !== undefined && !route.watchPath;
  const representation = negotiate(accept, { tables: options.renderTable !== undefined });
  if (!representation) {
    throw notAcceptable(
      item ? ["application/json"] : ["application/json", "application/json;stream=watch"],
    );
  }
  let query: ReadQuery | undefined;
  if (item) checkGetQuery(params);
  else {
    query = parseReadQuery(params, {
      watchPath: route.watchPath,
      fields: route.resource.kind === "services" ? serviceFields : metadataFields,
    });
  }
  seen.verb = query?.watch ? "watch" : item ? "get" : "list";
  if (!options.ready()) throw notSynced();
  const table = representation === "table";
  return query ? serveCollection(options, route, query, table) : serveObject(options, route, table);
}

function namespaceResponse(
  options: HandlerOptions,
  request: Request,
  name: string,
  seen: { verb: Verb },
): Response {
  if (request.method !== "GET") throw methodNotAllowed();
  if (!negotiate(request.headers.get("accept"), { tables: false })) {
    throw notAcceptable(["application/json"]);
  }
  seen.verb = "get";
  if (!options.ready()) throw notSynced();
  return jsonResponse(getNamespace(options.view, name));
}

function inMcsGroup(path: string): boolean {
  return path === `/apis/${mcsGroup}` || path.startsWith(`/apis/${mcsGroup}/`);
}

function mcsUndecided(): StatusResponseError {
  return new StatusResponseError(
    503,
    "ServiceUnavailable",
    `the Emitter has not found out yet whether its cluster serves ${mcsGroup}`,
    { details: { retryAfterSeconds: 1 }, headers: { "retry-after": "1" } },
  );
}

function notSynced(): StatusResponseError {
  return new StatusResponseError(
    503,
    "ServiceUnavailable",
    "the Emitter's caches have not synced yet",
    { details: { retryAfterSeconds: 1 }, headers: { "retry-after": "1" } },
  );
}

function errorResponse(options: HandlerOptions, error: unknown): Response {
  if (error instanceof PlainTextError) return error.toResponse();
  if (error instanceof StatusResponseError) return statusResponse(error);
  options.onError?.(error);
  return statusResponse(
    new StatusResponseError(
      500,
      "InternalError",
      `Internal error occurred: ${error instanceof Error ? error.message : error}`,
    ),
  );
}

function healthResponse(path: string, ready: boolean): Response {
  if (path === "/readyz" && !ready) {
    return new Response("[-]informer-sync failed: caches not synced\nreadyz check failed\n", {
      status: 500,
    });
  }
  return new Response("ok", { headers: { "content-type": "text/plain; charset=utf-8" } });
}

function serveObject(options: HandlerOptions, route: ResourceRoute, table: boolean): Response {
  const { resource } = route;
  const object = getObject(options.view, route);
  if (table && options.renderTable) {
    return jsonResponse(
      servedTable(options.renderTable, resource, [object], object.metadata?.resourceVersion ?? ""),
    );
  }
  return jsonResponse({ kind: resource.objectKind, apiVersion: resource.apiVersion, ...object });
}

function serveCollection(
  options: HandlerOptions,
  route: ResourceRoute,
  query: ReadQuery,
  table: boolean,
): Response {
  const { resource } = route;
  if (query.watch) {
    if (route.name) {
      const named = parseReadQuery(
        new URLSearchParams({ fieldSelector: `metadata.name=${route.name}` }),
      );
      query = { ...query, fields: named.fields };
    }
    return options.hub.open({ ...route, name: undefined }, query, table);
  }
  const page = listObjects(options.view, { ...route, name: undefined }, query);
  if (table && options.renderTable) {
    const rendered = servedTable(
      options.renderTable,
      resource,
      page.items,
      String(page.resourceVersion),
    ) as { metadata?: Record<string, unknown> };
    if (page.continueToken && rendered.metadata) rendered.metadata["continue"] = page.continueToken;
    return jsonResponse(rendered);
  }
  return jsonResponse({
    kind: `${resource.objectKind}List`,
    apiVersion: resource.apiVersion,
    metadata: {
      resourceVersion: String(page.resourceVersion),
      ...(page.continueToken ? { continue: page.continueToken } : {}),
      ...(page.remainingItemCount !== undefined
        ? { remainingItemCount: page.remainingItemCount }
        : {}),
    },
    // A custom resource's items carry their type, as kube-apiserver lists them.
    items: isBuiltin(resource) ? page.items satisfies KubeObject[] : page.items.map((item) => ({
      apiVersion: resource.apiVersion,
      kind: resource.objectKind,
      ...item,
    })),
  });
}
