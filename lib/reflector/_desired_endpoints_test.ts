import { deepStrictEqual, equal } from "node:assert/strict";
import { addressTypeOf, endpointGroups, preferredEndpoint } from "./_desired_endpoints.ts";
import {
  coreEndpoints,
  deepFreeze,
  endpoint,
  http,
  slice,
} from "../../tests/support/desired_fixtures.ts";

const ready = { ready: true, serving: true, terminating: false };

Deno.test("endpointGroups() reads slices when there are some, and core Endpoints only without", () => {
  const endpoints = deepFreeze(coreEndpoints([{ addresses: [{ ip: "10.9.9.9" }] }]));
  const slices = deepFreeze([slice("web-a", "IPv4", [endpoint("10.0.0.1")])]);
  deepStrictEqual(endpointGroups(slices, endpoints).map((g) => g.endpoints[0]?.addresses), [
    ["10.0.0.1"],
  ]);
  for (const none of [undefined, []]) {
    deepStrictEqual(endpointGroups(none, endpoints), [{
      addressType: "IPv4",
      ports: [],
      endpoints: [{ addresses: ["10.9.9.9"], conditions: { ready: true, serving: true } }],
    }]);
  }
  deepStrictEqual(endpointGroups(undefined, undefined), []);
  deepStrictEqual(endpointGroups(undefined, coreEndpoints(undefined)), []);
});

Deno.test("endpointGroups() keeps one endpoint per address, the ready, then serving one", () => {
  const groups = endpointGroups(
    deepFreeze([
      slice("web-a", "IPv4", [
        endpoint("10.0.0.1", { conditions: { ready: false, serving: true, terminating: true } }),
        endpoint("10.0.0.2", { conditions: { ready: false, serving: false } }),
      ]),
      slice("web-b", "IPv4", [
        endpoint("10.0.0.1"),
        endpoint("10.0.0.2", { conditions: { ready: false, serving: true, terminating: true } }),
        endpoint("10.0.0.3", { hostname: "b" }),
        endpoint("10.0.0.3", { hostname: "a" }),
      ]),
    ]),
    undefined,
  );
  deepStrictEqual(groups.map((g) => g.endpoints), [[
    { addresses: ["10.0.0.1"], conditions: ready },
    { addresses: ["10.0.0.2"], conditions: { ready: false, serving: true, terminating: true } },
    { addresses: ["10.0.0.3"], conditions: ready, hostname: "a" },
  ]]);
});

Deno.test("preferredEndpoint() does not depend on the order of its arguments", () => {
  const a = endpoint("10.0.0.1", { hostname: "a" });
  const b = endpoint("10.0.0.1", { hostname: "b" });
  const notReady = endpoint("10.0.0.1", { conditions: { ready: false } });
  equal(preferredEndpoint(a, b), a);
  equal(preferredEndpoint(b, a), a);
  equal(preferredEndpoint(notReady, b), b);
  equal(preferredEndpoint(b, notReady), b);
});

Deno.test("endpointGroups() skips FQDN slices, unknown address types and endpoints without addresses", () => {
  const groups = endpointGroups(
    deepFreeze([
      slice("web-a", "FQDN", [endpoint("db.example.com")]),
      slice("web-b", "Other", [endpoint("x")]),
      slice("web-c", "IPv4", [{ addresses: [] }]),
    ]),
    undefined,
  );
  deepStrictEqual(groups, []);
});

Deno.test("endpointGroups() merges slices with the same port set in any port order", () => {
  const dns = { name: "dns", port: 53, protocol: "UDP" };
  const groups = endpointGroups(
    deepFreeze([
      slice("web-a", "IPv4", [endpoint("10.0.0.2")], [{ port: 80, name: "http" }, dns]),
      slice("web-b", "IPv4", [endpoint("10.0.0.1")], [dns, http, http]),
    ]),
    undefined,
  );
  deepStrictEqual(groups.map((g) => [g.ports, g.endpoints.map((e) => e.addresses[0])]), [
    [[{ name: "dns", protocol: "UDP", port: 53 }, http], ["10.0.0.1", "10.0.0.2"]],
  ]);
});

Deno.test("endpointGroups() sorts groups by address type then port set, leaving out empty ones", () => {
  const groups = endpointGroups(
    deepFreeze([
      slice("web-a", "IPv6", [endpoint("fd00::1")]),
      slice("web-b", "IPv4", [endpoint("10.0.0.1")], [{ name: "z", port: 1 }]),
      slice("web-c", "IPv4", [endpoint("10.0.0.1")], [{ name: "a", port: 2 }]),
      slice("web-d", "IPv4", [], [{ name: "b", port: 3 }]),
    ]),
    undefined,
  );
  deepStrictEqual(groups.map((g) => [g.addressType, g.ports.map((p) => p.name)]), [
    ["IPv4", ["a"]],
    ["IPv4", ["z"]],
    ["IPv6", ["http"]],
  ]);
});

Deno.test("addressTypeOf() tells IPv6 from IPv4 addresses", () => {
  equal(addressTypeOf("10.0.0.1"), "IPv4");
  equal(addressTypeOf("fd00::1"), "IPv6");
  equal(addressTypeOf("::ffff:10.0.0.1"), "IPv6");
});
