import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { ServedApis } from "./served_apis.ts";
import { servedResources, serviceExportsResource } from "./routes.ts";

const always = [
  servedResources.services,
  servedResources.endpoints,
  servedResources.endpointslices,
];

Deno.test("ServedApis serves the always-served resources only, decided, by default", () => {
  const apis = new ServedApis();
  equal(apis.decided, true);
  equal(apis.serviceExports, undefined);
  deepStrictEqual(apis.resources, always);
});

Deno.test("ServedApis given a version serves ServiceExports in it after the others", () => {
  const apis = new ServedApis({ serviceExports: "v1alpha1" });
  equal(apis.serviceExports, "v1alpha1");
  deepStrictEqual(apis.resources, [...always, serviceExportsResource("v1alpha1")]);
  deepStrictEqual(serviceExportsResource("v1beta1"), {
    kind: "serviceexports",
    group: "multicluster.x-k8s.io",
    apiVersion: "multicluster.x-k8s.io/v1beta1",
    objectKind: "ServiceExport",
  });
});

Deno.test("ServedApis undecided serves no ServiceExports until decide() says which", () => {
  const apis = new ServedApis({ undecided: true, serviceExports: "v1beta1" });
  equal(apis.decided, false);
  equal(apis.serviceExports, undefined, "a version given with undecided is ignored");
  deepStrictEqual(apis.resources, always);
  apis.decide("v1beta1");
  equal(apis.decided, true);
  deepStrictEqual(apis.resources, [...always, serviceExportsResource("v1beta1")]);
});

Deno.test("ServedApis.decide() throws once decided: the set never changes during a run", () => {
  const apis = new ServedApis({ undecided: true });
  apis.decide(undefined);
  deepStrictEqual(apis.resources, always);
  throws(() => apis.decide("v1beta1"), {
    name: "Error",
    message:
      "Cannot decide the served APIs as they are decided already: they never change during a run",
  });
  equal(apis.serviceExports, undefined);
});
