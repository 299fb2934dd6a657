import { deepStrictEqual, equal } from "node:assert/strict";
import { routeResource, servedResources } from "./routes.ts";

Deno.test("routeResource() parses core and grouped, cluster-wide and namespaced paths", () => {
  deepStrictEqual(routeResource("/api/v1/services"), {
    resource: servedResources.services,
    namespace: undefined,
    name: undefined,
    watchPath: false,
  });
  deepStrictEqual(routeResource("/api/v1/namespaces/demo/endpoints/web"), {
    resource: servedResources.endpoints,
    namespace: "demo",
    name: "web",
    watchPath: false,
  });
  deepStrictEqual(routeResource("/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices"), {
    resource: servedResources.endpointslices,
    namespace: "demo",
    name: undefined,
    watchPath: false,
  });
  deepStrictEqual(routeResource("/api/v1/watch/namespaces/demo/services")?.watchPath, true);
  deepStrictEqual(routeResource("/api/v1/namespaces/demo/services/web/status")?.name, "web");
  deepStrictEqual(routeResource("/api/v1/namespaces/demo/services/")?.name, undefined);
  deepStrictEqual(routeResource("/api/v1/namespaces//services")?.namespace, undefined);
});

Deno.test("routeResource() refuses what the Emitter does not serve", () => {
  for (
    const path of [
      "/api/v1/pods",
      "/api/v1/endpointslices",
      "/apis/discovery.k8s.io/v1/services",
      "/apis/apps/v1/deployments",
      "/api/v1/namespaces/demo",
      "/api/v1/namespaces/demo/services/web/proxy",
      "/api/v1/namespaces/demo/endpoints/web/status",
      "/api/v1/services/web",
      "/api//v1/services",
      "/api/v1/constructor",
      "/api/v2/services",
    ]
  ) {
    equal(routeResource(path), undefined, path);
  }
});
