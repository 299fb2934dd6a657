/**
 * The manifests under `manifests/` on a real API server: the kustomization
 * builds and applies, its Pod template passes the "restricted" Pod Security
 * Standard and parses with the real flag parser, its ClusterRole and Role
 * grant exactly {@linkcode permissions} (checked with `kubectl auth can-i` as
 * the ServiceAccount), and the Reflector (under leader election) and the
 * Emitter really run as that ServiceAccount through the in-cluster
 * configuration, exercising every permission for real.
 *
 * There is no kubelet, so the Deployment never runs a Pod; the Reflector
 * runs in this process instead, because `main.ts` reads the ServiceAccount
 * files from the fixed kubelet path, which a test cannot provide.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseSourcesFile } from "../lib/cli/_sources_file.ts";
import type { ConfigMap, Event, Pod, PodSpec, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { Deployment } from "kubernetes-types/apps/v1.d.ts";
import type { Lease, LeaseSpec } from "kubernetes-types/coordination/v1.d.ts";
import type { ClusterRole, Role } from "kubernetes-types/rbac/v1.d.ts";
import { parseAllDocuments } from "yaml";
import { type Cluster, createReadyPod, KubectlError, withClusters } from "./cluster/mod.ts";
import { poll } from "./support/poll.ts";
import type { Attempt } from "../lib/controller/controller.ts";
import { parseFlags } from "../lib/cli/flags.ts";
import { Emitter } from "../lib/emitter/emitter.ts";
import { inClusterConfig } from "../lib/kube/config/in_cluster.ts";
import { loadKubeconfig } from "../lib/kube/config/kubeconfig.ts";
import { LeaderElector } from "../lib/kube/leader_election.ts";
import { parseLabelSelector } from "../lib/kube/label_selector.ts";
import type { KubeObject } from "../lib/kube/object.ts";
import type { ResourceType } from "../lib/kube/resource.ts";
import { RestClient } from "../lib/kube/rest.ts";
import { isAlreadyExists, isConflict } from "../lib/kube/status_error.ts";
import { Transport } from "../lib/kube/transport.ts";
import type { Write } from "../lib/reflector/applier.ts";
import { reflectorHarness } from "./support/reflector_harness.ts";

const manifestsDir = fileURLToPath(new URL("../manifests/", import.meta.url));
const installNamespace = "service-reflector";
const serviceAccount = "service-reflector";
const serviceAccountUser = `system:serviceaccount:${installNamespace}:${serviceAccount}`;

/** One rule of the ClusterRole: what service-reflector does in its own cluster, and why. */
interface Permission {
  /** API group; "" is the core group. */
  group: string;
  /** Plural resource name. */
  resource: string;
  /** Whether the resource lives in namespaces (can-i is then asked across all of them). */
  namespaced: boolean;
  /** Granted in this namespace only, by a Role; omitted: cluster-wide, by the ClusterRole. */
  namespace?: string;
  /** Exactly the verbs the code sends. */
  verbs: string[];
  /** Which code sends them. */
  why: string;
}

/**
 * Every request service-reflector sends to its own cluster. The ClusterRole
 * and the Role in `manifests/base/rbac.yaml` must grant exactly these (no more),
 * and the ServiceAccount must be allowed each of them.
 */
const permissions: Permission[] = [
  {
    group: "",
    resource: "services",
    namespaced: true,
    verbs: ["get", "list", "watch", "create", "update", "delete"],
    why: "host informers list+watch; the applier writes mirrors, reads one after AlreadyExists",
  },
  {
    group: "",
    resource: "endpoints",
    namespaced: true,
    verbs: ["get", "list", "watch", "create", "update", "delete"],
    why: "Emitter and Reflector host informers; the applier writes them with --reflector.endpoints",
  },
  {
    group: "discovery.k8s.io",
    resource: "endpointslices",
    namespaced: true,
    verbs: ["get", "list", "watch", "create", "update", "delete"],
    why: "Emitter and Reflector host informers list+watch; the applier writes mirror slices",
  },
  {
    group: "",
    resource: "namespaces",
    namespaced: false,
    verbs: ["list", "watch", "create"],
    why: "the Reflector's namespace informer wakes keys waiting for one; the applier creates it",
  },
  {
    group: "",
    resource: "events",
    namespaced: true,
    verbs: ["create"],
    why: "the Reflector's EventRecorder: NotOwned warnings",
  },
  {
    group: "coordination.k8s.io",
    resource: "leases",
    namespaced: true,
    namespace: installNamespace,
    verbs: ["get", "create", "update"],
    why: "--leader-elect: read the holder, create the Lease once, acquire, renew and release it",
  },
];

/** Requests the ServiceAccount must not be allowed. */
const refused: {
  verb: string;
  resource: string;
  subresource?: string;
  namespaced: boolean;
  namespace?: string;
}[] = [
  { verb: "list", resource: "pods", namespaced: true },
  { verb: "get", resource: "secrets", namespaced: true },
  { verb: "patch", resource: "services", namespaced: true },
  { verb: "create", resource: "deployments.apps", namespaced: true },
  { verb: "list", resource: "nodes", namespaced: false },
  { verb: "delete", resource: "namespaces", namespaced: false },
  { verb: "create", resource: "leases.coordination.k8s.io", namespaced: true },
  {
    verb: "update",
    resource: "leases.coordination.k8s.io",
    namespaced: true,
    namespace: "default",
  },
  {
    verb: "delete",
    resource: "leases.coordination.k8s.io",
    namespaced: true,
    namespace: installNamespace,
  },
  { verb: "update", resource: "services", subresource: "finalizers", namespaced: true },
];

const selfSubjectReviews: ResourceType = {
  group: "authentication.k8s.io",
  version: "v1",
  resource: "selfsubjectreviews",
  kind: "SelfSubjectReview",
  namespaced: false,
};

/** `kubectl auth can-i` as the ServiceAccount: true for "yes", false for "no" (exit 1). */
async function canI(
  cluster: Cluster,
  verb: string,
  resource: string,
  namespaced: boolean,
  subresource?: string,
  namespace?: string,
): Promise<boolean> {
  const args = ["auth", "can-i", verb, resource, `--as=${serviceAccountUser}`];
  if (namespace) args.push("-n", namespace);
  else if (namespaced) args.push("--all-namespaces");
  if (subresource) args.push(`--subresource=${subresource}`);
  try {
    const answer = (await cluster.kubectl(...args)).trim();
    equal(answer, "yes", `kubectl ${args.join(" ")} printed "${answer}"`);
    return true;
  } catch (error) {
    // "no" is exit code 1 with nothing on stderr but, at most, warnings.
    if (
      error instanceof KubectlError && error.code === 1 &&
      !/error/i.test(error.stderr)
    ) {
      return false;
    }
    throw error;
  }
}

/** The objects `kubectl kustomize manifests/` builds, as users apply them. */
async function buildManifests(cluster: Cluster): Promise<Record<string, unknown>[]> {
  const built = await cluster.kubectl("kustomize", manifestsDir);
  return parseAllDocuments(built).map((document) => {
    const errors = document.errors;
    if (errors.length > 0) throw errors[0];
    return document.toJS() as Record<string, unknown>;
  });
}

function find<T>(objects: Record<string, unknown>[], kind: string, name: string): T {
  const found = objects.find((object) =>
    object["kind"] === kind && (object["metadata"] as { name?: string } | undefined)?.name === name
  );
  ok(found, `the kustomization has no ${kind} ${name}`);
  return found as T;
}

/** Kinds and names the kustomization must hold, and nothing else. */
const expectedObjects = [
  "ClusterRole/service-reflector",
  "ClusterRoleBinding/service-reflector",
  "ConfigMap/service-reflector",
  "Deployment/service-reflector",
  "Namespace/service-reflector",
  "Role/service-reflector-leader-election",
  "RoleBinding/service-reflector-leader-election",
  "Service/service-reflector-emitter",
  "Service/service-reflector-metrics",
  "ServiceAccount/service-reflector",
];

const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);

Deno.test("manifests/ installs service-reflector with exactly the permissions it uses", async (t) => {
  await withClusters(["manifests", "manifests-source"], async ([cluster, source]) => {
    if (!cluster || !source) throw new Error("clusters missing");
    const objects = await buildManifests(cluster);

    await t.step("the kustomization builds the expected objects in one namespace", () => {
      const names = objects.map((object) =>
        `${object["kind"]}/${(object["metadata"] as { name: string }).name}`
      ).sort();
      deepStrictEqual(names, expectedObjects);
      for (const object of objects) {
        const metadata = object["metadata"] as { namespace?: string; name: string };
        const expected = clusterScoped.has(object["kind"] as string) ? undefined : installNamespace;
        equal(metadata.namespace, expected, `namespace of ${object["kind"]}/${metadata.name}`);
      }
      const configMap = find<ConfigMap>(objects, "ConfigMap", "service-reflector");
      deepStrictEqual(Object.keys(configMap.data ?? {}), ["SOURCE_API", "sources.yaml"]);
      equal(configMap.data?.["SOURCE_API"], "");
      // The sources file as shipped loads, to no source yet.
      const shipped = parseSourcesFile("sources.yaml", configMap.data?.["sources.yaml"] ?? "");
      deepStrictEqual(shipped, []);
    });

    await t.step("the Deployment's arguments are accepted by the real flag parser", () => {
      const deployment = find<Deployment>(objects, "Deployment", "service-reflector");
      const spec = deployment.spec?.template.spec as PodSpec;
      const container = spec.containers[0];
      ok(container);
      const args = container.args ?? [];
      ok(args.includes("--reflector.source-api=$(SOURCE_API)"), "the original's SOURCE_API arg");
      const fromConfigMap = container.env?.find((variable) => variable.name === "SOURCE_API");
      deepStrictEqual(fromConfigMap?.valueFrom?.configMapKeyRef, {
        name: "service-reflector",
        key: "SOURCE_API",
        optional: true,
      });
      // The kubelet expands $(SOURCE_API) from the ConfigMap's value.
      const expand = (value: string) => args.map((arg) => arg.replaceAll("$(SOURCE_API)", value));
      const pod = (name: string) => name === "KUBERNETES_SERVICE_HOST" ? "10.96.0.1" : "443";
      const idle = parseFlags(expand(""), { env: pod });
      if (idle.kind !== "run") throw new Error(`the Deployment's args exit: ${idle.output}`);
      const config = idle.config;
      equal(config.inCluster, true, "no --kubeconfig: the in-cluster config is used");
      equal(config.reflector.enabled, true);
      deepStrictEqual(config.reflector.sources, [], "an empty SOURCE_API is no sources yet");
      equal(config.emitter.enabled, true);
      equal(deployment.spec?.replicas, 2);
      deepStrictEqual(config.leaderElection, {
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
        name: "service-reflector",
      }, "two replicas elect one Reflector, with a Lease in the Pod's namespace");
      // The sources file is the ConfigMap's key, through a mount of its whole directory
      // (a subPath mount would never be updated).
      const sourcesFile = config.reflector.sourcesFile ?? "";
      const sourcesMount = container.volumeMounts?.find((each) =>
        sourcesFile === `${each.mountPath}/sources.yaml`
      );
      ok(sourcesMount && !sourcesMount.subPath, `${sourcesFile} is mounted as a directory`);
      const sourcesVolume = spec.volumes?.find((volume) => volume.name === sourcesMount.name);
      deepStrictEqual(sourcesVolume?.configMap, {
        name: "service-reflector",
        items: [{ key: "sources.yaml", path: "sources.yaml" }],
      });
      const two = parseFlags(expand("http://10.4.0.10:8080,https://10.5.0.10:6443"), { env: pod });
      if (two.kind !== "run") throw new Error(`the Deployment's args exit: ${two.output}`);
      equal(two.config.reflector.sources.length, 2);

      // Ports, probes and Services agree with what the process listens on.
      const ports: Record<string, number | undefined> = Object.fromEntries(
        (container.ports ?? []).map((port) => [port.name, port.containerPort]),
      );
      deepStrictEqual({ ...ports }, {
        http: config.emitter.insecurePort,
        https: config.emitter.securePort,
        metrics: config.listen.port,
      });
      equal(container.livenessProbe?.httpGet?.path, "/healthz");
      equal(container.livenessProbe?.httpGet?.port, "metrics");
      equal(container.readinessProbe?.httpGet?.path, "/readyz");
      equal(container.readinessProbe?.httpGet?.port, "metrics");
      for (const name of ["service-reflector-emitter", "service-reflector-metrics"]) {
        const service = find<Service>(objects, "Service", name);
        for (const port of service.spec?.ports ?? []) {
          ok(
            typeof port.targetPort === "string" && port.targetPort in ports,
            `${name} port ${port.name} targets a named container port`,
          );
          equal(port.port, ports[port.targetPort as string]);
        }
      }

      // Locked down, with the only writable path a mounted emptyDir.
      equal(spec.serviceAccountName, serviceAccount);
      equal(spec.securityContext?.runAsNonRoot, true);
      equal(spec.securityContext?.runAsUser, 65532);
      equal(spec.securityContext?.seccompProfile?.type, "RuntimeDefault");
      equal(container.securityContext?.readOnlyRootFilesystem, true);
      equal(container.securityContext?.allowPrivilegeEscalation, false);
      deepStrictEqual(container.securityContext?.capabilities?.drop, ["ALL"]);
      ok(container.resources?.requests && container.resources.limits, "requests and limits");
      const certDir = config.emitter.certDir ?? "";
      const mount = container.volumeMounts?.find((each) =>
        certDir === each.mountPath || certDir.startsWith(`${each.mountPath}/`)
      );
      ok(mount, `--emitter.cert-dir=${certDir} is on a mounted volume`);
      ok(spec.volumes?.find((volume) => volume.name === mount.name)?.emptyDir);
    });

    await t.step("a server-side dry run accepts every object, then the real apply", async () => {
      // A server-side dry run creates nothing, so the objects that live in the
      // namespace would be refused for want of it: the Namespace goes first.
      await cluster.kubectlWithInput(
        JSON.stringify(find(objects, "Namespace", installNamespace)),
        "apply",
        "-f",
        "-",
      );
      const dryRun = await cluster.kubectl("apply", "--dry-run=server", "-k", manifestsDir);
      const lines = dryRun.trim().split("\n");
      equal(lines.length, expectedObjects.length, dryRun);
      ok(lines.every((line) => line.endsWith("(server dry run)")), dryRun);
      const installed = async () =>
        (await cluster.kubectl(
          "get",
          "clusterroles,clusterrolebindings,serviceaccounts,configmaps,deployments,services",
          "-n",
          installNamespace,
          "-o",
          "name",
        )).split("\n").filter((line) => line.includes("/service-reflector")).sort();
      deepStrictEqual(await installed(), [], "the dry run created nothing");
      await cluster.kubectl("apply", "-k", manifestsDir);
      deepStrictEqual(await installed(), [
        "clusterrole.rbac.authorization.k8s.io/service-reflector",
        "clusterrolebinding.rbac.authorization.k8s.io/service-reflector",
        "configmap/service-reflector",
        "deployment.apps/service-reflector",
        "service/service-reflector-emitter",
        "service/service-reflector-metrics",
        "serviceaccount/service-reflector",
      ]);
      // Applying again changes nothing.
      const again = await cluster.kubectl("apply", "-k", manifestsDir);
      ok(
        again.trim().split("\n").every((line) => line.endsWith(" unchanged")),
        `a second apply is a no-op: ${again}`,
      );
    });

    await t.step("the Pod template passes the namespace's restricted Pod Security", async () => {
      const deployment = JSON.parse(
        await cluster.kubectl(
          "get",
          "deployment",
          "service-reflector",
          "-n",
          installNamespace,
          "-o",
          "json",
        ),
      ) as Deployment;
      const pod: Pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "pod-security-probe",
          namespace: installNamespace,
          labels: deployment.spec?.template.metadata?.labels ?? {},
        },
        spec: deployment.spec?.template.spec as PodSpec,
      };
      // PodSecurity enforces on Pods only; a violation fails this create.
      await cluster.kubectlWithInput(
        JSON.stringify(pod),
        "create",
        "--dry-run=server",
        "-f",
        "-",
      );
      // And the check is live: a Pod with root and privilege escalation is refused.
      const container = pod.spec?.containers[0];
      ok(container);
      const insecure: Pod = {
        ...pod,
        spec: {
          ...(pod.spec as PodSpec),
          securityContext: {},
          containers: [{ ...container, securityContext: { allowPrivilegeEscalation: true } }],
        },
      };
      const refusedCreate = await cluster.kubectlWithInput(
        JSON.stringify(insecure),
        "create",
        "--dry-run=server",
        "-f",
        "-",
      ).then(() => undefined, (error: unknown) => error);
      ok(
        refusedCreate instanceof KubectlError && /violates PodSecurity/.test(refusedCreate.stderr),
        `an insecure Pod is refused: ${refusedCreate}`,
      );
    });

    await t.step("the ServiceAccount may do every request in the table", async () => {
      for (const permission of permissions) {
        const resource = permission.group
          ? `${permission.resource}.${permission.group}`
          : permission.resource;
        for (const verb of permission.verbs) {
          equal(
            await canI(
              cluster,
              verb,
              resource,
              permission.namespaced,
              undefined,
              permission.namespace,
            ),
            true,
            `${verb} ${resource} (${permission.why})`,
          );
        }
      }
    });

    await t.step("the ServiceAccount may not do what the code never does", async () => {
      for (const { verb, resource, subresource, namespaced, namespace } of refused) {
        const what = `${verb} ${resource}${subresource ? `/${subresource}` : ""}${
          namespace ? ` in ${namespace}` : ""
        }`;
        equal(
          await canI(cluster, verb, resource, namespaced, subresource, namespace),
          false,
          what,
        );
      }
    });

    await t.step("the ClusterRole and the Role grant exactly the table", async () => {
      const grants = (role: ClusterRole | Role) =>
        (role.rules ?? []).flatMap((rule) => {
          equal(rule.resourceNames, undefined);
          equal(rule.nonResourceURLs, undefined);
          return (rule.apiGroups ?? []).flatMap((group) =>
            (rule.resources ?? []).flatMap((resource) =>
              rule.verbs.map((verb) => `${group}/${resource}:${verb}`)
            )
          );
        }).sort();
      const documented = (inNamespace: boolean) =>
        permissions.filter((permission) => (permission.namespace !== undefined) === inNamespace)
          .flatMap(({ group, resource, verbs }) =>
            verbs.map((verb) => `${group}/${resource}:${verb}`)
          ).sort();
      const clusterRole = JSON.parse(
        await cluster.kubectl("get", "clusterrole", "service-reflector", "-o", "json"),
      ) as ClusterRole;
      const role = JSON.parse(
        await cluster.kubectl(
          "get",
          "role",
          "service-reflector-leader-election",
          "-n",
          installNamespace,
          "-o",
          "json",
        ),
      ) as Role;
      deepStrictEqual(grants(clusterRole), documented(false));
      deepStrictEqual(grants(role), documented(true));
      for (const grant of [...grants(clusterRole), ...grants(role)]) {
        ok(!grant.includes("*"), `no wildcards: ${grant}`);
      }
    });

    await t.step(
      "the Reflector and the Emitter run as the ServiceAccount with the in-cluster config",
      async () => {
        await runAsServiceAccount(cluster, source);
      },
    );
  });
});

/** Everything the in-process run observed. */
interface Observed {
  writes: Write[];
  leaseErrors: string[];
  attempts: Attempt[];
  informerErrors: string[];
  upstreamErrors: string[];
}

async function runAsServiceAccount(host: Cluster, source: Cluster): Promise<void> {
  // Source: "shop/web" (exported, with a ready Pod) mirrors into a namespace
  // the host lacks; "billing/api" (exported) collides with a Service the
  // host has and service-reflector does not own; "shop/db" is not exported.
  for (const namespace of ["shop", "billing"]) {
    await source.kubectl("create", "namespace", namespace);
  }
  await applyService(source, "shop", "web", { export: "yes" }, 80);
  await applyService(source, "shop", "db", {}, 5432);
  await applyService(source, "billing", "api", { export: "yes" }, 80);
  await createReadyPod(source, {
    namespace: "shop",
    name: "web-1",
    ips: ["10.1.0.1"],
    labels: { app: "web" },
  });
  await host.kubectl("create", "namespace", "billing");
  await applyService(host, "billing", "api", { team: "local" }, 80);

  // The ServiceAccount's files, as the kubelet projects them into a Pod.
  const token = (
    await host.kubectl("create", "token", serviceAccount, "-n", installNamespace)
  ).trim();
  const serviceAccountDir = await Deno.makeTempDir({ prefix: "service-reflector-sa-" });
  const observed: Observed = {
    writes: [],
    leaseErrors: [],
    attempts: [],
    informerErrors: [],
    upstreamErrors: [],
  };
  const stop = new AbortController();
  const running: Promise<void>[] = [];
  const transports: Transport[] = [];
  try {
    await Deno.writeTextFile(`${serviceAccountDir}/token`, token);
    await Deno.writeTextFile(`${serviceAccountDir}/ca.crt`, host.ca);
    await Deno.writeTextFile(`${serviceAccountDir}/namespace`, installNamespace);
    const env: Record<string, string> = {
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: new URL(host.server).port,
    };
    const inCluster = await inClusterConfig({ serviceAccountDir, env: (name) => env[name] });
    equal(inCluster.namespace, installNamespace);
    const transport = new Transport(inCluster.config);
    transports.push(transport);
    const rest = new RestClient(transport);

    // Who the API server takes the in-cluster config for.
    const review = await rest.create<
      KubeObject & { status?: { userInfo?: { username?: string } } }
    >(
      selfSubjectReviews,
      {},
    );
    equal(review.status?.userInfo?.username, serviceAccountUser);

    const { config: sourceConfig } = await loadKubeconfig({ path: source.kubeconfig });
    const { reflector } = reflectorHarness({
      host: rest,
      sources: [{ name: "source", config: sourceConfig, selector: "export=yes" }],
      // Writes core v1 Endpoints too, so that their write verbs are exercised.
      legacyEndpoints: true,
      observer: {
        onWrite: (write) => observed.writes.push(write),
        onAttempt: (attempt) => observed.attempts.push(attempt),
        onInformerError: ({ error, cluster, phase }) =>
          observed.informerErrors.push(`${cluster} ${phase}: ${String(error)}`),
      },
    });
    const emitter = new Emitter({
      rest,
      selector: parseLabelSelector(""),
      onUpstreamError: (error, resource, phase) =>
        observed.upstreamErrors.push(`${resource} ${phase}: ${String(error)}`),
    });
    // As with --leader-elect in the Deployment: the Reflector runs while holding the Lease.
    const elector = new LeaderElector({
      rest,
      namespace: installNamespace,
      name: "service-reflector",
      identity: "manifests-test",
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 300,
      onError: (error) => observed.leaseErrors.push(String(error)),
    });
    running.push(
      elector.run(stop.signal, { onStartedLeading: (leading) => reflector.run(leading) }),
      emitter.run(stop.signal),
    );
    // Waits for `probe`, but stops at the first refused request, naming it.
    const waitFor = async <T>(description: string, probe: () => Promise<T | undefined>) => {
      const result = await poll(async () => {
        const found = problems(observed);
        if (found.length > 0) return { found };
        const value = await probe();
        return value === undefined ? undefined : { value };
      }, { description, timeoutMs: 30_000 });
      if ("found" in result) {
        throw new Error(
          `Cannot see ${description} as a request failed:\n${result.found.join("\n")}`,
        );
      }
      return result.value;
    };

    // list + watch + create namespaces, create services, endpointslices, endpoints.
    await waitFor("the mirror of shop/web with its endpoints", async () => {
      const state = await mirrorOf(host, "shop", "web");
      return state.service?.metadata?.labels?.["app.kubernetes.io/managed-by"] ===
            "service-reflector" &&
          state.sliceIps.join() === "10.1.0.1" &&
          state.endpointsIps.join() === "10.1.0.1"
        ? state
        : undefined;
    });
    const namespace = JSON.parse(await host.kubectl("get", "namespace", "shop", "-o", "json"));
    equal(namespace.metadata.annotations["service-reflector.squat.ai/reflected"], "true");

    // create events: the unowned same-named Service gets a NotOwned warning.
    const event = await waitFor("the NotOwned event on billing/api", async () => {
      const list = JSON.parse(
        await host.kubectl(
          "get",
          "events",
          "-n",
          "billing",
          "--field-selector",
          "reason=NotOwned",
          "-o",
          "json",
        ),
      ) as { items: Event[] };
      return list.items[0];
    });
    equal(event.involvedObject.name, "api");
    equal(event.reportingComponent, "service-reflector");
    const unowned = JSON.parse(
      await host.kubectl("get", "service", "api", "-n", "billing", "-o", "json"),
    ) as Service;
    equal(unowned.metadata?.labels?.["team"], "local", "the unowned Service is left alone");

    // update: a port change in the source reaches the mirror's Service, slice and Endpoints.
    await applyService(source, "shop", "web", { export: "yes" }, 81);
    await waitFor("the mirror of shop/web on port 81", async () => {
      const state = await mirrorOf(host, "shop", "web");
      return state.service?.spec?.ports?.[0]?.port === 81 && state.slicePorts.join() === "8081" &&
          state.endpointsPorts.join() === "8081"
        ? state
        : undefined;
    });

    // delete: unexporting removes the mirror, its slices and its Endpoints.
    await source.kubectl("label", "service", "web", "-n", "shop", "export-");
    await waitFor("the mirror of shop/web deleted", async () => {
      const state = await mirrorOf(host, "shop", "web");
      return state.service === undefined && state.sliceIps.length === 0 &&
          state.endpointsIps.length === 0
        ? state
        : undefined;
    });

    // list + watch: the Emitter, reading the host as the ServiceAccount, serves its Services.
    await waitFor("the Emitter synced", () => Promise.resolve(emitter.ready ? true : undefined));
    const response = await emitter.handler(
      new Request("http://emitter.invalid/api/v1/namespaces/billing/services"),
    );
    equal(response.status, 200);
    const served = await response.json() as { items: Service[] };
    deepStrictEqual(served.items.map((service) => service.metadata?.name), ["api"]);
    equal(reflector.synced, true);
    equal(elector.isLeader, true);
    equal((await leaseOf(host)).holderIdentity, "manifests-test", "get, create, update leases");
  } finally {
    stop.abort();
    await Promise.all(running);
    for (const transport of transports) transport.close();
    await Deno.remove(serviceAccountDir, { recursive: true });
  }

  equal((await leaseOf(host)).holderIdentity ?? "", "", "the Lease is released on shutdown");
  // Nothing was refused, through the shutdown too: any Forbidden would show up here.
  deepStrictEqual(problems(observed), [], "no request failed");
  ok(
    observed.attempts.some((attempt) =>
      attempt.key === "billing/api" && attempt.outcome.kind === "terminal"
    ),
    "billing/api was refused as unowned",
  );
  // Every write verb of the table was really sent, and allowed.
  const written = [...new Set(observed.writes.map((write) => `${write.resource}:${write.verb}`))]
    .sort();
  deepStrictEqual(written, [
    "endpoints:create",
    "endpoints:delete",
    "endpoints:update",
    "endpointslices:create",
    "endpointslices:delete",
    "endpointslices:update",
    "namespaces:create",
    "services:create",
    "services:delete",
    "services:update",
  ]);
}

/**
 * What went wrong so far: informer failures (a Forbidden list or watch ends
 * up here, as does a refused Event) and failed reconciles (a refused write).
 * The unowned Service's terminal outcome is by design. A 409 (Conflict, or
 * AlreadyExists when a create races the host cache catching up with the
 * Reflector's own previous write) is the optimistic concurrency every write
 * relies on, retried from fresh caches.
 */
async function leaseOf(cluster: Cluster): Promise<LeaseSpec> {
  const lease = JSON.parse(
    await cluster.kubectl(
      "get",
      "lease",
      "service-reflector",
      "-n",
      installNamespace,
      "-o",
      "json",
    ),
  ) as Lease;
  return lease.spec ?? {};
}

function problems(observed: Observed): string[] {
  const failed = observed.attempts.filter((attempt) =>
    (attempt.outcome.kind === "retry" || attempt.outcome.kind === "terminal") &&
    !(attempt.key === "billing/api" && attempt.outcome.kind === "terminal") &&
    !(attempt.outcome.kind === "retry" &&
      (isConflict(attempt.outcome.error) || isAlreadyExists(attempt.outcome.error)))
  );
  return [
    ...observed.leaseErrors.map((error) => `Lease: ${error}`),
    ...observed.informerErrors.map((error) => `Reflector informer: ${error}`),
    ...observed.upstreamErrors.map((error) => `Emitter informer: ${error}`),
    ...failed.map((attempt) =>
      `reconcile ${attempt.key} ${attempt.outcome.kind}: ${
        String("error" in attempt.outcome ? attempt.outcome.error : "")
      }`
    ),
  ];
}

async function applyService(
  cluster: Cluster,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  port: number,
): Promise<void> {
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels },
    spec: { selector: { app: name }, ports: [{ name: "main", port, targetPort: port + 8000 }] },
  };
  await cluster.kubectlWithInput(JSON.stringify(service), "apply", "-f", "-");
}

/** The host's mirror of `namespace/name`, read as admin. */
async function mirrorOf(cluster: Cluster, namespace: string, name: string) {
  const service = await getJson<Service>(cluster, "service", name, namespace);
  const slices = JSON.parse(
    await cluster.kubectl(
      "get",
      "endpointslices.discovery.k8s.io",
      "-n",
      namespace,
      "-l",
      `kubernetes.io/service-name=${name}`,
      "-o",
      "json",
    ),
  ) as { items: EndpointSlice[] };
  const endpoints = await getJson<
    { subsets?: { addresses?: { ip: string }[]; ports?: { port: number }[] }[] }
  >(cluster, "endpoints", name, namespace);
  return {
    service,
    sliceIps: slices.items.flatMap((slice) => slice.endpoints.flatMap((each) => each.addresses))
      .sort(),
    slicePorts: slices.items.flatMap((slice) => (slice.ports ?? []).map((port) => port.port)),
    endpointsIps: (endpoints?.subsets ?? []).flatMap((subset) =>
      (subset.addresses ?? []).map((address) => address.ip)
    ).sort(),
    endpointsPorts: (endpoints?.subsets ?? []).flatMap((subset) =>
      (subset.ports ?? []).map((port) => port.port)
    ),
  };
}

async function getJson<T>(
  cluster: Cluster,
  kind: string,
  name: string,
  namespace: string,
): Promise<T | undefined> {
  const text = await cluster.kubectl(
    "get",
    kind,
    name,
    "-n",
    namespace,
    "--ignore-not-found",
    "-o",
    "json",
  );
  return text.trim() === "" ? undefined : JSON.parse(text) as T;
}
