import { equal, throws } from "node:assert/strict";
import {
  apiVersionOf,
  endpointSlices,
  leases,
  namespaces,
  resourcePath,
  services,
} from "./resource.ts";

Deno.test("resourcePath() builds core, grouped, namespaced and cluster-scoped paths", () => {
  equal(resourcePath(services), "/api/v1/services");
  equal(resourcePath(services, { namespace: "demo" }), "/api/v1/namespaces/demo/services");
  equal(
    resourcePath(services, { namespace: "demo", name: "web" }),
    "/api/v1/namespaces/demo/services/web",
  );
  equal(
    resourcePath(services, { namespace: "demo", name: "web", subresource: "status" }),
    "/api/v1/namespaces/demo/services/web/status",
  );
  equal(resourcePath(endpointSlices), "/apis/discovery.k8s.io/v1/endpointslices");
  equal(
    resourcePath(leases, { namespace: "kube-system", name: "lock" }),
    "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lock",
  );
  equal(resourcePath(namespaces, { name: "demo" }), "/api/v1/namespaces/demo");
});

Deno.test("resourcePath() refuses what would change the path's meaning", () => {
  throws(() => resourcePath(namespaces, { namespace: "x" }), {
    name: "TypeError",
    message: `Cannot build a path for namespaces as they are cluster-scoped: namespace is "x"`,
  });
  throws(() => resourcePath(services, { subresource: "status" }), {
    name: "TypeError",
    message: `Cannot build a path for subresource "status" without a name`,
  });
  throws(() => resourcePath(services, { namespace: "demo", name: "../secrets" }), {
    name: "TypeError",
    message:
      `Cannot build a path for services as 'name' must be a DNS subdomain: current value is "../secrets"`,
  });
});

Deno.test("apiVersionOf() joins group and version", () => {
  equal(apiVersionOf(services), "v1");
  equal(apiVersionOf(endpointSlices), "discovery.k8s.io/v1");
});
