/**
 * ServiceExports made by hand in a test cluster (the Multi-Cluster
 * Services API's CRDs installed), as a user makes them, through kubectl.
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";

/** What {@linkcode setServiceExport} makes. */
export interface HandExport {
  /** The namespace (it must exist). */
  namespace: string;
  /** The name: the Service it exports. */
  name: string;
  /** `spec.exportedLabels`. */
  exportedLabels?: Record<string, string>;
  /** `spec.exportedAnnotations`. */
  exportedAnnotations?: Record<string, string>;
}

/** Applies the v1beta1 ServiceExport of `made` to `cluster`, or deletes it when `exported` is false. */
export async function setServiceExport(
  cluster: Cluster,
  made: HandExport,
  exported = true,
): Promise<void> {
  const { namespace, name, exportedLabels, exportedAnnotations } = made;
  const object = {
    apiVersion: "multicluster.x-k8s.io/v1beta1",
    kind: "ServiceExport",
    metadata: { name, namespace },
    spec: {
      ...(exportedLabels ? { exportedLabels } : {}),
      ...(exportedAnnotations ? { exportedAnnotations } : {}),
    },
  };
  await cluster.kubectlWithInput(JSON.stringify(object), exported ? "apply" : "delete", "-f", "-");
}
