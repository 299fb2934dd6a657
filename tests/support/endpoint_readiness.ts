/**
 * Every readiness a host's mirror endpoints ever had, recorded by an
 * informer on the host's EndpointSlices: for fault cases that must show
 * that no endpoint was ever marked not ready (a poll could miss a short
 * withdrawal), or when all of them were.
 *
 * @module
 */

import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { endpointSlices } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { isReflected } from "../../lib/ownership.ts";

/** A recording in progress; `await using` stops it. */
export interface EndpointReadiness extends AsyncDisposable {
  /** `<slice>/<address>` of every mirror endpoint ever seen not ready, in order. */
  readonly notReady: string[];
  /** Whether the mirror slices hold endpoints now and none of them is ready. */
  allWithdrawn(): boolean;
  /** Whether the mirror slices hold endpoints now and all of them are ready. */
  allReady(): boolean;
}

/** Records the readiness of the mirror endpoints in `namespace` of `host` from now on. */
export async function recordEndpointReadiness(
  host: RestClient,
  namespace: string,
): Promise<EndpointReadiness> {
  const informer = new Informer<EndpointSlice>(host, { type: endpointSlices, namespace });
  const notReady: string[] = [];
  const record = (slice: EndpointSlice) => {
    if (!isReflected(slice)) return;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) {
        notReady.push(`${slice.metadata?.name}/${endpoint.addresses.join(",")}`);
      }
    }
  };
  informer.addEventHandlers({ onAdd: record, onUpdate: (_, slice) => record(slice) });
  const stop = new AbortController();
  const running = informer.run(stop.signal);
  await informer.synced();
  const readiness = () =>
    informer.store.list().filter(isReflected).flatMap((slice) =>
      (slice.endpoints ?? []).map((endpoint) => endpoint.conditions?.ready !== false)
    );
  return {
    notReady,
    allWithdrawn: () => readiness().length > 0 && readiness().every((ready) => !ready),
    allReady: () => readiness().length > 0 && readiness().every((ready) => ready),
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
    },
  };
}
