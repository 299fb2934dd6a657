import { deepStrictEqual } from "node:assert/strict";
import type { ServicePort, ServiceSpec } from "kubernetes-types/core/v1.d.ts";
import { deepFreeze, service } from "../../tests/support/desired_fixtures.ts";
import { orderedInputs, type SourceObjects } from "./_desired_inputs.ts";
import { mergedSpec } from "./_desired_merge.ts";

/** Source `source` exporting a Service with `spec`, created at day `day` of 2026. */
function from(source: string, day: number, spec: ServiceSpec): SourceObjects {
  const creationTimestamp = `2026-01-${String(day).padStart(2, "0")}T00:00:00Z`;
  return { source, service: service(spec, { creationTimestamp }) };
}

const merged = (...inputs: SourceObjects[]) =>
  mergedSpec(orderedInputs(deepFreeze(inputs), "merge"));
const port = (name: string, number: number, protocol = "TCP"): ServicePort => ({
  name,
  protocol,
  port: number,
});

Deno.test("mergedSpec() unions ports by name, the oldest source's first", () => {
  const { spec, conflicts } = merged(
    from("young", 9, { ports: [port("grpc", 9090), port("http", 80)] }),
    from("old", 1, { ports: [port("http", 80)] }),
  );
  deepStrictEqual(spec.ports, [port("http", 80), port("grpc", 9090)]);
  deepStrictEqual(conflicts, []);
});

Deno.test("mergedSpec() lets the oldest source win a port's number and names the disagreement", () => {
  const { spec, conflicts } = merged(
    from("east", 5, { ports: [port("http", 8080)] }),
    from("west", 2, { ports: [port("http", 80)] }),
    from("north", 7, { ports: [port("http", 80, "UDP")] }),
  );
  deepStrictEqual(spec.ports, [port("http", 80)]);
  deepStrictEqual(conflicts, [{ field: "ports[http]", sources: ["west", "east", "north"] }]);
});

Deno.test("mergedSpec() refuses ports a valid Service could not hold together", () => {
  // Unnamed next to named, and one number and protocol under two names.
  const { spec, conflicts } = merged(
    from("a", 1, { ports: [port("http", 80)] }),
    from("b", 2, { ports: [{ protocol: "TCP", port: 81 }] }),
    from("c", 3, { ports: [port("web", 80)] }),
  );
  deepStrictEqual(spec.ports, [port("http", 80)]);
  deepStrictEqual(conflicts, [
    { field: "ports[]", sources: ["a", "b"] },
    { field: "ports[web]", sources: ["a", "c"] },
  ]);
  // A single unnamed port merges with another source's single unnamed port.
  const alone = merged(
    from("a", 1, { ports: [{ protocol: "TCP", port: 80 }] }),
    from("b", 2, { ports: [{ protocol: "TCP", port: 80 }] }),
  );
  deepStrictEqual(alone, {
    spec: { type: "ClusterIP", ports: [{ protocol: "TCP", port: 80 }] },
    conflicts: [],
  });
});

Deno.test("mergedSpec() keeps the oldest source's Service-level fields and reports each that differs", () => {
  const { spec, conflicts } = merged(
    from("old", 1, { clusterIP: "None", sessionAffinity: "ClientIP", ipFamilies: ["IPv4"] }),
    from("new", 2, { type: "ClusterIP", ipFamilies: ["IPv6"] }),
    from("same", 3, { clusterIP: "None", sessionAffinity: "ClientIP" }),
  );
  deepStrictEqual(spec, {
    type: "ClusterIP",
    clusterIP: "None",
    clusterIPs: ["None"],
    ipFamilies: ["IPv4"],
    sessionAffinity: "ClientIP",
  });
  deepStrictEqual(conflicts, [
    { field: "type", sources: ["old", "new"] },
    { field: "sessionAffinity", sources: ["old", "new"] },
    { field: "ipFamilies", sources: ["old", "new"] },
  ]);
});

Deno.test("mergedSpec() does not depend on the order the sources are given in", () => {
  const inputs = [
    from("a", 3, { ports: [port("x", 1)] }),
    from("b", 1, { ports: [port("x", 2), port("y", 3)] }),
    from("c", 2, { ports: [port("z", 4)] }),
  ];
  deepStrictEqual(merged(...inputs), merged(...[...inputs].reverse()));
});
