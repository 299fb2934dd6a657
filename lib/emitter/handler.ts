/**
 * The Emitter's HTTP API as one pure function `(Request) => Promise<Response>`:
 * discovery, health, and get/list/watch of the served resources, each error
 * a Kubernetes Status. It holds no socket; `serve.ts` mounts it, and tests
 * call it with `new Request(...)`.
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import * as discovery from "./discovery.ts";
import { getObject, listObjects } from "./list.ts";
import { metadataFields, parseReadQuery, serviceFields } from "./query.ts";
import { type ResourceRoute, routeResource } from "./routes.ts";
import { methodNotAllowed, pathNotFound, statusResponse, StatusResponseError } from "./status.ts";
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
  /** Whether the upstream caches have synced (readiness; resources answer 503 before). */
  ready: () => boolean;
  /**
   * Decides whether a request may read (health endpoints are always open).
   * Omitted: everyone may, as with the original Emitter.
   */
  authenticate?: (request: Request) => boolean | Promise<boolean>;
  /** Renders `Table` answers for `kubectl get`. */
  renderTable?: TableRenderer;
  /** Tells whether an Accept header asks for a Table. */
  wantsTable?: (accept: string | null) => boolean;
  /** Called once per request with its verb and status code. */
  onRequest?: (verb: Verb, code: number) => void;
  /** Called with unexpected errors (answered 500). */
  onError?: (error: unknown) => void;
}

const health = new Set(["/healthz", "/livez", "/readyz", "/health"]);

/** Builds the Emitter's request handler. */
export function createHandler(options: HandlerOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    let verb: Verb = "other";
    let response: Response;
    try {
      const path = url.pathname.replace(/\/+$/, "") || "/";
      if (health.has(path)) {
        verb = "health";
        response = healthResponse(path, options.ready());
      } else {
        if (options.authenticate && !(await options.authenticate(request))) {
          throw new StatusResponseError(401, "Unauthorized", "Unauthorized");
        }
        if (request.method !== "GET" && request.method !== "HEAD") {
          throw methodNotAllowed(request.method, path);
        }
        const document = discoveryDocument(path);
        if (document !== undefined) {
          verb = "discovery";
          response = Response.json(document);
        } else {
          const route = routeResource(path);
          if (!route) throw pathNotFound(path);
          const query = parseReadQuery(url.searchParams, {
            watchPath: route.watchPath,
            fields: route.resource.kind === "services" ? serviceFields : metadataFields,
          });
          verb = query.watch ? "watch" : route.name ? "get" : "list";
          if (!options.ready()) {
            throw new StatusResponseError(
              503,
              "ServiceUnavailable",
              "the Emitter's caches have not synced yet",
              {
                details: { retryAfterSeconds: 1 },
                headers: { "retry-after": "1" },
              },
            );
          }
          response = serveResource(options, route, query, request.headers.get("accept"));
        }
      }
    } catch (error) {
      if (!(error instanceof StatusResponseError)) options.onError?.(error);
      response = statusResponse(
        error instanceof StatusResponseError ? error : new StatusResponseError(
          500,
          "InternalError",
          `Internal error occurred: ${error instanceof Error ? error.message : error}`,
        ),
      );
    }
    options.onRequest?.(verb, response.status);
    return request.method === "HEAD" ? new Response(null, response) : response;
  };
}

function healthResponse(path: string, ready: boolean): Response {
  if (path === "/readyz" && !ready) {
    return new Response("[-]informer-sync failed: caches not synced\nreadyz check failed\n", {
      status: 500,
    });
  }
  return new Response("ok", { headers: { "content-type": "text/plain; charset=utf-8" } });
}

function discoveryDocument(path: string): unknown {
  switch (path) {
    case "/version":
      return discovery.versionInfo();
    case "/api":
      return discovery.coreVersions;
    case "/api/v1":
      return discovery.coreResources;
    case "/apis":
      return discovery.groups;
    case "/apis/discovery.k8s.io":
      return discovery.discoveryGroupDocument;
    case "/apis/discovery.k8s.io/v1":
      return discovery.discoveryResources;
    default:
      return undefined;
  }
}

function serveResource(
  options: HandlerOptions,
  route: ResourceRoute,
  query: ReturnType<typeof parseReadQuery>,
  accept: string | null,
): Response {
  const table = options.renderTable !== undefined && (options.wantsTable?.(accept) ?? false);
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
  if (route.name) {
    const object = getObject(options.view, route);
    if (table) {
      return Response.json(
        options.renderTable?.(resource, [object], object.metadata?.resourceVersion ?? ""),
      );
    }
    return Response.json({ kind: resource.objectKind, apiVersion: resource.apiVersion, ...object });
  }
  const page = listObjects(options.view, route, query);
  if (table) {
    const rendered = options.renderTable?.(resource, page.items, String(page.resourceVersion)) as {
      metadata?: Record<string, unknown>;
    };
    if (page.continueToken && rendered.metadata) rendered.metadata["continue"] = page.continueToken;
    return Response.json(rendered);
  }
  return Response.json({
    kind: `${resource.objectKind}List`,
    apiVersion: resource.apiVersion,
    metadata: {
      resourceVersion: String(page.resourceVersion),
      ...(page.continueToken ? { continue: page.continueToken } : {}),
      ...(page.remainingItemCount !== undefined
        ? { remainingItemCount: page.remainingItemCount }
        : {}),
    },
    items: page.items satisfies KubeObject[],
  });
}
