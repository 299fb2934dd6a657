/**
 * The `mcs` overlay of the manifests (`manifests/mcs/`) on a real API
 * server: it builds, its Deployment runs `--reflector.api=mcs` as the real
 * flag parser reads it, its ClusterRole grants exactly what the code sends
 * in that dialect (the Reflector's host list, plus what the Emitter reads),
 * its CRD kustomization pins the mcs-api version the tests build, and a
 * Reflector running as its ServiceAccount imports a Service and writes the
 * conditions of the host's own export, exercising every permission for
 * real.
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { PodSpec } from "kubernetes-types/core/v1.d.ts";
import type { Deployment } from "kubernetes-types/apps/v1.d.ts";
import type { ClusterRole } from "kubernetes-types/rbac/v1.d.ts";
import { parseAllDocuments } from "yaml";
import { withClusters } from "./cluster/mod.ts";
import { adminConfig, tokenConfig } from "./support/client_configs.ts";
import { exportByHand } from "./support/hand_exported.ts";
import { setServiceExport } from "./support/service_exports.ts";
import { poll } from "./support/poll.ts";
import { startReflector } from "./support/reflector_harness.ts";
import { parseFlags } from "../lib/cli/flags.ts";
import { RestClient } from "../lib/kube/rest.ts";
import { Transport } from "../lib/kube/transport.ts";
import {
  type ServiceExport,
  serviceExports,
  type ServiceImport,
  serviceImports,
} from "../lib/mcs/api.ts";
import { hostPermissions } from "../lib/reflector/host_permissions.ts";

const overlay = fileURLToPath(new URL("../manifests/mcs/", import.meta.url));
const crds = new URL("../manifests/mcs/crds/kustomization.yaml", import.meta.url);
const goMod = new URL("./cluster/go.mod", import.meta.url);

/** `group/resource[/subresource]:verb`, sorted and unique. */
const granted = (
  permissions: { group: string; resource: string; verb: string; subresource?: string }[],
) =>
  [
    ...new Set(permissions.map(({ group, resource, subresource, verb }) =>
      `${group}/${resource}${subresource ? `/${subresource}` : ""}:${verb}`
    )),
  ].sort();

/** What the Emitter reads in its own cluster, in any dialect (served only when the CRD is). */
const emitterReads = ["services", "endpoints", "endpointslices", "serviceexports"].flatMap((
  resource,
) =>
  ["list", "watch"].map((verb) => ({
    group: resource === "endpointslices"
      ? "discovery.k8s.io"
      : resource === "serviceexports"
      ? "multicluster.x-k8s.io"
      : "",
    resource,
    verb,
  }))
);

Deno.test("manifests/mcs installs service-reflector in the mcs dialect with exactly the permissions it uses", async (t) => {
  await withClusters(
    [{ name: "manifests", mcs: true }, { name: "manifests-source", mcs: true }],
    async ([cluster, source]) => {
      if (!cluster || !source) throw new Error("clusters missing");
      const built = parseAllDocuments(await cluster.kubectl("kustomize", overlay))
        .map((document) => document.toJS() as Record<string, unknown>);
      const role = built.find((object) => object["kind"] === "ClusterRole") as ClusterRole;

      await t.step("the Deployment runs the mcs dialect, as the real flag parser reads it", () => {
        const deployment = built.find((object) => object["kind"] === "Deployment") as Deployment;
        const args = (deployment.spec?.template.spec as PodSpec).containers[0]?.args ?? [];
        const env = (name: string) => name === "KUBERNETES_SERVICE_HOST" ? "10.96.0.1" : "443";
        const parsed = parseFlags(args.map((arg) => arg.replaceAll("$(SOURCE_API)", "")), { env });
        if (parsed.kind !== "run") throw new Error(`the Deployment's args exit: ${parsed.output}`);
        equal(parsed.config.reflector.api, "mcs");
      });

      await t.step(
        "the ClusterRole grants exactly the mcs dialect's list and the Emitter's reads",
        () => {
          const needed = hostPermissions({
            api: "mcs",
            legacyEndpoints: false,
            createNamespaces: true,
          });
          const rules = (role.rules ?? []).flatMap((rule) =>
            (rule.apiGroups ?? []).flatMap((group) =>
              (rule.resources ?? []).flatMap((resource) =>
                rule.verbs.map((verb) => `${group}/${resource}:${verb}`)
              )
            )
          ).sort();
          deepStrictEqual(rules, granted([...needed, ...emitterReads]));
        },
      );

      await t.step("the CRDs are pinned at the mcs-api version the tests build", async () => {
        const pinned = (await Deno.readTextFile(goMod)).match(/sigs\.k8s\.io\/mcs-api (v[\d.]+)/)
          ?.[1];
        ok(pinned, "tests/cluster/go.mod requires sigs.k8s.io/mcs-api");
        const urls = [...(await Deno.readTextFile(crds)).matchAll(/^\s+- (https:\S+)$/gm)].map((
          match,
        ) => match[1]);
        equal(urls.length, 2);
        for (const url of urls) ok(url?.includes(`/mcs-api/${pinned}/config/crd/`), url);
      });

      await t.step(
        "a Reflector as the ServiceAccount imports a Service and writes its own export's conditions",
        async () => {
          await cluster.kubectlWithInput(
            built.map((object) => JSON.stringify(object)).join("\n"),
            "apply",
            "--server-side",
            "-f",
            "-",
          );
          const token = (await cluster.kubectl(
            "create",
            "token",
            "service-reflector",
            "-n",
            "service-reflector",
          )).trim();
          for (const each of [cluster, source]) {
            await exportByHand(each, {
              namespace: "shop",
              name: "web",
              ports: { http: 80 },
              addresses: ["10.9.0.1"],
            });
            await setServiceExport(each, { namespace: "shop", name: "web" });
          }
          using hostTransport = new Transport(tokenConfig(cluster, token));
          const host = new RestClient(hostTransport);
          using adminTransport = new Transport(adminConfig(cluster));
          const admin = new RestClient(adminTransport);
          const reflector = startReflector({
            host,
            api: "mcs",
            clusterId: "manifests",
            sources: [
              { name: "manifests", selector: "", config: tokenConfig(cluster, token) },
              { name: "source", selector: "", config: adminConfig(source) },
            ],
          });
          try {
            await poll(async () => {
              const found = await admin.get<ServiceExport>(serviceExports(), "web", {
                namespace: "shop",
              });
              const ready = found.status?.conditions?.find((each) => each.type === "Ready");
              return ready?.status === "True" || undefined;
            }, { description: "the host's export Ready, written as the ServiceAccount" });
            const imported = await admin.get<ServiceImport>(serviceImports(), "web", {
              namespace: "shop",
            });
            deepStrictEqual(imported.status?.clusters?.map((each) => each.cluster), [
              "manifests",
              "source",
            ]);
            const denied = reflector.failures.filter((attempt) =>
              attempt.outcome.kind === "retry" && String(attempt.outcome.error).includes("403")
            );
            deepStrictEqual(denied, [], "no request was refused");
          } finally {
            await reflector.stop();
          }
        },
      );
    },
  );
});
