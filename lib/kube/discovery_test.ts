import { equal } from "node:assert/strict";
import { withClusters } from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { configFromUrl } from "./config/client_config.ts";
import { servesResource } from "./discovery.ts";
import { endpoints, endpointSlices, type ResourceType, services } from "./resource.ts";
import { RestClient } from "./rest.ts";
import { Transport } from "./transport.ts";

Deno.test("servesResource() reads a real apiserver's discovery", async () => {
  await withClusters(["discovery"], async ([cluster]) => {
    if (!cluster) throw new Error("no cluster");
    using transport = new Transport(adminConfig(cluster));
    const rest = new RestClient(transport);
    equal(await servesResource(rest, services), true);
    equal(await servesResource(rest, endpointSlices), true);
    const unknownGroup: ResourceType = { ...endpointSlices, group: "example.invalid" };
    equal(await servesResource(rest, unknownGroup), false);
    const unknownResource: ResourceType = { ...services, resource: "widgets" };
    equal(await servesResource(rest, unknownResource), false);
  });
});

Deno.test("servesResource() says no where a server lacks a group, as the Go Emitter does", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (new URL(request.url).pathname === "/api/v1") {
      return Response.json({
        kind: "APIResourceList",
        groupVersion: "v1",
        resources: [
          { name: "services", namespaced: true, kind: "Service", verbs: ["get", "list", "watch"] },
          { name: "endpoints", namespaced: true, kind: "Endpoints", verbs: ["get"] },
        ],
      });
    }
    return new Response("404 page not found", { status: 404 });
  });
  try {
    using transport = new Transport(configFromUrl(`http://127.0.0.1:${server.addr.port}`));
    const rest = new RestClient(transport);
    equal(await servesResource(rest, services), true);
    equal(await servesResource(rest, endpoints), false, "get alone is not enough to inform");
    equal(await servesResource(rest, endpointSlices), false);
  } finally {
    await server.shutdown();
  }
});
