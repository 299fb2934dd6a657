import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import { type Cluster, createReadyPod, withClusters } from "../../tests/cluster/mod.ts";
import { getJson, sendJson } from "../../tests/support/api_json.ts";
import { poll } from "../../tests/support/poll.ts";
import {
  type IncludeObject,
  isTableRequest,
  type Table,
  type TableKinds,
  toTable,
  type ToTableOptions,
} from "./table.ts";

// What kubectl v1.37 sends for `kubectl get`.
const tableAccept =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const namespace = "tables";
const services = `/api/v1/namespaces/${namespace}/services`;
const endpoints = `/api/v1/namespaces/${namespace}/endpoints`;
const slices = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;

const web: Service = {
  metadata: { name: "web", namespace },
  spec: {
    selector: { app: "web", tier: "front" },
    ports: [
      { name: "http", port: 80, targetPort: 8080 },
      { name: "dns", port: 53, protocol: "UDP" },
    ],
  },
};

Deno.test("toTable() renders what kube-apiserver renders for kubectl get", async (t) => {
  await withClusters(["tables"], async ([cluster]) => {
    if (!cluster) throw new Error("Cannot run without a cluster");
    await createFixtures(cluster);

    await t.step("Services, Endpoints and EndpointSlices of a namespace", async () => {
      await assertSameTable(cluster, "Service", services);
      await assertSameTable(cluster, "Endpoints", endpoints);
      await assertSameTable(cluster, "EndpointSlice", slices);
    });
    await t.step("lists across all namespaces", async () => {
      await assertSameTable(cluster, "Service", "/api/v1/services");
      await assertSameTable(cluster, "Endpoints", "/api/v1/endpoints");
      await assertSameTable(cluster, "EndpointSlice", "/apis/discovery.k8s.io/v1/endpointslices");
    });
    await t.step("a single object", async () => {
      for (const name of ["web", "lb", "headless", "v6", "external"]) {
        await assertSameTable(cluster, "Service", `${services}/${name}`);
      }
      for (const name of ["web", "headless", "v6", "slow", "empty", "manual"]) {
        await assertSameTable(cluster, "Endpoints", `${endpoints}/${name}`);
      }
      await assertSameTable(cluster, "EndpointSlice", `${slices}/custom`);
    });
    await t.step("includeObject=None and includeObject=Object", async () => {
      for (const query of ["?includeObject=None", "?includeObject=Object"]) {
        await assertSameTable(cluster, "Service", services + query);
        await assertSameTable(cluster, "EndpointSlice", slices + query);
      }
    });
    await t.step("a page of a paginated list", async () => {
      await assertSameTable(cluster, "Service", `${services}?limit=3`);
    });
    await t.step("isTableRequest() agrees with the apiserver's negotiation", async () => {
      for (const accept of acceptHeaders) {
        const response = await cluster.fetch(services, { headers: { accept } });
        ok(response.ok, `${accept}: HTTP ${response.status}`);
        const body = await response.json() as { kind: string; apiVersion: string };
        const table = body.kind === "Table" && body.apiVersion === "meta.k8s.io/v1";
        equal(isTableRequest(accept), table, accept);
      }
    });
  });
});

Deno.test("toTable() carries list metadata and the object as includeObject asks", () => {
  const service: Service = { metadata: { name: "a", uid: "u" }, spec: { type: "ClusterIP" } };
  const base = toTable("Service", [service], {});
  deepStrictEqual(base.metadata, {});
  deepStrictEqual(base.rows[0]?.object, {
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1",
    metadata: { name: "a", uid: "u" },
  });
  const paged = toTable("Service", [], {
    resourceVersion: "42",
    continueToken: "next",
    remainingItemCount: 7,
    includeObject: "None",
  });
  deepStrictEqual(paged.metadata, {
    resourceVersion: "42",
    continue: "next",
    remainingItemCount: 7,
  });
  deepStrictEqual(paged.rows, []);
  equal(toTable("Service", [service], { includeObject: "None" }).rows[0]?.object, null);
  deepStrictEqual(
    toTable("EndpointSlice", [{ addressType: "IPv4", endpoints: [] }], {
      includeObject: "Object",
    }).rows[0]?.object,
    {
      kind: "EndpointSlice",
      apiVersion: "discovery.k8s.io/v1",
      addressType: "IPv4",
      endpoints: [],
    },
  );
});

Deno.test("toTable() returns column definitions a caller may change", () => {
  const first = toTable("Endpoints", []);
  first.columnDefinitions.length = 0;
  equal(toTable("Endpoints", []).columnDefinitions.length, 3);
});

Deno.test("toTable() refuses an unknown kind, includeObject or now", () => {
  throws(() => toTable("Pod" as keyof TableKinds, []), {
    name: "TypeError",
    message:
      `Cannot render a Table as 'kind' must be "Service", "Endpoints" or "EndpointSlice": current value is "Pod"`,
  });
  throws(() => toTable("constructor" as keyof TableKinds, []), { name: "TypeError" });
  throws(() => toTable("Service", [], { includeObject: "All" as "None" }), {
    name: "TypeError",
    message:
      `Cannot render a Table as 'includeObject' must be "None", "Metadata" or "Object": current value is "All"`,
  });
  throws(() => toTable("Service", [], { now: new Date(Number.NaN) }), {
    name: "RangeError",
    message: "Cannot render a Table as 'now' must be a valid Date: current value is Invalid Date",
  });
});

const acceptHeaders = [
  tableAccept,
  "application/json",
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
  "application/json,application/json;as=Table;v=v1;g=meta.k8s.io",
  "application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io",
  "*/*;as=Table;v=v1;g=meta.k8s.io",
  "*/*;q=0.5,application/*;as=Table;v=v1;g=meta.k8s.io",
  "application/*,application/json;as=Table;v=v1;g=meta.k8s.io",
  "application/*;as=Table;v=v1;g=meta.k8s.io,application/json",
  "application/json;q=0",
  " application/json ; as=Table ; v=v1 ; g=meta.k8s.io ; pretty=0",
  "application/json;as=;v=;g=,application/json;as=Table;v=v1;g=meta.k8s.io",
  "application/json;as=Table;v=v1;g=meta.k8s.io;q=0,*/*;q=0.1",
];

/** GETs `path` as JSON and as a Table at one resourceVersion and compares the Table with toTable's. */
async function assertSameTable(cluster: Cluster, kind: keyof TableKinds, path: string) {
  const { json, table, before, after } = await poll(async () => {
    const before = new Date();
    const json = await getJson<Json>(cluster, path, { accept: "application/json" });
    const table = await getJson<Table>(cluster, path, { accept: tableAccept });
    const after = new Date();
    // A controller may write between the two GETs; compare one state only.
    return table.metadata.resourceVersion === json.metadata.resourceVersion
      ? { json, table, before, after }
      : undefined;
  }, { description: `${path} to hold still` });
  const list = Array.isArray(json.items);
  const objects = (list ? json.items : [json]) as TableKinds[typeof kind][];
  const query = new URL(path, "http://x").searchParams;
  const options: ToTableOptions = { resourceVersion: json.metadata.resourceVersion };
  if (json.metadata.continue) options.continueToken = json.metadata.continue;
  const { remainingItemCount } = json.metadata;
  if (remainingItemCount !== undefined) options.remainingItemCount = remainingItemCount;
  const includeObject = query.get("includeObject");
  if (includeObject) options.includeObject = includeObject as IncludeObject;
  // AGE is rendered at the apiserver's "now", somewhere between the two.
  const early = wire(toTable(kind, objects, { ...options, now: before }));
  const late = wire(toTable(kind, objects, { ...options, now: after }));
  const age = table.columnDefinitions.findIndex((column) => column.name === "Age");
  ok(age > 0, `${path}: no Age column`);
  equal(table.rows.length, early.rows.length, `${path}: row count`);
  table.rows.forEach((row, i) => {
    const seen = row.cells[age];
    ok(seen === early.rows[i]?.cells[age] || seen === late.rows[i]?.cells[age], `${path}: AGE`);
    row.cells[age] = early.rows[i]?.cells[age];
  });
  deepStrictEqual(early, table, path);
}

function wire(table: Table): Table {
  return JSON.parse(JSON.stringify(table));
}

interface Json {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items?: unknown[];
}

/**
 * Services of every type; six Ready Pods behind most of them (so ENDPOINTS
 * truncates) with IPv4 and IPv6 addresses; a not-ready Pod; a selector-less
 * Service with hand-written Endpoints; a hand-written FQDN EndpointSlice.
 */
async function createFixtures(cluster: Cluster): Promise<void> {
  const post = (path: string, body: unknown) => sendJson(cluster, { method: "POST", path, body });
  await post("/api/v1/namespaces", { metadata: { name: namespace } });
  for (let i = 0; i < 6; i++) {
    await createReadyPod(cluster, {
      namespace,
      name: `web-${i}`,
      ips: [`10.1.0.${10 + i}`, `fd00:1::${10 + i}`],
      labels: { app: "web", tier: "front" },
    });
  }
  await createReadyPod(cluster, {
    namespace,
    name: "slow",
    ips: ["10.1.1.1"],
    labels: { app: "slow" },
    ready: false,
  });
  const selector = { app: "web" };
  const port = [{ port: 443 }];
  const fixtures: Service[] = [
    web,
    {
      metadata: { name: "node" },
      spec: { type: "NodePort", selector, ports: [{ port: 443, nodePort: 30443 }] },
    },
    {
      metadata: { name: "lb" },
      spec: { type: "LoadBalancer", selector, ports: port, externalIPs: ["198.51.100.9"] },
    },
    {
      metadata: { name: "pending" },
      spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: port },
    },
    { metadata: { name: "headless" }, spec: { clusterIP: "None", selector } },
    {
      metadata: { name: "external" },
      spec: { type: "ExternalName", externalName: "db.example.com" },
    },
    {
      metadata: { name: "with-ips" },
      spec: { externalIPs: ["198.51.100.8", "198.51.100.7"], ports: port },
    },
    { metadata: { name: "v6" }, spec: { ipFamilies: ["IPv6"], selector, ports: [{ port: 80 }] } },
    {
      metadata: { name: "dual" },
      spec: { ipFamilyPolicy: "PreferDualStack", selector, ports: port },
    },
    { metadata: { name: "empty" }, spec: { selector: { app: "none" }, ports: port } },
    { metadata: { name: "slow" }, spec: { selector: { app: "slow" }, ports: port } },
    {
      metadata: { name: "manual" },
      spec: { ports: [{ name: "a", port: 80 }, { name: "b", port: 81 }] },
    },
  ];
  for (const service of fixtures) await post(services, service);
  await sendJson(cluster, {
    method: "PATCH",
    path: `${services}/lb/status`,
    contentType: "application/merge-patch+json",
    body: {
      status: {
        loadBalancer: {
          ingress: [{ ip: "203.0.113.20" }, { hostname: "lb.example.com" }, { ip: "203.0.113.3" }],
        },
      },
    },
  });
  await post(endpoints, {
    metadata: { name: "manual" },
    subsets: [
      {
        addresses: [{ ip: "10.2.0.1" }],
        ports: [{ name: "a", port: 80 }, { name: "b", port: 81 }],
      },
      { addresses: [{ ip: "10.2.0.2" }, { ip: "10.2.0.3" }], ports: [{ name: "a", port: 80 }] },
    ],
  });
  await post(slices, {
    metadata: { name: "custom" },
    addressType: "FQDN",
    ports: [{ name: "grpc" }, { name: "one", port: 1 }, { name: "two", port: 2 }, { name: "any" }],
    endpoints: ["a", "b", "c", "d"].map((host) => ({ addresses: [`${host}.example.com`] })),
  });
  await poll(async () => {
    const rows = async (path: string) => {
      const table = await getJson<Table>(cluster, path, { accept: tableAccept });
      return table.rows.map((row) => row.cells.join(" "));
    };
    const endpointsRows = await rows(endpoints);
    const sliceRows = await rows(slices);
    const truncated = (prefix: string, rows: string[]) =>
      rows.filter((row) => row.startsWith(prefix) && row.includes(" more...")).length;
    const settled = truncated("web ", endpointsRows) === 1 &&
      truncated("v6 ", endpointsRows) === 1 &&
      truncated("headless ", endpointsRows) === 1 && truncated("dual-", sliceRows) === 2 &&
      endpointsRows.some((row) => row.startsWith("slow  ")) &&
      endpointsRows.some((row) => row.startsWith("empty <none> "));
    return settled ? true : undefined;
  }, { description: "the endpoints controllers to fill every Endpoints and EndpointSlice" });
}
