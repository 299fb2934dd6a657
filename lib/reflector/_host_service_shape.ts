/**
 * What the host's Service cache keeps of each Service. A mirror (the
 * Reflector's, or the original's) is kept whole but for `managedFields`:
 * it is compared with its desired state and written. Any other Service
 * only stands in a mirror's way, so only what tells that and names it in
 * an Event is kept: its name, namespace, uid and resourceVersion, its
 * labels, and the one annotation that can mark it as a mirror. A host full
 * of unrelated Services then costs little more than their names.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import { isReflected, reflectedAnnotation } from "../ownership.ts";

/** `service` as the host cache keeps it (see the module doc). */
export function hostServiceShape(service: Service): Service {
  const { managedFields: _, ...metadata } = service.metadata ?? {};
  if (isReflected(service)) return { ...service, metadata };
  const { name, namespace, uid, resourceVersion, labels, annotations } = metadata;
  const marked = annotations?.[reflectedAnnotation];
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      ...(name !== undefined ? { name } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      ...(labels !== undefined ? { labels } : {}),
      ...(marked !== undefined ? { annotations: { [reflectedAnnotation]: marked } } : {}),
    },
  };
}
