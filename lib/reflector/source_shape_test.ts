import { deepStrictEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import {
  coreEndpoints,
  endpoint,
  http,
  owner,
  service,
  slice,
  sourcesArbitrary,
} from "../../tests/support/desired_fixtures.ts";
import { desiredMirror } from "./desired.ts";
import {
  describeProblems,
  endpointSliceProblems,
  endpointsProblems,
  maxProblems,
  serviceExportProblems,
  serviceProblems,
} from "./source_shape.ts";

const web = () =>
  service({
    type: "ClusterIP",
    ports: [{ name: "http", protocol: "TCP", port: 80, appProtocol: "http" }],
    ipFamilies: ["IPv4", "IPv6"],
    ipFamilyPolicy: "PreferDualStack",
    sessionAffinity: "ClientIP",
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    publishNotReadyAddresses: false,
  }, { labels: { export: "yes", "app.kubernetes.io/name": "web" }, annotations: { a: "b" } });
const webSlice = () =>
  slice("web-abc", "IPv4", [endpoint("10.0.0.1", { hostname: "a" }), endpoint("10.0.0.2")]);
const webEndpoints = () =>
  coreEndpoints([{
    addresses: [{ ip: "10.0.0.1", hostname: "a" }],
    notReadyAddresses: [{ ip: "fd00::1" }],
    ports: [{ name: "http", port: 80, protocol: "TCP" }],
  }]);

Deno.test("the shape checks pass objects as a real apiserver sends them", () => {
  deepStrictEqual(serviceProblems(web()), []);
  deepStrictEqual(
    serviceProblems(service({ type: "ExternalName", externalName: "db.example.org" })),
    [],
  );
  deepStrictEqual(serviceProblems({ metadata: { name: "web", namespace: "shop" } }), []);
  deepStrictEqual(endpointSliceProblems(webSlice()), []);
  // Go servers send a slice without endpoints or ports as null.
  deepStrictEqual(
    endpointSliceProblems({ ...webSlice(), endpoints: null, ports: null }),
    [],
  );
  deepStrictEqual(endpointSliceProblems(slice("web-v6", "IPv6", [endpoint("fd00::1")])), []);
  deepStrictEqual(endpointsProblems(webEndpoints()), []);
  deepStrictEqual(endpointsProblems(coreEndpoints(undefined)), []);
});

Deno.test("serviceProblems() names each field of the wrong type with its value", () => {
  const bad = {
    metadata: { name: 42, namespace: ["shop"], labels: { "a/b/c": "x", ok: 1 }, annotations: [] },
    spec: {
      type: "Magic",
      ports: [{ port: "80" }, { port: 0, protocol: "tcp", name: "HTTP" }, 7],
      ipFamilies: "IPv4",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 1e9 } },
      publishNotReadyAddresses: "yes",
    },
  };
  const problems = serviceProblems(bad);
  deepStrictEqual(problems.map((problem) => problem.path), [
    "metadata.name",
    "metadata.namespace",
    "metadata.labels key",
    'metadata.labels["ok"]',
    "metadata.annotations",
    "spec.type",
    "spec.ports[0].port",
    "spec.ports[1].name",
    "spec.ports[1].protocol",
    "spec.ports[1].port",
    "spec.ports[2]",
    "spec.ipFamilies",
    "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
    "spec.publishNotReadyAddresses",
  ]);
  equal(
    describeProblems(problems.slice(0, 3)),
    'metadata.name is 42, expected a DNS-1035 label; metadata.namespace is ["shop"], expected ' +
      'a DNS-1123 label; metadata.labels key is "a/b/c", expected a label or annotation key',
  );
  equal(describeProblems(serviceProblems({})), "metadata missing, expected an object");
  equal(describeProblems(serviceProblems("web")), ' is "web", expected an object');
});

Deno.test("endpointSliceProblems() checks addresses against the slice's address type", () => {
  const mixed = slice("web-abc", "IPv4", [
    endpoint("fd00::1"),
    { addresses: [] },
    { addresses: ["10.0.0.1%eth0", "10.0.0.01"], conditions: { ready: "true" }, hostname: "A" },
    // deno-lint-ignore no-explicit-any
  ] as any, [{ port: 70000 }]);
  deepStrictEqual(endpointSliceProblems(mixed).map(({ path, value }) => [path, value]), [
    ["ports[0].port", 70000],
    ["endpoints[0].addresses[0]", "fd00::1"],
    ["endpoints[1].addresses", []],
    ["endpoints[2].addresses[0]", "10.0.0.1%eth0"],
    ["endpoints[2].addresses[1]", "10.0.0.01"],
    ["endpoints[2].conditions.ready", "true"],
    ["endpoints[2].hostname", "A"],
  ]);
  deepStrictEqual(
    endpointSliceProblems({ ...webSlice(), addressType: "IPv5" }).map((p) => p.path),
    [
      "addressType",
    ],
  );
  // Nothing of an FQDN slice but its metadata is read.
  deepStrictEqual(endpointSliceProblems({ ...webSlice(), addressType: "FQDN", endpoints: 7 }), []);
});

Deno.test("endpointsProblems() checks every address and port of every subset", () => {
  deepStrictEqual(
    endpointsProblems(
      coreEndpoints([{
        addresses: [{ ip: "nope" }],
        ports: [{ name: "x" } as unknown as { port: number }],
      }]),
    )
      .map((problem) => problem.path),
    ["subsets[0].addresses[0].ip", "subsets[0].ports[0].port"],
  );
  deepStrictEqual(endpointsProblems({ ...webEndpoints(), subsets: {} }).map((p) => p.path), [
    "subsets",
  ]);
});

Deno.test("the shape checks keep at most maxProblems problems of one object", () => {
  const ports = Array.from({ length: 1000 }, () => ({ port: -1 }));
  equal(serviceProblems(service({ ports })).length, maxProblems);
});

Deno.test("the shape checks never throw, whatever JSON they are given", () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
    for (const check of [serviceProblems, endpointSliceProblems, endpointsProblems]) {
      ok(Array.isArray(check(value)));
    }
  }));
});

Deno.test("every source the desired-state tests generate passes the shape checks", () => {
  fc.assert(fc.property(sourcesArbitrary, (sources) => {
    for (const { service, endpointSlices } of sources) {
      deepStrictEqual(serviceProblems(service), []);
      for (const slice of endpointSlices) deepStrictEqual(endpointSliceProblems(slice), []);
    }
  }));
});

/** Paths of fields the Reflector reads, in the fixtures' objects. */
const servicePaths = [
  "metadata",
  "metadata.name",
  "metadata.namespace",
  "metadata.labels",
  "metadata.labels.export",
  "metadata.annotations",
  "spec",
  "spec.type",
  "spec.externalName",
  "spec.clusterIP",
  "spec.ports",
  "spec.ports.0",
  "spec.ports.0.name",
  "spec.ports.0.port",
  "spec.ports.0.protocol",
  "spec.ipFamilies",
  "spec.ipFamilies.0",
  "spec.ipFamilyPolicy",
  "spec.sessionAffinity",
  "spec.sessionAffinityConfig",
  "spec.publishNotReadyAddresses",
];
const slicePaths = [
  "metadata",
  "metadata.labels",
  "addressType",
  "ports",
  "ports.0",
  "ports.0.port",
  "ports.0.name",
  "endpoints",
  "endpoints.0",
  "endpoints.0.addresses",
  "endpoints.0.addresses.0",
  "endpoints.0.conditions",
  "endpoints.0.conditions.ready",
  "endpoints.0.hostname",
];
const endpointsPaths = [
  "subsets",
  "subsets.0",
  "subsets.0.addresses",
  "subsets.0.addresses.0",
  "subsets.0.addresses.0.ip",
  "subsets.0.addresses.0.hostname",
  "subsets.0.notReadyAddresses",
  "subsets.0.ports",
  "subsets.0.ports.0.port",
];

/** `object` with the field at the dotted `path` set to `value`. */
function withField<T>(object: T, path: string, value: unknown): T {
  const copy = structuredClone(object) as Record<string, unknown>;
  const keys = path.split(".");
  const last = keys.pop() as string;
  let at: Record<string, unknown> = copy;
  for (const key of keys) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[last] = value;
  return copy as T;
}

/** A problem path as a dotted path (`a[0].b` is `a.0.b`; a map entry or key is its map's). */
const dotted = (path: string) =>
  path.replace(/\[(\d+)\]/g, ".$1").replace(/\[".*$/, "").replace(/ key$/, "");
const related = (a: string, b: string) =>
  a === "" || a === b || b.startsWith(`${a}.`) ||
  a.startsWith(`${b}.`);

Deno.test("an object the shape checks pass never makes the desired state throw", () => {
  const mutation = (paths: string[]) =>
    fc.record({ path: fc.constantFrom(...paths), value: fc.jsonValue({ maxDepth: 3 }) });
  fc.assert(
    fc.property(
      mutation(servicePaths),
      mutation(slicePaths),
      mutation(endpointsPaths),
      fc.constantFrom("service", "slice", "endpoints"),
      (onService, onSlice, onEndpoints, which) => {
        const objects = {
          service: which === "service" ? withField(web(), onService.path, onService.value) : web(),
          slice: which === "slice"
            ? withField(webSlice(), onSlice.path, onSlice.value)
            : webSlice(),
          endpoints: which === "endpoints"
            ? withField(webEndpoints(), onEndpoints.path, onEndpoints.value)
            : webEndpoints(),
        };
        const problems = [
          ...serviceProblems(objects.service),
          ...endpointSliceProblems(objects.slice),
          ...endpointsProblems(objects.endpoints),
        ];
        const mutated = { service: onService, slice: onSlice, endpoints: onEndpoints }[which].path;
        ok(
          problems.every((problem) => related(dotted(problem.path), mutated)),
          `${mutated}: ${describeProblems(problems)}`,
        );
        if (problems.length > 0) return;
        for (
          const inputs of [
            [{ source: "east", service: objects.service, endpointSlices: [objects.slice] }],
            [{ source: "east", service: objects.service, endpoints: objects.endpoints }],
          ]
        ) {
          const mirror = desiredMirror(inputs, { legacyEndpoints: true });
          ok(mirror.service.metadata?.name);
          mirror.endpointsFor(owner);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("the fixtures' default port passes as a slice port", () => {
  deepStrictEqual(endpointSliceProblems(slice("web-1", "IPv4", [], [http])), []);
});

Deno.test("serviceExportProblems() passes a ServiceExport as a server sends it, and names each bad field", () => {
  const good = {
    apiVersion: "multicluster.x-k8s.io/v1beta1",
    kind: "ServiceExport",
    metadata: { name: "web", namespace: "shop", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { exportedLabels: { tier: "web" }, exportedAnnotations: { "example.com/owner": "x" } },
    status: { conditions: [] },
  };
  deepStrictEqual(serviceExportProblems(good), []);
  deepStrictEqual(serviceExportProblems({ metadata: { name: "web", namespace: "shop" } }), []);
  const bad = {
    metadata: { name: "Web", namespace: "shop" },
    spec: { exportedLabels: { tier: "a b" }, exportedAnnotations: { "a/b/c": "x", note: 7 } },
  };
  deepStrictEqual(serviceExportProblems(bad).map((problem) => problem.path), [
    "metadata.name",
    'spec.exportedLabels["tier"]',
    "spec.exportedAnnotations key",
    'spec.exportedAnnotations["note"]',
  ]);
  deepStrictEqual(serviceExportProblems("export").map((problem) => problem.path), [""]);
});

Deno.test("serviceProblems() checks the traffic fields an import carries", () => {
  const problems = serviceProblems(
    service(
      { type: "ClusterIP", internalTrafficPolicy: "Nearby", trafficDistribution: 5 } as never,
    ),
  );
  deepStrictEqual(problems.map((problem) => problem.path), [
    "spec.internalTrafficPolicy",
    "spec.trafficDistribution",
  ]);
});
