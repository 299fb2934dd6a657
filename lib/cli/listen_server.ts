/**
 * The `--listen` server (default `:9090`): Prometheus metrics and health,
 * kept apart from the Emitter's ports so probes and scrapes never depend on
 * the API it serves.
 *
 * - `/metrics`: the registry in Prometheus text format (with prom-client's
 *   default process metrics);
 * - `/healthz` and the original's `/health`: the process is alive;
 * - `/readyz`: every component is ready (caches synced), else 503 with
 *   the components that are not.
 *
 * @module
 */

import type { Registry } from "prom-client";

/** Options of {@linkcode listenHandler}. */
export interface ListenHandlerOptions {
  /** Metrics to expose. */
  registry: Registry;
  /** Readiness of each component, by name. */
  ready: () => Record<string, boolean>;
}

/** The `--listen` server's handler. */
export function listenHandler(
  options: ListenHandlerOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405 });
    }
    switch (path) {
      case "/metrics":
        return new Response(await options.registry.metrics(), {
          headers: { "content-type": options.registry.contentType },
        });
      case "/healthz":
      case "/livez":
      case "/health":
        return new Response("ok\n");
      case "/readyz": {
        const waiting = Object.entries(options.ready()).filter(([, ready]) => !ready).map((
          [name],
        ) => name);
        return waiting.length === 0
          ? new Response("ok\n")
          : new Response(`not ready: ${waiting.join(", ")}\n`, { status: 503 });
      }
      default:
        return new Response("not found\n", { status: 404 });
    }
  };
}
