/**
 * What a stale source contributes: one that has been unreachable for
 * longer than `--reflector.stale-after`. Its last known Services still
 * stand (the mirror stays while any source has it), but its endpoints are
 * withdrawn: marked neither ready nor serving (`not-ready`, the default:
 * clients stop sending to them, and they are back the moment the source
 * is), or dropped (`delete`). Pure; nothing is shared with the input.
 *
 * @module
 */

import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { SourceObjects } from "./_desired_inputs.ts";
import type { StaleAction } from "./stale_action.ts";

/** `objects` of a stale source, its endpoints withdrawn by `action`. */
export function withdrawnEndpoints(objects: SourceObjects, action: StaleAction): SourceObjects {
  // What is not endpoints (the Service, its ServiceExport, its mirror's name) stands.
  const { endpointSlices: _slices, endpoints: _endpoints, ...standing } = objects;
  if (action === "delete") return { ...standing, endpointSlices: [] };
  const notReady = (slice: EndpointSlice): EndpointSlice => ({
    ...slice,
    endpoints: (slice.endpoints ?? []).map((endpoint) => ({
      ...endpoint,
      conditions: { ...endpoint.conditions, ready: false, serving: false },
    })),
  });
  return {
    ...standing,
    ...(objects.endpointSlices ? { endpointSlices: objects.endpointSlices.map(notReady) } : {}),
    ...(objects.endpoints
      ? {
        endpoints: {
          ...objects.endpoints,
          subsets: (objects.endpoints.subsets ?? []).map((
            { addresses, notReadyAddresses, ...rest },
          ) => ({
            ...rest,
            notReadyAddresses: [...(notReadyAddresses ?? []), ...(addresses ?? [])],
          })),
        },
      }
      : {}),
  };
}
