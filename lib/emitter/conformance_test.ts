/**
 * The Emitter answers odd and malformed requests as kube-apiserver does.
 *
 * Every case is sent byte for byte (tests/support/raw_http.ts) to a real
 * kube-apiserver and to an Emitter serving that cluster's `export=yes`
 * Services, and the answers are compared: status code, media type, and of
 * a Status its reason, code, details and message (of another JSON answer
 * its kind; of a plain-text answer its body).
 *
 * Decisions, where the Emitter cannot or should not be identical:
 * - Writes. The Emitter's resources are read-only, so every write answers
 *   what kube-apiserver answers for a verb a resource does not support: the
 *   reference request is the same write on `componentstatuses`, a resource
 *   that only supports get and list (405 MethodNotAllowed, `details: {}`).
 *   Writes are never sent to the real Services.
 * - Media types. The Emitter renders JSON and v1 Tables only, so YAML,
 *   protobuf and v1beta1 Tables are 406 NotAcceptable, as kube-apiserver
 *   answers for a media type a resource lacks; its 406 message lists what
 *   it renders, so 406 messages are not compared.
 * - Wording of its own parsers. Bad label and field selector syntax and bad
 *   continue tokens get the same code and reason, in the Emitter's words.
 * - Request heads. The Emitter's HTTP parser (node's, `serve.ts`) refuses a
 *   request head over 64 KiB with a bare 431 before the handler runs, where
 *   kube-apiserver (Go) reads up to 1 MiB and answers 431 beyond: 64 KiB
 *   bounds the memory of a connection flood, so 100 KB URLs or headers are
 *   refused, not served; heads under 64 KiB are served as kube-apiserver
 *   serves them. An unknown method token is a bare 400 from the parser (Go:
 *   405), and the target `*` is a 400 Status (origin-form targets only).
 * - Versions. An Exact list is served at every version of the Emitter's
 *   history window, as kube-apiserver serves every version it still holds;
 *   older ones are 410, as kube-apiserver answers once it compacted a
 *   version and rebuilt its watch cache (this test apiserver never
 *   compacts by itself, so it still answers version 1 with the empty
 *   state of its fresh etcd; the Emitter never held that version).
 * - What is not served: every other resource (404), and namespaces but
 *   for a get of one, which exists while an object is served in it (so
 *   kubectl, which asks for the namespace of an object it did not find,
 *   reports what it reports against kube-apiserver).
 * - ServiceExports. The cluster serves the MCS API's CRDs, so the Emitter
 *   serves ServiceExports, compared with kube-apiserver's custom resource
 *   (its group's unknown paths are plain-text 404s, its objects' 404s are
 *   Statuses). The Emitter serves them in one version only, the preferred
 *   one it found: where the CRDs also serve v1alpha1, its paths are 404.
 *   Where kube-apiserver's handler of custom resources answers odd
 *   requests otherwise than its built-in handlers (HEAD served as GET, a
 *   subresource the CRD lacks a NotFound of the object, a watch of
 *   `status` 405, a 406 Status without details), the Emitter answers as
 *   for its other resources, one set of rules for all.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import {
  type Cluster,
  installMcsCrds,
  KubectlError,
  withClusters,
} from "../../tests/cluster/mod.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { kubectlAt } from "../../tests/support/kubectl_at.ts";
import { poll } from "../../tests/support/poll.ts";
import {
  rawExchange,
  type RawRequest,
  type RawResponse,
  type RawTarget,
} from "../../tests/support/raw_http.ts";
import { parseLabelSelector } from "../kube/label_selector.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { Emitter } from "./emitter.ts";
import { serve } from "./serve.ts";

/** The parts of an answer that are compared. */
type Part = "status" | "type" | "reason" | "code" | "details" | "message" | "kind" | "text";

interface Case {
  /** What is sent to the Emitter. */
  request: RawRequest;
  /** What is sent to kube-apiserver instead, when the same request would not be comparable. */
  reference?: RawRequest;
  /** Parts compared; all that apply when omitted. */
  parts?: Part[];
  /** The Emitter's own answer where it cannot match, and why; compared with it instead. */
  differs?: { status: number; reason?: string; why: string };
}

const ns = "/api/v1/namespaces/shop";
const svc = `${ns}/services`;
const tableV1 = "application/json;as=Table;v=v1;g=meta.k8s.io";
const get = (target: string, headers: [string, string][] = []): RawRequest => ({
  method: "GET",
  target,
  headers,
});
const accept = (target: string, type: string) => get(target, [["Accept", type]]);
const noMessage: Part[] = ["status", "type", "reason", "code", "details"];
const statusOnly: Part[] = ["status", "type"];

function methodCases(): Case[] {
  const writes: Case[] = [];
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    for (
      const [target, reference] of [[svc, "/api/v1/componentstatuses"], [
        `${svc}/web`,
        "/api/v1/componentstatuses/x",
      ]]
    ) {
      const body = method === "DELETE" ? {} : { body: "{}" };
      writes.push({
        request: { method, target: target as string, ...body },
        reference: { method, target: reference as string, ...body },
      });
    }
  }
  return [
    ...writes,
    ...["OPTIONS", "TRACE", "HEAD"].map((method) => ({ request: { method, target: svc } })),
    {
      request: { method: "FOO", target: svc },
      differs: { status: 400, why: "node's HTTP parser knows a fixed list of methods" },
    },
    { request: { method: "HEAD", target: "/apis" } },
    { request: { method: "HEAD", target: "/version" } },
    { request: { method: "HEAD", target: "/healthz" } },
    { request: { method: "HEAD", target: "/nope" } },
    { request: { method: "POST", target: "/apis", body: "{}" } },
    { request: { method: "POST", target: "/api/v1", body: "{}" } },
    { request: { method: "POST", target: "/nope", body: "{}" } },
    { request: { method: "POST", target: "/api/v1/widgets", body: "{}" } },
    { request: { method: "DELETE", target: "/healthz" } },
  ];
}

function acceptCases(): Case[] {
  const cases: Case[] = [];
  for (const target of [`${svc}/nope`, svc]) {
    for (const type of ["application/json", "*/*", "", "application/json;q=0", tableV1]) {
      cases.push({ request: accept(target, type) });
    }
    cases.push({ request: accept(target, `${tableV1},application/json`) });
    for (const type of ["text/html", "garbage", "text/*", "application/*"]) {
      cases.push({ request: accept(target, type), parts: noMessage });
    }
    for (const type of ["application/yaml", "application/vnd.kubernetes.protobuf"]) {
      cases.push({
        request: accept(target, type),
        differs: { status: 406, reason: "NotAcceptable", why: "the Emitter renders JSON only" },
      });
    }
    cases.push({
      request: accept(target, "application/json;as=Table;v=v1beta1;g=meta.k8s.io"),
      differs: { status: 406, reason: "NotAcceptable", why: "the Emitter renders v1 Tables only" },
    });
  }
  cases.push({ request: accept(svc, "application/json;stream=watch") });
  cases.push({ request: accept("/api/v1", "text/html"), parts: noMessage });
  cases.push({ request: accept("/version", "garbage") });
  cases.push({
    request: accept(`${svc}?watch=true&timeoutSeconds=1`, "text/html"),
    parts: noMessage,
  });
  return cases;
}

function pathCases(): Case[] {
  const same = [
    "/api/v1/widgets",
    "/api/v2/services",
    "/apis/discovery.k8s.io/v9/endpointslices",
    "/apis/discovery.k8s.io/v1/widgets",
    `${ns}/endpointslices`,
    "/apis/discovery.k8s.io/v1/namespaces/shop/services",
    "/apis/nope.io/v1/things",
    "/nope",
    "/API/v1/services",
    "/api/V1/services",
    "//api/v1/services",
    "/api//v1/services",
    "/api/v1//services",
    "/api/v1/../v1/services",
    "/api/v1/./services",
    `${ns}/../shop/services`,
    "/api/v1/services/",
    `${svc}/`,
    `${svc}/nope/`,
    "/api/%76%31/services",
    `${svc}/no%70e`,
    `${svc}/a%2Fb`,
    `${svc}/a%20b`,
    `${svc}/%`,
    `${svc}/%zz`,
    `${svc}/web/status`,
    `${svc}/nope/status`,
    `${svc}/web/a/b/c/d/e/f/g/h/i/j/k`,
    `${svc}/${"x/".repeat(500)}x`,
    "/api/v1/services/nope",
    "/api/v1/namespaces//services",
    `${svc}#fragment`,
    `${svc}?`,
    "/healthz/",
    "/api/",
    "/apis/",
    "/version/",
    "/apis/discovery.k8s.io/",
    `${ns}/endpoints/nope`,
    ns,
    "/api/v1/namespaces/missing",
    "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/nope",
  ];
  return [
    ...same.map((target) => ({ request: get(target) })),
    {
      request: get("/api/v1/namespaces"),
      differs: { status: 404, reason: "NotFound", why: "the Emitter serves no namespaces" },
    },
    {
      request: get("*"),
      differs: {
        status: 400,
        reason: "BadRequest",
        why: "the Emitter serves origin-form targets only",
      },
    },
  ];
}

function sizeCases(): Case[] {
  const node = "a request head over 64 KiB is refused with a bare 431 before the handler";
  const big = "a".repeat(100_000);
  return [
    { request: get(`${svc}/nope?x=${"a".repeat(60_000)}`) },
    { request: get(`${svc}/nope`, [["X-Long", "a".repeat(60_000)]]) },
    { request: get(`${svc}/${big}`), differs: { status: 431, why: node } },
    { request: get(`${svc}?x=${big}`), differs: { status: 431, why: node } },
    { request: get(`${svc}/nope`, [["X-Long", big]]), differs: { status: 431, why: node } },
    // Over Go's 1 MiB, kube-apiserver answers 431 in plain text.
    {
      request: get(`${svc}/nope`, [["X-Long", "a".repeat(1_100_000)]]),
      differs: { status: 431, why: node },
    },
    {
      request: get(
        `${svc}/nope`,
        Array.from({ length: 200 }, (_, i) => [`X-H${i}`, "v"] as [string, string]),
      ),
    },
  ];
}

function queryCases(): Case[] {
  const onGet = [
    "watch=true&timeoutSeconds=1",
    "watch=true&resourceVersion=abc",
    "resourceVersion=abc",
    "timeoutSeconds=abc",
    "labelSelector=a%20in%20(b",
    "fieldSelector=spec.selector%3Dx",
    "resourceVersionMatch=Bogus",
    "limit=abc",
    "continue=garbage",
    "sendInitialEvents=true",
    "export=true",
  ];
  const onList = [
    "timeoutSeconds=abc",
    "limit=abc",
    "limit=-1",
    "limit=0",
    "resourceVersionMatch=NotOlderThan",
    "resourceVersionMatch=Exact",
    "resourceVersionMatch=Bogus",
    "resourceVersion=0&resourceVersionMatch=Exact",
    "resourceVersion=abc",
    "resourceVersion=-1",
    "sendInitialEvents=true",
    "sendInitialEvents=false",
    "sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
    "fieldSelector=spec.selector%3Dx",
    "fieldSelector=spec.type%3DClusterIP",
    "watch=false",
    "pretty=true&unknown=1",
    "watch=true&resourceVersion=abc",
    "watch=true&sendInitialEvents=true",
    "watch=true&resourceVersionMatch=NotOlderThan",
    "watch=true&resourceVersionMatch=Exact&sendInitialEvents=true",
  ];
  const ownWords = [
    "continue=garbage",
    "labelSelector=a%20in%20(b",
    "labelSelector=%3Dx",
    "fieldSelector=metadata.name%3D%3D%3D",
  ];
  const watches = ["watch=true", "watch=1", "watch=yes", "watch=true&allowWatchBookmarks=true"];
  return [
    ...onGet.map((query) => ({ request: get(`${svc}/nope?${query}`) })),
    { request: get(`${svc}/web?watch=true&timeoutSeconds=1`) },
    ...onList.map((query) => ({ request: get(`${svc}?${query}`) })),
    ...ownWords.map((query) => ({ request: get(`${svc}?${query}`), parts: noMessage })),
    ...watches.map((query) => ({
      request: get(`${svc}?${query}&timeoutSeconds=1`),
      parts: statusOnly,
    })),
  ];
}

const mcs = "/apis/multicluster.x-k8s.io";
const exportsIn = `${mcs}/v1beta1/namespaces/shop/serviceexports`;

function serviceExportCases(): Case[] {
  const same = [
    mcs,
    `${mcs}/`,
    `${mcs}/v1beta1`,
    `${mcs}/v1beta1/`,
    `${mcs}/v9`,
    `${mcs}/v9/serviceexports`,
    `${mcs}/v1beta1/widgets`,
    `${mcs}/v1beta1/namespaces/shop/services`,
    `${mcs}/v1beta1/serviceexports`,
    `${mcs}/v1beta1/serviceexports/web`,
    `${mcs}/v1beta1/namespaces//serviceexports`,
    "/api/v1/serviceexports",
    exportsIn,
    `${exportsIn}/`,
    `${exportsIn}/web`,
    `${exportsIn}/nope`,
    `${exportsIn}/web/status`,
    `${exportsIn}/nope/status`,
    `${exportsIn}/nope?resourceVersion=abc`,
    `${exportsIn}/nope?export=true`,
    `${exportsIn}/web?watch=true&timeoutSeconds=1`,
    "/api/v1/namespaces/shop",
  ];
  const onList = [
    "fieldSelector=metadata.name%3Dweb",
    "fieldSelector=metadata.namespace%3Dshop",
    "resourceVersion=abc",
    "resourceVersion=abc&watch=true",
    "resourceVersionMatch=Exact",
    "limit=abc",
    "limit=1",
    "sendInitialEvents=true",
    "watch=true&resourceVersionMatch=NotOlderThan",
  ];
  const version = "the Emitter serves ServiceExports in the preferred version only";
  const rules =
    "the Emitter answers as for its other resources, not as kube-apiserver's CRD handler";
  return [
    ...same.map((target) => ({ request: get(target) })),
    ...onList.map((query) => ({ request: get(`${exportsIn}?${query}`) })),
    { request: get(`${exportsIn}?fieldSelector=spec.type%3Dx`) },
    { request: get(`${exportsIn}?labelSelector=a%20in%20(b`), parts: noMessage },
    { request: get(`${exportsIn}?limit=1&continue=garbage`), parts: noMessage },
    { request: get(`${exportsIn}?watch=true&timeoutSeconds=1`), parts: statusOnly },
    { request: accept(exportsIn, tableV1), parts: ["status", "type", "kind"] },
    { request: accept(`${exportsIn}/web`, tableV1), parts: ["status", "type", "kind"] },
    { request: accept(`${exportsIn}/nope`, tableV1) },
    { request: accept(`${exportsIn}/web`, "text/html"), parts: ["status", "type", "reason"] },
    { request: { method: "HEAD", target: exportsIn }, differs: { status: 405, why: rules } },
    { request: get(`${exportsIn}/web/scale`), differs: { status: 404, why: rules } },
    { request: get(`${exportsIn}/web/a/b`), differs: { status: 404, why: rules } },
    {
      request: get(`${mcs}/v1beta1/watch/namespaces/shop/serviceexports/web/status`),
      differs: { status: 404, why: rules },
    },
    {
      request: { method: "DELETE", target: `${exportsIn}/web` },
      reference: { method: "DELETE", target: "/api/v1/componentstatuses/x" },
    },
    { request: get(`${mcs}/v1alpha1`), differs: { status: 404, why: version } },
    {
      request: get(`${mcs}/v1alpha1/namespaces/shop/serviceexports`),
      differs: { status: 404, why: version },
    },
  ];
}

/** The compared parts of an answer. */
function digest(response: RawResponse, parts: Part[]): Partial<Record<Part, unknown>> {
  const type = response.headers["content-type"]?.split(";")[0];
  let json: Record<string, unknown> | undefined;
  if (type === "application/json" && response.body !== "" && !response.body.includes('{"type"')) {
    json = JSON.parse(response.body);
  }
  const all: Record<Part, unknown> = {
    status: response.status,
    type: response.headers["content-type"],
    reason: json?.["kind"] === "Status" ? json["reason"] : undefined,
    code: json?.["kind"] === "Status" ? json["code"] : undefined,
    details: json?.["kind"] === "Status" ? json["details"] : undefined,
    message: json?.["kind"] === "Status" ? json["message"] : undefined,
    kind: json?.["kind"],
    text: type === "text/plain" ? response.body : undefined,
  };
  return Object.fromEntries(parts.map((part) => [part, all[part]]));
}

const everything: Part[] = [
  "status",
  "type",
  "reason",
  "code",
  "details",
  "message",
  "kind",
  "text",
];

async function compareAll(real: RawTarget, ours: RawTarget, cases: Case[]): Promise<string[]> {
  const mismatches: string[] = [];
  for (const each of cases) {
    const label = `${each.request.method} ${each.request.target.slice(0, 100)}${
      each.request.headers?.length ? ` ${JSON.stringify(each.request.headers).slice(0, 80)}` : ""
    }`;
    const emitter = await rawExchange(ours, each.request);
    if (each.differs) {
      const got = digest(emitter, ["status", "reason"]);
      const want = { status: each.differs.status, reason: each.differs.reason };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push(
          `${label}: the Emitter answered ${JSON.stringify(got)}, documented ${
            JSON.stringify(want)
          } (${each.differs.why})`,
        );
      }
      continue;
    }
    const apiserver = await rawExchange(real, each.reference ?? each.request);
    const parts = each.parts ?? everything;
    const [want, got] = [digest(apiserver, parts), digest(emitter, parts)];
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      mismatches.push(
        `${label}:\n  kube-apiserver ${JSON.stringify(want)}\n  Emitter        ${
          JSON.stringify(got)
        }`,
      );
    }
  }
  return mismatches;
}

async function seed(cluster: Cluster): Promise<void> {
  await cluster.kubectl("create", "namespace", "shop");
  await cluster.kubectl("create", "service", "clusterip", "web", "-n", "shop", "--tcp=80:8080");
  await cluster.kubectl("label", "service", "web", "-n", "shop", "export=yes");
  await installMcsCrds(cluster);
  await cluster.kubectlWithInput(
    JSON.stringify({
      apiVersion: "multicluster.x-k8s.io/v1beta1",
      kind: "ServiceExport",
      metadata: { name: "web", namespace: "shop" },
    }),
    "apply",
    "-f",
    "-",
  );
}

Deno.test("the Emitter answers odd requests as kube-apiserver does", async (t) => {
  await withClusters(["conformance"], async ([cluster]) => {
    if (!cluster) throw new Error("no cluster");
    await seed(cluster);
    using transport = new Transport(adminConfig(cluster));
    const emitter = new Emitter({
      rest: new RestClient(transport),
      selector: parseLabelSelector("export=yes"),
    });
    const controller = new AbortController();
    const running = emitter.run(controller.signal);
    const server = await serve(emitter.handler, { hostname: "127.0.0.1", port: 0 });
    try {
      await poll(() => emitter.ready || undefined, { description: "the Emitter's caches to sync" });
      const real: RawTarget = {
        hostname: "127.0.0.1",
        port: Number(new URL(cluster.server).port),
        tls: { caCerts: [cluster.ca], ...cluster.admin },
      };
      const ours: RawTarget = { hostname: "127.0.0.1", port: server.port };
      for (
        const [name, cases] of [
          ["methods, on collections, objects and discovery", methodCases()],
          ["Accept types", acceptCases()],
          ["unknown groups, versions and resources, and odd paths", pathCases()],
          ["long URLs and headers", sizeCases()],
          ["list and watch parameters on gets, lists and watches", queryCases()],
          ["ServiceExports' paths, parameters and Accept types", serviceExportCases()],
        ] as const
      ) {
        await t.step(name, async () => deepStrictEqual(await compareAll(real, ours, cases), []));
      }
      await t.step(
        "kubectl get svc nope prints what it prints against kube-apiserver",
        async () => {
          const apiserver = await cluster.kubectl("get", "svc", "nope", "-n", "shop").then(
            () => "",
            (error: unknown) => error instanceof KubectlError ? error.stderr : String(error),
          );
          const url = `http://127.0.0.1:${server.port}`;
          const ours = await kubectlAt(url, "get", "svc", "nope", "-n", "shop");
          equal(ours.code, 1);
          equal(ours.stderr, apiserver);
          equal(ours.stderr, 'Error from server (NotFound): services "nope" not found\n');
          const missing = await kubectlAt(url, "get", "svc", "nope", "-n", "missing");
          const reference = await cluster.kubectl("get", "svc", "nope", "-n", "missing").then(
            () => "",
            (error: unknown) => error instanceof KubectlError ? error.stderr : String(error),
          );
          equal(missing.stderr, reference);
          equal(missing.stderr, 'Error from server (NotFound): namespaces "missing" not found\n');
        },
      );
      await t.step(
        "an Exact list is the list as it was at that version, and 410 once the version is gone",
        async () => {
          const list = async (target: RawTarget, query = "") =>
            JSON.parse((await rawExchange(target, get(`${svc}?${query}`))).body) as {
              metadata: { resourceVersion: string; continue?: string };
              items: { metadata: { name: string; labels?: Record<string, string> } }[];
            };
          const [realBefore, oursBefore] = [
            (await list(real)).metadata.resourceVersion,
            (await list(ours)).metadata.resourceVersion,
          ];
          await cluster.kubectl("label", "service", "web", "-n", "shop", "tier=front");
          await cluster.kubectl("create", "service", "clusterip", "db", "-n", "shop", "--tcp=5432");
          await cluster.kubectl("label", "service", "db", "-n", "shop", "export=yes");
          await poll(async () => (await list(ours)).items.length === 2 || undefined, {
            description: "the Emitter serving db",
          });
          // Both servers' versions differ; each is asked at its own version from before the changes.
          const asOf = async (target: RawTarget, version: string) => {
            const exact = `resourceVersion=${version}&resourceVersionMatch=Exact`;
            const whole = await list(target, exact);
            const paged = await list(target, `${exact}&limit=1`);
            return {
              sameVersion: whole.metadata.resourceVersion === version,
              items: whole.items.map(({ metadata }) =>
                `${metadata.name} ${metadata.labels?.["tier"]}`
              ),
              paged: paged.items.map(({ metadata }) => metadata.name),
              more: paged.metadata.continue !== undefined,
            };
          };
          const answered = {
            real: await asOf(real, realBefore),
            ours: await asOf(ours, oursBefore),
          };
          deepStrictEqual(answered.ours, answered.real);
          deepStrictEqual(answered.real, {
            sameVersion: true,
            items: ["web undefined"],
            paged: ["web"],
            more: false,
          });

          // kube-apiserver forgets a version once etcd compacted it and its watch cache was
          // rebuilt; a version older than the Emitter's window (its first is its start) is gone.
          await cluster.compact();
          await cluster.stopApiserver();
          await cluster.startApiserver();
          const gone = get(`${svc}?resourceVersion=1&resourceVersionMatch=Exact`);
          deepStrictEqual(await compareAll(real, ours, [{ request: gone }]), []);
          deepStrictEqual(digest(await rawExchange(ours, gone), ["status", "reason", "message"]), {
            status: 410,
            reason: "Expired",
            message: "The resourceVersion for the provided list is too old.",
          });
        },
      );
    } finally {
      controller.abort();
      await running;
      await server.shutdown();
    }
  });
});
