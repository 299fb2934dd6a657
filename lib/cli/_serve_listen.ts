/**
 * The `--listen` stage, last to start: metrics and the health checks of
 * every stage started before it (see `listen_server.ts`), in stage order,
 * served until the stage's signal aborts.
 *
 * @module
 */

import type { Registry } from "prom-client";
import { serve } from "../emitter/serve.ts";
import type { ListenAddress } from "./flags.ts";
import { listenHandler } from "./listen_server.ts";
import type { Started } from "./_started.ts";

/** Options of {@linkcode serveListen}. */
export interface ServeListenOptions {
  /** The metrics served on `/metrics`. */
  registry: Registry;
  /** The stages started so far, whose checks are served. */
  started: readonly Started[];
  /** Aborting shuts the server down. */
  signal: AbortSignal;
}

/** What {@linkcode serveListen} started, and the port it listens on (useful with port 0). */
export interface ListenStarted extends Started {
  /** The port listened on. */
  readonly port: number;
}

/** Serves `--listen` at `address`; resolves once it listens. */
export async function serveListen(
  address: ListenAddress,
  options: ServeListenOptions,
): Promise<ListenStarted> {
  const { registry, started } = options;
  const server = await serve(
    listenHandler({
      registry,
      live: started.flatMap((part) => part.live ?? []),
      ready: started.flatMap((part) => part.ready ?? []),
    }),
    { hostname: address.hostname, port: address.port, signal: options.signal },
  );
  return { servers: [server], port: server.port };
}
