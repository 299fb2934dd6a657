/**
 * The Emitter in front of a real cluster, read by real clients: kubectl,
 * this project's informer and a client-go informer.
 */
import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import {
  type Cluster,
  createReadyPod,
  goInformerItems,
  startGoInformer,
  withClusters,
} from "../../tests/cluster/mod.ts";
import { clusterBinary } from "../../tests/cluster/binary.ts";
import { type ApiFetcher, type ApiList, fetcherAt, getJson } from "../../tests/support/api_json.ts";
import { holds } from "../../tests/support/holds.ts";
import { adminConfig } from "../../tests/support/client_configs.ts";
import { poll } from "../../tests/support/poll.ts";
import { configFromUrl } from "../kube/config/client_config.ts";
import { Informer } from "../kube/informer.ts";
import { parseLabelSelector } from "../kube/label_selector.ts";
import { services } from "../kube/resource.ts";
import { RestClient } from "../kube/rest.ts";
import { Transport } from "../kube/transport.ts";
import { Emitter } from "./emitter.ts";
import { serveEmitter } from "./servers.ts";
import { tokenAuthenticator } from "./token_auth.ts";
import { freePorts } from "../../tests/cluster/ports.ts";
import { generatePki, withTempDir } from "../../tests/support/kubeconfig_fixtures.ts";
import { type RunningEmitter, runningEmitter } from "../../tests/support/running_emitter.ts";
import { kubectlAt } from "../../tests/support/kubectl_at.ts";

const namespace = "shop";

/** First column of every row of kubectl's table output. */
function names(output: string, column = 0): string[] {
  return output.trim().split("\n").slice(1).map((line) => line.split(/\s+/)[column] ?? "");
}

async function seed(cluster: Cluster): Promise<void> {
  await cluster.kubectl("create", "namespace", namespace);
  const manifest = (name: string, labels: Record<string, string>) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace, labels },
      spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    });
  for (
    const [name, labels] of [
      ["web", { export: "yes", tier: "front" }],
      ["api", { export: "yes", tier: "back" }],
      ["db", { tier: "back" }],
      ["mirror", { export: "yes", "app.kubernetes.io/managed-by": "service-reflector" }],
    ] as const
  ) {
    await cluster.kubectlWithInput(manifest(name, labels), "apply", "-f", "-");
  }
  await createReadyPod(cluster, {
    namespace,
    name: "web-1",
    ips: ["10.1.0.11"],
    labels: { app: "web" },
  });
  await createReadyPod(cluster, {
    namespace,
    name: "db-1",
    ips: ["10.1.0.21"],
    labels: { app: "db" },
  });
}

async function kubectlReads(cluster: Cluster, url: string): Promise<void> {
  const all = await kubectlAt(url, "get", "services", "-A");
  equal(all.code, 0, all.stderr);
  deepStrictEqual(names(all.stdout, 1).sort(), ["api", "web"]);
  ok(all.stdout.startsWith("NAMESPACE   NAME   TYPE        CLUSTER-IP"), all.stdout);

  const slices = await poll(async () => {
    const result = await kubectlAt(url, "get", "endpointslices", "-n", namespace);
    return result.stdout.includes("10.1.0.11") ? result : undefined;
  }, { description: "web's EndpointSlice through the Emitter" });
  ok(
    names(slices.stdout).every((name) => name.startsWith("web-") || name.startsWith("api-")),
    slices.stdout,
  );
  // db's slice exists in the source, so its absence from the Emitter is the filter's doing.
  const slicesPath = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
  const addresses = async (api: ApiFetcher) =>
    (await getJson<ApiList<EndpointSlice>>(api, slicesPath)).items
      .flatMap((slice) => (slice.endpoints ?? []).flatMap((endpoint) => endpoint.addresses));
  await poll(async () => (await addresses(cluster)).includes("10.1.0.21") || undefined, {
    description: "db's EndpointSlice in the source",
  });
  ok((await addresses(fetcherAt(url))).includes("10.1.0.11"), "the probe below sees web's slice");
  await holds(async () => !(await addresses(fetcherAt(url))).includes("10.1.0.21"), {
    description: "db's endpoints staying out of the Emitter",
    forMs: 1_000,
    intervalMs: 100,
  });
  ok(!slices.stdout.includes("10.1.0.21"), "db's endpoints are not exported");

  const front = await kubectlAt(url, "get", "services", "-A", "-l", "tier=front");
  deepStrictEqual(names(front.stdout, 1), ["web"]);
  const byName = await kubectlAt(
    url,
    "get",
    "services",
    "-A",
    "--field-selector",
    "metadata.name=api",
  );
  deepStrictEqual(names(byName.stdout, 1), ["api"]);
  const json = await kubectlAt(url, "get", "service", "web", "-n", namespace, "-o", "json");
  equal((JSON.parse(json.stdout) as Service).metadata?.name, "web");
  const write = await kubectlAt(url, "delete", "service", "web", "-n", namespace);
  ok(write.code !== 0 && write.stderr.includes("MethodNotAllowed"), write.stderr);
}

async function kubectlWatches(cluster: Cluster, url: string): Promise<void> {
  const empty = await Deno.makeTempFile();
  const child = new Deno.Command(await clusterBinary(), {
    args: [
      "kubectl",
      `--kubeconfig=${empty}`,
      `--cache-dir=${empty}.cache`,
      `--server=${url}`,
      "get",
      "services",
      "-n",
      namespace,
      "-w",
      "--output-watch-events",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    let partial = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  const seen = (event: string, name: string) =>
    poll(
      () =>
        lines.some((line) => line.startsWith(event) && line.split(/\s+/)[1] === name) || undefined,
      {
        description: `kubectl -w to print ${event} ${name}`,
      },
    ).catch((error) => {
      throw new Error(`${error.message}; kubectl printed:\n${lines.join("\n")}`, { cause: error });
    });
  try {
    await seen("ADDED", "web");
    await cluster.kubectl("create", "service", "clusterip", "cart", "-n", namespace, "--tcp=80:80");
    await cluster.kubectl("label", "service", "cart", "-n", namespace, "export=yes");
    await seen("ADDED", "cart");
    await cluster.kubectl("annotate", "service", "cart", "-n", namespace, "note=changed");
    await seen("MODIFIED", "cart");
    await cluster.kubectl("delete", "service", "cart", "-n", namespace);
    await seen("DELETED", "cart");
  } finally {
    child.kill();
    await child.status;
    await reading;
    await child.stderr.cancel();
    await Deno.remove(empty);
    await Deno.remove(`${empty}.cache`, { recursive: true }).catch(() => {});
  }
}

async function sameStatusAsApiserver(cluster: Cluster, url: string): Promise<void> {
  const paths = [
    "/api/v1/services?labelSelector=a%20in%20(b",
    "/api/v1/services?labelSelector=%3Dx",
    "/api/v1/services?fieldSelector=spec.type%3DClusterIP",
    "/api/v1/services?fieldSelector=spec.selector%3Dx",
    "/apis/discovery.k8s.io/v1/endpointslices?fieldSelector=spec.type%3DClusterIP",
    "/api/v1/services?resourceVersion=abc",
    "/api/v1/services?resourceVersion=abc&watch=true",
    "/api/v1/services?resourceVersionMatch=Exact",
    "/api/v1/services?limit=abc",
    "/api/v1/services?limit=1&continue=garbage",
    "/api/v1/widgets",
    `/api/v1/namespaces/${namespace}/services/nope`,
    "/apis/discovery.k8s.io/v1/namespaces/shop/widgets",
  ];
  for (const path of paths) {
    const real = await cluster.fetch(path);
    await real.body?.cancel();
    const ours = await fetch(url + path);
    await ours.body?.cancel();
    equal(ours.status, real.status, path);
  }
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    const ours = await fetch(`${url}/api/v1/namespaces/${namespace}/services/web`, {
      method,
      body: "{}",
    });
    equal(ours.status, 405, method);
    await ours.body?.cancel();
  }
}

async function informerAcrossRestart(
  cluster: Cluster,
  first: RunningEmitter,
): Promise<RunningEmitter> {
  const port = Number(new URL(first.url).port);
  using transport = new Transport(configFromUrl(first.url));
  const errors: string[] = [];
  const informer = new Informer<Service>(new RestClient(transport), {
    type: services,
    backoff: { initialMs: 50, maxMs: 500 },
    onError: (error) => errors.push(String(error)),
  });
  const controller = new AbortController();
  const running = informer.run(controller.signal);
  try {
    await informer.synced();
    deepStrictEqual(informer.store.keys().sort(), ["shop/api", "shop/web"]);
    await first.stop();
    await cluster.kubectl("create", "service", "clusterip", "late", "-n", namespace, "--tcp=80:80");
    await cluster.kubectl("label", "service", "late", "-n", namespace, "export=yes");
    const second = await runningEmitter(cluster, { port });
    // The new Emitter's versions start above the old ones: resuming the
    // watch gets 410, and the informer relists.
    await poll(() => informer.store.get("shop/late") ? true : undefined, {
      description: "the informer to see a Service created while the Emitter was down",
    });
    equal(informer.stats.lists, 2);
    ok(errors.some((error) => error.includes("410")), errors.join("\n"));
    return second;
  } finally {
    controller.abort();
    await running;
  }
}

async function goInformerAgrees(cluster: Cluster, url: string, watchList: boolean): Promise<void> {
  await using go = await startGoInformer({
    server: url,
    resources: ["services", "endpointslices"],
    watchList,
  });
  const rest = new RestClient(new Transport(adminConfig(cluster)));
  try {
    for (let index = 0; index < 12; index++) {
      await rest.create<Service>(services, {
        metadata: {
          name: `burst-${watchList}-${index}`,
          namespace,
          labels: { export: index % 3 ? "yes" : "no" },
        },
        spec: { ports: [{ port: 80 }] },
      });
    }
    for (let index = 0; index < 12; index += 2) {
      await rest.patch(services, `burst-${watchList}-${index}`, {
        metadata: { labels: { export: "yes" } },
      }, {
        namespace,
        patchType: "merge",
      });
    }
    for (let index = 0; index < 12; index += 4) {
      await rest.delete(services, `burst-${watchList}-${index}`, { namespace });
    }
    const emitterList = async () =>
      goInformerItems((await getJson<ApiList<Service>>(fetcherAt(url), "/api/v1/services")).items);
    await poll(async () => {
      const expected = JSON.stringify(await emitterList());
      return JSON.stringify(go.snapshot("services")) === expected ? true : undefined;
    }, {
      description: `the client-go informer (watch-list ${watchList}) to equal the Emitter's list`,
    });
    // Exported: 8 of 12 at creation, 2 more relabelled, 3 of those deleted.
    equal(
      (await emitterList()).filter((item) => item.key.includes(`burst-${watchList}`)).length,
      7,
    );
    deepStrictEqual(go.errors(), []);
  } finally {
    rest.transport.close();
  }
}

async function authenticated(cluster: Cluster): Promise<void> {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/tokens`,
      "# reflectors allowed to read\nsecret-one\nsecret-two,reflector,uid-1\n",
    );
    const other = await generatePki(`${dir}/other`);
    const transport = new Transport(adminConfig(cluster));
    const emitter = new Emitter({
      rest: new RestClient(transport),
      selector: parseLabelSelector("export=yes"),
      authenticate: await tokenAuthenticator(`${dir}/tokens`),
    });
    const controller = new AbortController();
    const running = emitter.run(controller.signal);
    const [insecurePort, securePort] = freePorts(2) as [number, number];
    const servers = await serveEmitter(emitter.handler, {
      bindAddress: "127.0.0.1",
      insecurePort,
      securePort,
      certDir: dir,
      clientCa: [cluster.ca],
      signal: controller.signal,
    });
    try {
      await poll(() => emitter.ready || undefined, { description: "the Emitter to sync" });
      const serverCert = await Deno.readTextFile(`${dir}/service-reflector-emitter.crt`);
      await Deno.writeTextFile(`${dir}/emitter.crt`, serverCert);
      // kubectl sends bearer tokens over TLS only; this port also wants a client certificate.
      const tls = [
        `--certificate-authority=${dir}/emitter.crt`,
        `--client-certificate=${cluster.dir}/pki/admin.crt`,
        `--client-key=${cluster.dir}/pki/admin.key`,
      ];
      const url = `https://127.0.0.1:${securePort}`;
      const missing = await kubectlAt(url, ...tls, "get", "services", "-A");
      ok(missing.code !== 0 && missing.stderr.includes("provide credentials"), missing.stderr);
      const wrong = await kubectlAt(url, ...tls, "--token=guess", "get", "services", "-A");
      ok(wrong.code !== 0 && wrong.stderr.includes("provide credentials"), wrong.stderr);
      const right = await kubectlAt(url, ...tls, "--token=secret-two", "get", "services", "-A");
      equal(right.code, 0, right.stderr);
      ok(right.stdout.includes("web"));
      const plain = await fetch(`http://127.0.0.1:${insecurePort}/api/v1/services`, {
        headers: { authorization: "Bearer secret-one" },
      });
      equal(plain.status, 200, "the plain port checks tokens too");
      await plain.body?.cancel();

      const https = `https://127.0.0.1:${securePort}/api/v1/services`;
      const headers = { authorization: "Bearer secret-one" };
      using trusted = Deno.createHttpClient({ caCerts: [serverCert], ...cluster.admin });
      equal((await (await fetch(https, { client: trusted, headers })).json()).kind, "ServiceList");
      using foreign = Deno.createHttpClient({
        caCerts: [serverCert],
        cert: other.cert,
        key: other.key,
      });
      await rejects(
        fetch(https, { client: foreign, headers }),
        "a client certificate from another CA is refused",
      );
      using anonymous = Deno.createHttpClient({ caCerts: [serverCert] });
      await rejects(
        fetch(https, { client: anonymous, headers }),
        "a client without a certificate is refused",
      );
    } finally {
      controller.abort();
      await running;
      await servers.finished;
      transport.close();
    }
  });
}

Deno.test("the Emitter serves a real cluster to kubectl, client-go and lib/kube", async (t) => {
  await withClusters(["emitter-source"], async ([cluster]) => {
    if (!cluster) throw new Error("no cluster");
    await seed(cluster);
    let emitter = await runningEmitter(cluster);
    try {
      await t.step(
        "kubectl lists, gets and selects only exported objects; writes are refused",
        () => kubectlReads(cluster, emitter.url),
      );
      await t.step(
        "kubectl get -w sees an add, an update and a delete",
        () => kubectlWatches(cluster, emitter.url),
      );
      await t.step(
        "bad requests get the same status codes as from kube-apiserver",
        () => sameStatusAsApiserver(cluster, emitter.url),
      );
      await t.step("the lib/kube informer relists after an Emitter restart", async () => {
        emitter = await informerAcrossRestart(cluster, emitter);
      });
      await t.step(
        "with a token file and a client CA, only known tokens and certificates get in",
        () => authenticated(cluster),
      );
      await t.step(
        "a client-go informer's cache equals the Emitter's list after a burst",
        async () => {
          await goInformerAgrees(cluster, emitter.url, false);
          await goInformerAgrees(cluster, emitter.url, true);
        },
      );
    } finally {
      await emitter.stop();
    }
  });
});
