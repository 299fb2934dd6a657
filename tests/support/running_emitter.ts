/**
 * An Emitter of a test cluster, serving plain HTTP on loopback through the
 * command's own `serve()`, for tests that reflect through one.
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";
import { Emitter } from "../../lib/emitter/emitter.ts";
import { serve } from "../../lib/emitter/serve.ts";
import { type ClientConfig, configFromUrl } from "../../lib/kube/config/client_config.ts";
import { parseLabelSelector } from "../../lib/kube/label_selector.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { adminConfig } from "./client_configs.ts";
import { poll } from "./poll.ts";

/** A running Emitter. */
export interface RunningEmitter extends AsyncDisposable {
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** A client config of it. */
  readonly config: ClientConfig;
  /** The Emitter. */
  readonly emitter: Emitter;
  /** Stops serving and the Emitter's caches. */
  stop(): Promise<void>;
}

/**
 * Starts an Emitter of `cluster` (exporting what `selector` selects) on
 * `port` (0: any). It listens only once its caches synced, so that a
 * client resuming after a restart meets the new versions (410), never a
 * 503 from a syncing Emitter.
 */
export async function runningEmitter(
  cluster: Cluster,
  options: { selector?: string; port?: number } = {},
): Promise<RunningEmitter> {
  const { selector = "export=yes", port = 0 } = options;
  const transport = new Transport(adminConfig(cluster));
  const emitter = new Emitter({
    rest: new RestClient(transport),
    selector: parseLabelSelector(selector),
    bookmarkIntervalMs: 1_000,
  });
  const controller = new AbortController();
  const running = emitter.run(controller.signal);
  await poll(() => emitter.ready || undefined, { description: "the Emitter's caches to sync" });
  const server = await serve(emitter.handler, { hostname: "127.0.0.1", port });
  const url = `http://127.0.0.1:${server.port}`;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      controller.abort();
      await running;
      await server.shutdown();
      transport.close();
    })();
  return { url, config: configFromUrl(url), emitter, stop, [Symbol.asyncDispose]: stop };
}
