import { deepStrictEqual, equal } from "node:assert/strict";
import { mirrorEndpoints } from "./_desired_core_endpoints.ts";
import {
  coreEndpoints,
  deepFreeze,
  endpoint,
  owner,
  ownerReferences,
  service,
  slice,
  sourceKey,
} from "../../tests/support/desired_fixtures.ts";

Deno.test("mirrorEndpoints() writes one subset per port set, not-ready apart, marked skip-mirror", () => {
  const dns = { name: "dns", protocol: "UDP", port: 53 };
  const inputs = deepFreeze([
    {
      source: "east",
      service: service({ clusterIP: "None" }),
      endpointSlices: [
        slice("web-a", "IPv4", [
          endpoint("10.0.0.2", { hostname: "db-1", conditions: { ready: false, serving: true } }),
          endpoint("10.0.0.1", { hostname: "db-0" }),
        ]),
        slice("web-b", "IPv4", [endpoint("10.0.0.9")], [dns, { name: "all", protocol: "TCP" }]),
      ],
    },
    {
      source: "west",
      service: service({}),
      endpoints: coreEndpoints([{
        addresses: [{ ip: "10.1.0.1" }],
        ports: [{ name: "http", port: 80 }],
      }]),
    },
  ]);
  deepStrictEqual(mirrorEndpoints(inputs, owner), {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: {
      name: "web",
      namespace: "shop",
      labels: {
        "app.kubernetes.io/managed-by": "service-reflector",
        [sourceKey]: "east",
        "endpointslice.kubernetes.io/skip-mirror": "true",
      },
      annotations: { "service-reflector.squat.ai/reflected": "true", [sourceKey]: "east" },
      ownerReferences,
    },
    subsets: [
      { addresses: [{ ip: "10.0.0.9" }], ports: [{ name: "dns", port: 53, protocol: "UDP" }] },
      {
        addresses: [{ ip: "10.0.0.1", hostname: "db-0" }, { ip: "10.1.0.1" }],
        notReadyAddresses: [{ ip: "10.0.0.2", hostname: "db-1" }],
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
      },
    ],
  });
});

Deno.test("mirrorEndpoints() writes nothing for an ExternalName mirror, and empty subsets without endpoints", () => {
  const external = service({ type: "ExternalName", externalName: "db.example.com" });
  equal(mirrorEndpoints([{ source: "east", service: external }], owner), undefined);
  const empty = mirrorEndpoints([{ source: "east", service: service({}) }], owner);
  deepStrictEqual(empty?.subsets, []);
});
