import { deepStrictEqual } from "node:assert/strict";
import { deepFreeze, endpoint, service, slice } from "../../tests/support/desired_fixtures.ts";
import { withdrawnEndpoints } from "./_stale.ts";
import { mirrorEndpointSlices } from "./desired.ts";

const owner = { name: "web", uid: "host-uid" };
const objects = deepFreeze({
  source: "east",
  service: service({ ports: [{ name: "http", port: 80 }] }),
  endpointSlices: [slice("web-a", "IPv4", [endpoint("10.0.0.1"), endpoint("10.0.0.2")])],
});
const conditions = (withdrawn: ReturnType<typeof withdrawnEndpoints>) =>
  mirrorEndpointSlices([withdrawn], owner).flatMap((each) =>
    each.endpoints.map((one) => [one.addresses[0], one.conditions?.ready, one.conditions?.serving])
  );

Deno.test("withdrawnEndpoints() keeps a stale source's endpoints neither ready nor serving, or drops them", () => {
  deepStrictEqual(conditions(withdrawnEndpoints(objects, "not-ready")), [
    ["10.0.0.1", false, false],
    ["10.0.0.2", false, false],
  ]);
  deepStrictEqual(conditions(withdrawnEndpoints(objects, "delete")), []);
  deepStrictEqual(
    withdrawnEndpoints(objects, "delete").service,
    objects.service,
    "the Service stands",
  );
});

Deno.test("withdrawnEndpoints() marks a stale source's core Endpoints not ready", () => {
  const legacy = deepFreeze({
    source: "old",
    service: service({ ports: [{ name: "http", port: 80 }] }),
    endpoints: {
      metadata: { name: "web", namespace: "shop" },
      subsets: [{ addresses: [{ ip: "10.0.0.3" }], ports: [{ name: "http", port: 8080 }] }],
    },
  });
  deepStrictEqual(conditions(withdrawnEndpoints(legacy, "not-ready")), [[
    "10.0.0.3",
    false,
    false,
  ]]);
});
