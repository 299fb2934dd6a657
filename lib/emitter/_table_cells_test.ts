import { deepStrictEqual, equal } from "node:assert/strict";
import type { Endpoints, Service, ServiceSpec, ServiceStatus } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { endpointsCells, endpointSliceCells, serviceCells } from "./_table_cells.ts";

// Expectations follow pkg/printers/internalversion of Kubernetes v1.37; the
// cases a real apiserver can produce are also compared with it in table_test.ts.

const now = new Date("2024-05-06T07:08:09Z");
const metadata = { name: "x", creationTimestamp: "2024-05-06T07:05:07Z" };

function service(spec: ServiceSpec, status: ServiceStatus = {}): Service {
  return { metadata, spec, status };
}

Deno.test("serviceCells() renders a ClusterIP Service with ports and a selector", () => {
  deepStrictEqual(
    serviceCells(
      service({
        type: "ClusterIP",
        clusterIPs: ["10.96.0.10", "fd00:10:96::a"],
        ports: [{ port: 80, protocol: "TCP" }, { port: 53, protocol: "UDP" }],
        selector: { tier: "front", app: "web", "app.kubernetes.io/name": "web" },
      }),
      now,
    ),
    [
      "x",
      "ClusterIP",
      "10.96.0.10",
      "<none>",
      "80/TCP,53/UDP",
      "3m2s",
      "app.kubernetes.io/name=web,app=web,tier=front",
    ],
  );
});

Deno.test("serviceCells() shows node ports, headless and ExternalName Services", () => {
  const nodePort = service({
    type: "NodePort",
    clusterIPs: ["10.96.0.11"],
    ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }, {
      port: 443,
      nodePort: 30443,
      protocol: "TCP",
    }],
  });
  deepStrictEqual(serviceCells(nodePort, now).slice(1, 5), [
    "NodePort",
    "10.96.0.11",
    "<none>",
    "80:30080/TCP,443:30443/TCP",
  ]);
  const headless = service({ type: "ClusterIP", clusterIP: "None", clusterIPs: ["None"] });
  deepStrictEqual(serviceCells(headless, now).slice(1, 5), [
    "ClusterIP",
    "None",
    "<none>",
    "<none>",
  ]);
  const externalName = service({ type: "ExternalName", externalName: "db.example.com" });
  deepStrictEqual(serviceCells(externalName, now).slice(1, 7), [
    "ExternalName",
    "<none>",
    "db.example.com",
    "<none>",
    "3m2s",
    "<none>",
  ]);
});

Deno.test("serviceCells() lists externalIPs of ClusterIP and NodePort Services", () => {
  const externalIPs = ["198.51.100.8", "198.51.100.7"];
  equal(
    serviceCells(service({ type: "ClusterIP", externalIPs }), now)[3],
    "198.51.100.8,198.51.100.7",
  );
  equal(
    serviceCells(service({ type: "NodePort", externalIPs }), now)[3],
    "198.51.100.8,198.51.100.7",
  );
});

Deno.test("serviceCells() shows load-balancer ingress sorted and deduplicated, then externalIPs", () => {
  const ingress = [
    { ip: "203.0.113.20" },
    { hostname: "a-very-long-load-balancer-name.example.com" },
    { ip: "203.0.113.3", hostname: "ignored.example.com" },
    { ip: "203.0.113.20" },
    {},
  ];
  const spec = { type: "LoadBalancer", clusterIPs: ["10.96.0.12"] };
  equal(serviceCells(service(spec), now)[3], "<pending>");
  equal(serviceCells(service({ ...spec, externalIPs: ["198.51.100.9"] }), now)[3], "198.51.100.9");
  equal(
    serviceCells(service(spec, { loadBalancer: { ingress } }), now)[3],
    "203.0.113.20,203.0.113.3,a-very-long-load-balancer-name.example.com",
  );
  equal(
    serviceCells(
      service({ ...spec, externalIPs: ["198.51.100.9"] }, {
        loadBalancer: { ingress: [{ ip: "203.0.113.3" }] },
      }),
      now,
    )[3],
    "203.0.113.3,198.51.100.9",
  );
});

Deno.test("serviceCells() applies the apiserver's defaults to objects that lack them", () => {
  deepStrictEqual(
    serviceCells({
      metadata: { name: "bare" },
      spec: { clusterIP: "10.96.0.13", ports: [{ port: 80 }] },
    }, now),
    ["bare", "ClusterIP", "10.96.0.13", "<none>", "80/TCP", "<unknown>", "<none>"],
  );
  equal(serviceCells(service({ type: "Special" }), now)[3], "<unknown>");
});

function endpoints(subsets: Endpoints["subsets"]): Endpoints {
  return subsets === undefined ? { metadata } : { metadata, subsets };
}
const address = (ip: string) => ({ ip });

Deno.test("endpointsCells() lists ip:port per port, then per address, up to three", () => {
  const subset = {
    addresses: ["10.1.0.1", "10.1.0.2"].map(address),
    ports: [{ name: "http", port: 80 }, { name: "dns", port: 53 }],
  };
  deepStrictEqual(endpointsCells(endpoints([subset]), now), [
    "x",
    "10.1.0.1:80,10.1.0.2:80,10.1.0.1:53 + 1 more...",
    "3m2s",
  ]);
  const three = {
    addresses: ["10.1.0.1", "10.1.0.2", "10.1.0.3"].map(address),
    ports: [{ port: 80 }],
  };
  equal(endpointsCells(endpoints([three]), now)[1], "10.1.0.1:80,10.1.0.2:80,10.1.0.3:80");
});

Deno.test("endpointsCells() brackets IPv6 and shows bare IPs of subsets without ports", () => {
  const v6 = { addresses: ["fd00:1::1"].map(address), ports: [{ port: 443 }] };
  const portless = { addresses: ["10.1.0.7", "10.1.0.8", "10.1.0.9"].map(address) };
  equal(
    endpointsCells(endpoints([v6, portless]), now)[1],
    "[fd00:1::1]:443,10.1.0.7,10.1.0.8 + 1 more...",
  );
});

Deno.test("endpointsCells() is <none> without subsets and empty with only not-ready addresses", () => {
  equal(endpointsCells(endpoints(undefined), now)[1], "<none>");
  equal(endpointsCells(endpoints([]), now)[1], "<none>");
  const notReady = { notReadyAddresses: [address("10.1.0.1")], ports: [{ port: 80 }] };
  equal(endpointsCells(endpoints([notReady]), now)[1], "");
});

function slice(ports: EndpointSlice["ports"], addresses: string[][]): EndpointSlice {
  return {
    metadata,
    addressType: "IPv4",
    endpoints: addresses.map((list) => ({ addresses: list, conditions: { ready: false } })),
    ...(ports === undefined ? {} : { ports }),
  };
}

Deno.test("endpointSliceCells() lists every address of every endpoint, ready or not, up to three", () => {
  deepStrictEqual(
    endpointSliceCells(
      slice([{ port: 80 }], [["10.1.0.1"], ["10.1.0.2", "10.1.0.3"], ["10.1.0.4"]]),
      now,
    ),
    ["x", "IPv4", "80", "10.1.0.1,10.1.0.2,10.1.0.3 + 1 more...", "3m2s"],
  );
  equal(endpointSliceCells(slice([{ port: 80 }], [["fd00:1::1"]]), now)[3], "fd00:1::1");
});

Deno.test("endpointSliceCells() shows port numbers, else names, else *", () => {
  equal(
    endpointSliceCells(slice([{ name: "grpc" }, {}, { name: "", port: 8080 }], []), now)[2],
    "grpc,*,8080",
  );
  equal(
    endpointSliceCells(
      slice([{ port: 1 }, { port: 2 }, { port: 3 }, { port: 4 }, { port: 5 }], []),
      now,
    )[2],
    "1,2,3 + 2 more...",
  );
});

Deno.test("endpointSliceCells() is <unset> without ports or endpoints", () => {
  deepStrictEqual(endpointSliceCells(slice(undefined, []), now).slice(2, 4), [
    "<unset>",
    "<unset>",
  ]);
  deepStrictEqual(endpointSliceCells(slice([], []), now).slice(2, 4), ["<unset>", "<unset>"]);
  // A port with an empty name and no number prints as nothing, so the list is empty.
  equal(endpointSliceCells(slice([{ name: "" }], []), now)[2], "<unset>");
});
