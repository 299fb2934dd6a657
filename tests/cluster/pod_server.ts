/**
 * A Pod that answers: {@linkcode createReadyPod}'s object, plus an HTTP
 * listener of the test process bound to the Pod's IP in the private network
 * (`private_network.ts`), answering every request with
 * `<cluster>/<namespace>/<pod>`, so a client can tell which Pod of which
 * cluster a connection reached.
 *
 * Invariants: a started server listens on every IPv4 Pod IP before the Pod
 * object exists (an endpoint is never ready before its listener); closing
 * it stops the listeners and removes the addresses, but not the Pod object.
 *
 * @module
 */

import type { Cluster } from "./cluster.ts";
import { createReadyPod, type ReadyPodOptions } from "./pods.ts";
import { addLocalAddress } from "./private_network.ts";

/** Options of {@linkcode startPodServer}. */
export interface PodServerOptions extends ReadyPodOptions {
  /** The port it serves on every Pod IP (the Service's targetPort). */
  port: number;
}

/** A served Pod. */
export interface PodServer extends AsyncDisposable {
  /** What it answers: `<cluster>/<namespace>/<pod>`. */
  readonly answer: string;
  /** Stops the listeners and removes the Pod IPs from the network. */
  close(): Promise<void>;
}

/** What a Pod server of `cluster` answers for Pod `namespace/name`. */
export function podAnswer(cluster: Pick<Cluster, "name">, namespace: string, name: string): string {
  return `${cluster.name}/${namespace}/${name}`;
}

/** Serves Pod `options.name` on its IPs, then creates it Running (and Ready unless told). */
export async function startPodServer(
  cluster: Cluster,
  options: PodServerOptions,
): Promise<PodServer> {
  const answer = podAnswer(cluster, options.namespace, options.name);
  const held = new AsyncDisposableStack();
  try {
    for (const ip of options.ips.filter((ip) => !ip.includes(":"))) {
      held.use(await addLocalAddress(ip));
      const server = Deno.serve(
        { hostname: ip, port: options.port, onListen: () => {} },
        () => new Response(`${answer}\n`),
      );
      held.defer(() => server.shutdown());
    }
    await createReadyPod(cluster, options);
  } catch (error) {
    await held.disposeAsync();
    throw error;
  }
  const close = () => held.disposeAsync();
  return { answer, close, [Symbol.asyncDispose]: close };
}
