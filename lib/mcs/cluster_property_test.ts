import { equal, rejects } from "node:assert/strict";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { clusterIdOf, ClusterIdPropertyError } from "./cluster_property.ts";

/**
 * The About API's ClusterProperty CRD as KEP-2149 describes it (no module
 * serves it here): cluster-scoped, `spec.value` a string.
 */
const clusterPropertyCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: {
    name: "clusterproperties.about.k8s.io",
    // *.k8s.io groups need it; KEP-2149 is the approval.
    annotations: {
      "api-approved.kubernetes.io": "https://github.com/kubernetes/enhancements/pull/1645",
    },
  },
  spec: {
    group: "about.k8s.io",
    scope: "Cluster",
    names: { plural: "clusterproperties", singular: "clusterproperty", kind: "ClusterProperty" },
    versions: [{
      name: "v1alpha1",
      served: true,
      storage: true,
      schema: {
        openAPIV3Schema: {
          type: "object",
          properties: {
            spec: {
              type: "object",
              required: ["value"],
              properties: { value: { type: "string", maxLength: 128000 } },
            },
          },
        },
      },
    }],
  },
};

const property = (value: string) =>
  JSON.stringify({
    apiVersion: "about.k8s.io/v1alpha1",
    kind: "ClusterProperty",
    metadata: { name: "cluster.clusterset.k8s.io" },
    spec: { value },
  });

Deno.test("clusterIdOf() reads the ClusterProperty cluster.clusterset.k8s.io, none without the CRD or the property, and refuses a value that is not a DNS label", async () => {
  await withClusters(["west"], async ([west]) => {
    if (!west) throw new Error("cluster missing");
    using transport = new Transport(adminConfig(west));
    const rest = new RestClient(transport);
    equal(await clusterIdOf(rest), undefined, "no CRD: no cluster id");
    await west.kubectlWithInput(JSON.stringify(clusterPropertyCrd), "apply", "-f", "-");
    await west.kubectl("wait", "--for=condition=Established", "crd/clusterproperties.about.k8s.io");
    equal(await clusterIdOf(rest), undefined, "no property: no cluster id");
    await west.kubectlWithInput(property("west-1"), "apply", "-f", "-");
    equal(await clusterIdOf(rest), "west-1");
    await west.kubectlWithInput(property("West_1"), "apply", "-f", "-");
    await rejects(clusterIdOf(rest), (error) => {
      equal(error instanceof ClusterIdPropertyError, true);
      equal(
        (error as Error).message,
        'Cannot use ClusterProperty cluster.clusterset.k8s.io as its value must be a DNS label: current value is "West_1"',
      );
      return true;
    });
  });
});
