/**
 * The `--listen` server (default `:9090`): Prometheus metrics and health,
 * kept apart from the Emitter's ports so probes and scrapes never depend on
 * the API it serves.
 *
 * - `/metrics`: the registry in Prometheus text format (with prom-client's
 *   default process metrics);
 * - `/healthz`, `/livez` and the original's `/health`: the liveness checks;
 * - `/readyz`: the readiness checks.
 *
 * Health answers follow kube-apiserver's: `ok` when every check passes;
 * otherwise (or with `?verbose`) one line per check, `[+]name ok` or
 * `[-]name failed: reason`, then, for readiness, informational lines
 * `[i]name: state` that never fail it (each source's state), then
 * `<path> check passed|failed`. A failing check answers 500 for liveness
 * and 503 for readiness.
 *
 * @module
 */

import type { Registry } from "prom-client";

/** One named check: `undefined` while it passes, else why it fails. */
export interface HealthCheck {
  /** Shown as `[+]name` or `[-]name`. */
  readonly name: string;
  /** Runs on every probe; must be cheap and must not throw. */
  check(): string | undefined;
}

/** A state shown in verbose answers only, as `[i]name: state`; it never fails a probe. */
export interface HealthInfo {
  /** Shown as `[i]name`. */
  readonly name: string;
  /** Runs on every verbose probe; must be cheap and must not throw. */
  describe(): string;
}

/** Options of {@linkcode listenHandler}. */
export interface ListenHandlerOptions {
  /** Metrics to expose. */
  registry: Registry;
  /** Checks of `/healthz` (and `/livez`, `/health`): failing means restart the process. */
  live: readonly HealthCheck[];
  /** Checks of `/readyz`: failing means do not send traffic yet. */
  ready: readonly HealthCheck[];
  /** Lines of `/readyz?verbose` after the checks, e.g. each source's state; asked on every probe. */
  readyInfo?: () => readonly HealthInfo[];
}

/** The `--listen` server's handler. */
export function listenHandler(
  options: ListenHandlerOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405 });
    }
    switch (url.pathname) {
      case "/metrics":
        return new Response(await options.registry.metrics(), {
          headers: { "content-type": options.registry.contentType },
        });
      case "/healthz":
      case "/livez":
      case "/health":
        return answer(options.live, url, 500);
      case "/readyz":
        return answer(options.ready, url, 503, options.readyInfo?.());
      default:
        return new Response("not found\n", { status: 404 });
    }
  };
}

function answer(
  checks: readonly HealthCheck[],
  url: URL,
  failedStatus: number,
  info: readonly HealthInfo[] = [],
): Response {
  const results = checks.map((each) => ({ name: each.name, failure: each.check() }));
  const failed = results.some((result) => result.failure !== undefined);
  const headers = { "content-type": "text/plain; charset=utf-8" };
  if (!failed && !url.searchParams.has("verbose")) return new Response("ok\n", { headers });
  const lines = results.map(({ name, failure }) =>
    failure === undefined ? `[+]${name} ok` : `[-]${name} failed: ${failure}`
  );
  lines.push(...info.map((each) => `[i]${each.name}: ${each.describe()}`));
  const what = url.pathname.slice(1);
  lines.push(`${what} check ${failed ? "failed" : "passed"}`);
  return new Response(lines.join("\n") + "\n", {
    status: failed ? failedStatus : 200,
    headers,
  });
}
