/**
 * The `--listen` stage, last to start: metrics and the health checks of
 * every stage started before it (see `listen_server.ts`), in stage order,
 * served until the stage's signal aborts.
 *
 * @module
 */

import type { Registry } from "prom-client";
import { type ConnectionLimits, serve } from "../emitter/serve.ts";
import type { Logger } from "../log/logger.ts";
import { connectionReports } from "./_connection_reports.ts";
import type { ListenAddress } from "./flags.ts";
import { listenHandler } from "./listen_server.ts";
import type { Started } from "./_started.ts";
import { blaming } from "./_startup_error.ts";

/** Options of {@linkcode serveListen}. */
export interface ServeListenOptions extends ConnectionLimits {
  /** The metrics served on `/metrics`. */
  registry: Registry;
  /** The stages started so far, whose checks are served. */
  started: readonly Started[];
  /** Aborting shuts the server down. */
  signal: AbortSignal;
  /** Where connection troubles are logged (`listen` child); omitted: nowhere. */
  logger?: Logger;
}

/** What {@linkcode serveListen} started, and the port it listens on (useful with port 0). */
export interface ListenStarted extends Started {
  /** The port listened on. */
  readonly port: number;
}

/**
 * Serves `--listen` at `address`; resolves once it listens.
 *
 * @throws {StartupError} Blaming `--listen`, when the address cannot be bound.
 */
export async function serveListen(
  address: ListenAddress,
  options: ServeListenOptions,
): Promise<ListenStarted> {
  const { registry, started } = options;
  const handler = listenHandler({
    registry,
    live: started.flatMap((part) => part.live ?? []),
    ready: started.flatMap((part) => part.ready ?? []),
    readyInfo: () => started.flatMap((part) => part.readyInfo?.() ?? []),
  });
  const { hostname, port } = address;
  // Binding is the one thing that can fail here (serve() names the address
  // and why): the address is in use, not on this host, or a port below
  // 1024 without the privilege.
  const reports = options.logger
    ? connectionReports(options.logger.child({ component: "listen" }), "--listen-max-connections")
    : undefined;
  const server = await blaming("--listen", () =>
    serve(handler, {
      hostname,
      port,
      signal: options.signal,
      ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
      ...(options.requestHeaderTimeoutMs
        ? { requestHeaderTimeoutMs: options.requestHeaderTimeoutMs }
        : {}),
      ...(reports
        ? {
          onAcceptFailure: (report) => reports.onAcceptFailure(report, port),
          onRefusal: (report) => reports.onRefusal(report, port),
        }
        : {}),
    }));
  return { servers: [server], port: server.port };
}
