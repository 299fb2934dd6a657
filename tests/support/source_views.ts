/**
 * The shared invariant's view of each source (`tests/faults/invariant.ts`),
 * read as admin: one client per source cluster, closed on dispose.
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";
import type { SourceView } from "../faults/invariant.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { adminConfig } from "./client_configs.ts";

/** Views of sources, by source name; their clients close on dispose. */
export interface AdminViews extends Disposable {
  /** Each source's view, in the order given. */
  readonly views: SourceView[];
  /** The view of source `name`, with another selector if given. */
  view(name: string, selector?: string): SourceView;
}

/** A view of each cluster of `sources` (source name to cluster), selecting with `selector`. */
export function adminViews(
  sources: Record<string, Cluster>,
  selector = "export=yes",
): AdminViews {
  const transports = new Map(
    Object.entries(sources).map(([name, cluster]) => [name, new Transport(adminConfig(cluster))]),
  );
  const view = (name: string, chosen = selector): SourceView => {
    const transport = transports.get(name);
    if (!transport) throw new Error(`no source ${JSON.stringify(name)} among the views`);
    return { name, rest: new RestClient(transport), selector: chosen };
  };
  return {
    views: [...transports.keys()].map((name) => view(name)),
    view,
    [Symbol.dispose]: () => transports.forEach((transport) => transport.close()),
  };
}
