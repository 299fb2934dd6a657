/**
 * The Reflector between real clusters (east the healthy source, west the
 * host) with hostile sources next to east: loopback servers whose lists
 * never end, whose events are huge, that hold too many objects, or whose
 * objects are wrongly typed. Each hostile source fails alone, with an error
 * naming it, the request and the bound with its flag; east keeps being
 * mirrored; nothing is written to the host on a hostile source's account
 * (counted at the host's apiserver, by the Reflector's user agent).
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { namespaces, services } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { exportService } from "../../tests/support/exported_service.ts";
import { holds } from "../../tests/support/holds.ts";
import {
  eventLine,
  type HostileRequest,
  hostileSource,
  listOf,
  watchOf,
} from "../../tests/support/hostile_source.ts";
import { reportedEvents } from "../../tests/support/reported_events.ts";
import { poll } from "../../tests/support/poll.ts";
import type { RunningReflector } from "../../tests/support/reflector_harness.ts";
import { mirrorOf } from "../../tests/support/reflector_mirror.ts";
import { scenario, scenarioNamespace } from "../../tests/support/reflector_scenario.ts";
import {
  describeWrite,
  markServerWrites,
  type ServerWrite,
} from "../../tests/support/server_writes.ts";
import { SourceLimitError } from "./source_limits.ts";
import { syncedBySource } from "../../tests/support/source_states.ts";

const namespace = scenarioNamespace;

/** Whether `write` creates `namespace`, or is of the mirror `name` in it (Service, slices, Endpoints). */
function ofMirror(write: ServerWrite, name: string): boolean {
  if (write.resource === "namespaces") return write.verb === "create" && write.name === namespace;
  return write.namespace === namespace && write.resource !== "events" &&
    (write.name === name || write.name?.startsWith(`${name}.`) === true ||
      write.name?.startsWith(`${name}-`) === true);
}

function serviceNamed(
  name: string,
  ns: string,
  resourceVersion = "1",
  ports: unknown = [{ port: 80 }],
) {
  return { metadata: { name, namespace: ns, resourceVersion }, spec: { ports } };
}

/** Lists nothing and watches forever: what a hostile source sends where it behaves. */
function quiet(request: HostileRequest): Response {
  return request.watch ? watchOf([]) : listOf([]);
}

/** Namespaces of the host other than those every cluster has. */
async function hostNamespaces(host: RestClient): Promise<string[]> {
  const list = await host.list<Namespace>(namespaces);
  const builtIn = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);
  return list.items.map((item) => item.metadata?.name ?? "").filter((name) => !builtIn.has(name))
    .sort();
}

/** The limit failures of `source` the Reflector reported. */
function limitErrors(reflector: RunningReflector, source: string): SourceLimitError[] {
  return reflector.informerErrors.filter((failure) => failure.cluster === source)
    .map((failure) => failure.error)
    .filter((error): error is SourceLimitError => error instanceof SourceLimitError);
}

Deno.test("hostile sources each fail at their bound while the healthy source is mirrored", async () => {
  await scenario(async ({ east, west, host, eastSource, start }) => {
    await exportService(east, { namespace, name: "web", ips: ["10.1.0.1"] });
    const bodyBytes: number[] = [];
    // Services in pages that never end.
    await using pages = hostileSource("pages", (request) => {
      if (request.resource !== "services") return quiet(request);
      if (request.watch) return watchOf([]);
      const page = Number(request.query.get("continue") ?? "0") + 1;
      return listOf([serviceNamed(`page-${page}`, "pages")], "1", String(page));
    }, { maxListPages: 5 });
    // A list of Services whose body never ends.
    await using body = hostileSource("body", (request) => {
      if (request.resource !== "services" || request.watch) return quiet(request);
      return endlessList(bodyBytes);
    }, { maxListBytes: 1024 * 1024 });
    // A watch event of 2 MiB.
    await using huge = hostileSource("huge", (request) => {
      if (request.resource !== "services" || !request.watch) return quiet(request);
      const big = {
        ...serviceNamed("huge", "huge", "2"),
        metadata: {
          name: "huge",
          namespace: "huge",
          resourceVersion: "2",
          annotations: { a: "x".repeat(2 * 1024 * 1024) },
        },
      };
      return watchOf([eventLine("ADDED", big)]);
    }, { maxEventBytes: 64 * 1024 });
    // One Service more than allowed.
    await using many = hostileSource("many", (request) => {
      if (request.resource !== "services" || request.watch) return quiet(request);
      return listOf([1, 2, 3, 4].map((index) => serviceNamed(`s${index}`, "many")));
    }, { maxObjects: 3 });
    const hostile = [pages, body, huge, many];
    const started = await markServerWrites(west);
    const reflector = start({ sources: [eastSource, ...hostile.map((source) => source.options)] });
    try {
      await poll(async () => {
        const mirror = await mirrorOf(host, namespace, "web");
        return mirror.endpoints.join() === "10.1.0.1:true" ? mirror : undefined;
      }, { description: "east's web mirrored", timeoutMs: 30_000 });
      const expected: [string, string, RegExp][] = [
        [
          "pages",
          "--reflector.source-max-list-pages=5",
          /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/services\?limit=500&continue=5 exceeds 'maxListPages' of 5: the list goes on after 5 pages$/,
        ],
        [
          "body",
          "--reflector.source-max-list-bytes=1048576",
          /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/services\?limit=500 exceeds 'maxListBytes' of 1048576: the list goes on past 1048576 bytes, in page 1$/,
        ],
        [
          "huge",
          "--reflector.source-max-event-bytes=65536",
          /WATCH http:\/\/127\.0\.0\.1:\d+\/api\/v1\/services\?watch=true&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=\d+ exceeds 'maxLineBytes' of 65536: an event goes on past 65536 bytes$/,
        ],
        [
          "many",
          "--reflector.source-max-objects=3",
          /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/services\?limit=500 exceeds 'maxListItems' of 3: the list holds more than 3 objects$/,
        ],
      ];
      for (const [source, flag, request] of expected) {
        const [error] = await poll(
          () =>
            limitErrors(reflector, source).length > 0 ? limitErrors(reflector, source) : undefined,
          {
            description: `the bound of ${source} reported`,
          },
        );
        ok(
          error?.message.startsWith(`Source "${source}" sent more than ${flag} allows: `),
          error?.message,
        );
        ok(request.test(error?.message ?? ""), error?.message);
      }
      // Pages: every list attempt stopped at its fifth page.
      const starts = pages.requests.filter((request) =>
        request.resource === "services" && !request.watch
      )
        .map((request) => request.query.get("continue"));
      const attempts = starts.join(",").split(",,");
      ok(
        attempts.slice(0, -1).every((attempt) => attempt === ",1,2,3,4" || attempt === "1,2,3,4"),
        starts.join(),
      );
      // Body: the client read at most the cap; the server could only get a
      // few MiB more into socket buffers before each request was dropped.
      ok(bodyBytes.length > 0);
      for (const bytes of bodyBytes.slice(0, -1)) {
        ok(bytes < 17 * 1024 * 1024, `${bytes} bytes sent`);
      }
      deepStrictEqual(syncedBySource(reflector.reflector), {
        east: true,
        pages: false,
        body: false,
        huge: true,
        many: false,
      });
      const metrics = await reflector.registry.metrics();
      ok(
        metrics.includes(
          'service_reflector_source_limit_exceeded_total{source="pages",limit="maxListPages"}',
        ),
        metrics,
      );
      // Nothing of the hostile sources reached the host.
      deepStrictEqual(await hostNamespaces(host), [namespace]);
      ok(reflector.userAgent);
      const written = await started.writes({ userAgent: reflector.userAgent });
      ok(written.some((write) => ofMirror(write, "web")), "east's mirror is written");
      deepStrictEqual(
        written.filter((write) => !ofMirror(write, "web")).map(describeWrite),
        [],
        "nothing else, not even an Event",
      );
    } finally {
      await reflector.stop();
    }
  });
});

/** A list of Services whose body never ends; records the bytes sent to each request. */
function endlessList(sent: number[]): Response {
  const index = sent.push(0) - 1;
  const item = new TextEncoder().encode(JSON.stringify(serviceNamed("x".repeat(60), "body")) + ",");
  const chunk = new Uint8Array(item.length * 256);
  for (let at = 0; at < 256; at++) chunk.set(item, at * item.length);
  let started = false;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        const bytes = started ? chunk : new TextEncoder().encode('{"metadata":{},"items":[');
        started = true;
        sent[index] = (sent[index] ?? 0) + bytes.length;
        controller.enqueue(bytes);
      },
    }),
    { headers: { "content-type": "application/json" } },
  );
}

const goodSlice = (resourceVersion: string, address: string): EndpointSlice => ({
  metadata: {
    name: "good-abc",
    namespace,
    resourceVersion,
    labels: { "kubernetes.io/service-name": "good" },
  },
  addressType: "IPv4",
  endpoints: [{ addresses: [address], conditions: { ready: true } }],
  ports: [{ name: "http", port: 80, protocol: "TCP" }],
});

Deno.test("invalid source objects are skipped, reported once and never written to the host", async () => {
  await scenario(async ({ west, host, eastSource, start }) => {
    const good = serviceNamed("good", namespace, "1", [{ name: "http", port: 80 }]);
    let broken = false;
    await using malformed = hostileSource("malformed", (request) => {
      if (request.resource === "services") {
        if (!request.watch) {
          return listOf([
            good,
            { metadata: { name: 42, namespace: "numbers", resourceVersion: "1" } },
            { metadata: { name: "web", namespace: ["evil"], resourceVersion: "1" } },
            serviceNamed("ports", "typed", "1", "80"),
          ]);
        }
        // Once the mirror exists, sent again on every watch: still reported once.
        const modified = serviceNamed("good", namespace, "2", [{ name: "http", port: "8080" }]);
        return watchOf(broken ? [eventLine("MODIFIED", modified)] : [], { closeAfterMs: 1_100 });
      }
      if (!request.watch) return listOf([goodSlice("1", "10.9.0.1")]);
      const modified = goodSlice("2", "999.0.0.1");
      return watchOf(broken ? [eventLine("MODIFIED", modified)] : [], { closeAfterMs: 1_100 });
    });
    const started = await markServerWrites(west);
    const reflector = start({ sources: [eastSource, malformed.options] });
    try {
      const mirror = await poll(async () => {
        const state = await mirrorOf(host, namespace, "good");
        return state.service && state.endpoints.join() === "10.9.0.1:true" ? state : undefined;
      }, { description: "the valid first version of good mirrored" });
      broken = true;
      await poll(() => reflector.invalidObjects.length >= 5 || undefined, {
        description: "every invalid object reported",
      });
      const reported = reflector.invalidObjects.map((invalid) =>
        `${invalid.resource} ${invalid.object}@${invalid.resourceVersion}: ${
          invalid.problems.map((problem) => problem.path).join(",")
        }`
      ).sort();
      deepStrictEqual(reported, [
        "endpointslices shop/good-abc@2: endpoints[0].addresses[0]",
        'services ["evil"]/web@1: metadata.namespace',
        "services numbers/42@1: metadata.name",
        "services shop/good@2: spec.ports[0].port",
        "services typed/ports@1: spec.ports",
      ]);
      // A watch more sends the same versions again: they are not reported again.
      const watches = () => malformed.requests.filter((request) => request.watch).length;
      const seen = watches();
      await poll(() => watches() >= seen + 2 || undefined, {
        description: "two more watches",
        timeoutMs: 30_000,
      });
      equal(reflector.invalidObjects.length, 5);
      // The mirror kept what it had; no namespace or Service came of the rest.
      const now = await mirrorOf(host, namespace, "good");
      deepStrictEqual(now.service?.spec?.ports?.map((port) => port.port), [80]);
      deepStrictEqual(now.endpoints, ["10.9.0.1:true"]);
      equal(now.service?.metadata?.resourceVersion, mirror.service?.metadata?.resourceVersion);
      deepStrictEqual(await hostNamespaces(host), [namespace]);
      const all = await host.list<Service>(services, {
        labelSelector: "app.kubernetes.io/managed-by=service-reflector",
      });
      deepStrictEqual(
        all.items.map((item) => `${item.metadata?.namespace}/${item.metadata?.name}`),
        [`${namespace}/good`],
      );
      ok(reflector.userAgent);
      const written = await started.writes({ userAgent: reflector.userAgent });
      ok(written.some((write) => ofMirror(write, "good")), "the mirror of good is written");
      // Events of the mirror (below, InvalidSourceObject) are the only others.
      deepStrictEqual(
        written.filter((write) =>
          !ofMirror(write, "good") &&
          !(write.resource === "events" && write.verb === "create" && write.namespace === namespace)
        ).map(describeWrite),
        [],
        "nothing else",
      );
      ok(reflector.failures.length === 0, JSON.stringify(reflector.failures));
      // The mirror says why it no longer follows its source.
      const events = await reportedEvents(host, namespace, "good", "InvalidSourceObject");
      ok(events[0]?.message?.startsWith('Source "malformed" sent '), events[0]?.message);
      const metrics = await reflector.registry.metrics();
      ok(
        metrics.includes(
          'service_reflector_source_invalid_objects_total{source="malformed",resource="services"} 4',
        ),
        metrics,
      );
      await holds(async () => (await hostNamespaces(host)).join() === namespace, {
        description: "no namespace of an invalid object",
        forMs: 1_000,
      });
    } finally {
      await reflector.stop();
    }
  });
});
