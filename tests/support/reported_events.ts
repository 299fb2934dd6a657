/**
 * Waiting for the Events the Reflector records on a host object, found by
 * the object's name and the Event's reason.
 *
 * @module
 */

import type { Event } from "kubernetes-types/core/v1.d.ts";
import { events } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { poll } from "./poll.ts";

/** The Events of `reason` on the object `namespace/name` of `host`, once there is one. */
export function reportedEvents(
  host: RestClient,
  namespace: string,
  name: string,
  reason: string,
): Promise<Event[]> {
  return poll(async () => {
    const { items } = await host.list<Event>(events, {
      namespace,
      fieldSelector: `involvedObject.name=${name},reason=${reason}`,
    });
    return items.length > 0 ? items : undefined;
  }, { description: `a ${reason} Event on ${namespace}/${name}` });
}
