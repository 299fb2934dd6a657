import { deepStrictEqual, equal } from "node:assert/strict";
import { routeResource, servedResources, serviceExportsResource } from "./routes.ts";

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

Deno.test("routeResource() routes ServiceExports only in the version given among the served", () => {
  const served = [...Object.values(servedResources), serviceExportsResource("v1beta1")];
  const group = "/apis/multicluster.x-k8s.io/v1beta1";
  deepStrictEqual(routeResource(`${group}/namespaces/shop/serviceexports/web`, served), {
    resource: serviceExportsResource("v1beta1"),
    namespace: "shop",
    name: "web",
    watchPath: false,
  });
  deepStrictEqual(routeResource(`${group}/serviceexports`, served)?.namespace, undefined);
  equal(routeResource(`${group}/watch/namespaces/shop/serviceexports`, served)?.watchPath, true);
  equal(routeResource(`${group}/namespaces/shop/serviceexports/web/status`, served)?.name, "web");
  deepStrictEqual(routeResource("/api/v1/services", served)?.resource, servedResources.services);
  for (
    const path of [
      `${group}/serviceexports`.replace("v1beta1", "v1alpha1"),
      `${group}/serviceimports`,
      `${group}/namespaces/shop/services`,
      `${group}/serviceexports/web`,
      "/api/v1/serviceexports",
      "/apis//v1beta1/serviceexports",
      "/apis/multicluster.x-k8s.io/serviceexports",
    ]
  ) {
    equal(routeResource(path, served), undefined, path);
  }
  equal(routeResource(`${group}/namespaces/shop/serviceexports`), undefined, "not served");
});
