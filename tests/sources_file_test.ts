/**
 * `--reflector.sources-file` end to end: two replicas of the command under
 * leader election, between real clusters ("east" and "north" the sources,
 * "host"), read a sources file laid out as a mounted ConfigMap and follow
 * its updates (the kubelet's `..data` swap): a source added is mirrored, a
 * changed selector restarts that source only, a reload that changes nothing
 * writes nothing, a file that does not load changes nothing and is
 * reported, a source removed takes its mirrors away and leaves the other's
 * untouched, and only the leader ever writes. Writes are counted at the
 * host's apiserver (its audit log), by user: each replica runs as an admin
 * ServiceAccount of its own. And a
 * source of the file reaches an Emitter (the command's own) over HTTPS with
 * the CA and token files beside the sources file.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { withClusters } from "./cluster/mod.ts";
import { converged, guardUnowned, type SourceView } from "./faults/invariant.ts";
import { noteConvergence } from "./faults/convergence_log.ts";
import { type AdminAccount, adminAccount } from "./support/admin_account.ts";
import { adminConfig } from "./support/client_configs.ts";
import { adminViews } from "./support/source_views.ts";
import { type CommandProcess, leaderIndex, startCommand } from "./support/command.ts";
import { configMapDir } from "./support/configmap_dir.ts";
import { exportByHand, exportOneEach } from "./support/hand_exported.ts";
import { delay, poll } from "./support/poll.ts";
import { describeWrite, markServerWrites, type WritesMark } from "./support/server_writes.ts";
import { freePorts } from "./cluster/ports.ts";
import { endpointSlices, services } from "../lib/kube/resource.ts";
import { RestClient } from "../lib/kube/rest.ts";
import { Transport } from "../lib/kube/transport.ts";
import { isReflected } from "../lib/ownership.ts";

const namespace = "shop";
const selector = "export=yes";

const listing = (sources: Record<string, string>) =>
  "sources:\n" +
  Object.entries(sources).map(([name, kubeconfig]) =>
    `  - {name: ${name}, kubeconfig: ${kubeconfig}}\n`
  )
    .join("");

/** The resource versions of the host's mirror Services and slices of source `name`'s keys. */
async function mirrorVersions(host: RestClient, names: string[]): Promise<string[]> {
  const { items: mirrors } = await host.list<Service>(services, { namespace });
  const { items: slices } = await host.list<EndpointSlice>(endpointSlices, { namespace });
  return [...mirrors, ...slices]
    .filter((object) => isReflected(object))
    .filter((object) =>
      names.some((name) =>
        object.metadata?.name === name ||
        object.metadata?.labels?.["kubernetes.io/service-name"] === name
      )
    )
    .map((object) =>
      `${object.kind ?? ""}/${object.metadata?.name}@${object.metadata?.resourceVersion}`
    )
    .sort();
}

async function verbose(command: CommandProcess): Promise<string> {
  return await (await fetch(`http://127.0.0.1:${command.listen}/readyz?verbose`)).text();
}

Deno.test("two replicas follow a ConfigMap-mounted sources file: add, no-op, invalid, remove; only the leader writes", async () => {
  await withClusters(["sf-east", "sf-north", "sf-host"], async ([east, north, host]) => {
    if (!east || !north || !host) throw new Error("clusters missing");
    await exportOneEach({ east, north }, namespace);
    using hostTransport = new Transport(adminConfig(host));
    using sources = adminViews({ east, north }, selector);
    const rest = new RestClient(hostTransport);
    const guard = await guardUnowned(rest);
    const [eastView, northView] = sources.views as [SourceView, SourceView];
    await using mounted = await configMapDir({ "sources.yaml": "sources: [{name: east}]\n" });
    const sourcesFile = `--reflector.sources-file=${mounted.path("sources.yaml")}`;
    const replica = (kubeconfig = host.kubeconfig) => {
      const [emitterPort] = freePorts(1) as [number];
      return startCommand([
        `--kubeconfig=${kubeconfig}`,
        "--emitter.bind-address=127.0.0.1",
        `--emitter.insecure-port=${emitterPort}`,
        "--emitter.secure-port=0",
        `--reflector.selector=${selector}`,
        sourcesFile,
        // A source removed goes at once: this test checks what goes, the fault suite the grace.
        "--reflector.remove-grace=",
        "--leader-elect",
        "--leader-elect-lease-duration=30s",
        "--leader-elect-renew-deadline=3s",
        "--leader-elect-retry-period=500ms",
        "--leader-elect-resource-namespace=default",
      ]);
    };

    // A file that does not load stops start-up, naming the flag.
    await using refused = await replica();
    equal((await refused.child.status).code, 2);
    ok(refused.logs().includes("--reflector.sources-file"), refused.logs());
    ok(refused.logs().includes("must have exactly one of url and kubeconfig"), refused.logs());

    await mounted.update({ "sources.yaml": listing({ east: east.kubeconfig }) });
    const accounts = [
      await adminAccount(host, "replica-1"),
      await adminAccount(host, "replica-2"),
    ] as const;
    const started = await markServerWrites(host);
    await using first = await replica(accounts[0].kubeconfig);
    await using second = await replica(accounts[1].kubeconfig);
    const replicas = [first, second];
    for (const each of replicas) await each.ready();
    const leading = await leaderIndex(replicas);
    const leader = replicas[leading] as CommandProcess;
    const standby = replicas[1 - leading] as CommandProcess;
    const leaderUser = (accounts[leading] as AdminAccount).username;
    const standbyUser = (accounts[1 - leading] as AdminAccount).username;
    /** What `username` wrote since `mark`, as the host's apiserver received it, but its Lease. */
    const writtenBy = async (username: string, mark: WritesMark) =>
      (await mark.writes({ username, exceptResources: ["leases"] })).map(describeWrite);
    await converged(rest, [eastView]);
    ok((await writtenBy(leaderUser, started)).length > 0, "the leader's writes are told apart");

    // Added: north's Services are mirrored, counted from the swap.
    const swapped = performance.now();
    await mounted.update({
      "sources.yaml": listing({ east: east.kubeconfig, north: north.kubeconfig }),
    });
    await poll(
      () =>
        host.kubectl("get", "service", "from-north", "-n", namespace, "-o", "name").catch(() =>
          undefined
        ),
      { description: "north's first mirror" },
    );
    await noteConvergence(
      "sources file: a source added, to its first mirror",
      performance.now() - swapped,
    );
    await converged(rest, [eastView, northView]);

    // A selector changed restarts that source alone: north's mirror goes, east's is not written.
    const eastVersions = await mirrorVersions(rest, ["from-east"]);
    await mounted.update({
      "sources.yaml": listing({ east: east.kubeconfig }) +
        `  - {name: north, kubeconfig: ${north.kubeconfig}, selector: "export=yes,tier=none"}\n`,
    });
    await converged(rest, [eastView, { ...northView, selector: "export=yes,tier=none" }]);
    deepStrictEqual(await mirrorVersions(rest, ["from-east"]), eastVersions, "east untouched");
    await mounted.update({
      "sources.yaml": listing({ east: east.kubeconfig, north: north.kubeconfig }),
    });
    await converged(rest, [eastView, northView]);

    // A new version whose sources are the same writes nothing, not even an Event (the
    // leader's Lease renewals go on: they are its election's, not the reload's).
    const reloaded = await markServerWrites(host);
    const versions = await mirrorVersions(rest, ["from-east", "from-north"]);
    await mounted.update({
      "sources.yaml": `# reordered, same sources\n${
        listing({ north: north.kubeconfig, east: east.kubeconfig })
      }`,
    });
    await poll(
      async () =>
        (await verbose(leader)).includes("[i]sources-file: 2 sources loaded 0s ago") || undefined,
      {
        description: "the same sources reloaded",
      },
    );
    await delay(1_000);
    deepStrictEqual(await writtenBy(leaderUser, reloaded), [], "a no-op reload writes nothing");
    deepStrictEqual(await mirrorVersions(rest, ["from-east", "from-north"]), versions);

    // A file that does not load changes nothing, and says so on both replicas.
    await mounted.update({ "sources.yaml": "sources: [{name: east, url: 'ftp://east'}]\n" });
    for (const each of replicas) {
      await poll(
        async () =>
          (await each.metric("service_reflector_config_reload_errors_total")) === 1 || undefined,
        {
          description: "the reload error counted",
        },
      );
      equal(await each.metric("service_reflector_config_last_reload_successful"), 0);
    }
    const line = (await verbose(leader)).split("\n").find((each) =>
      each.startsWith("[i]sources-file: ")
    );
    ok(
      line?.includes("reload failed") &&
        line.includes("the last good configuration runs (2 sources"),
      line,
    );
    ok(line?.includes("sources[0].url cannot be used as its scheme must be http or https"), line);
    await converged(rest, [eastView, northView]);
    deepStrictEqual(
      await mirrorVersions(rest, ["from-east", "from-north"]),
      versions,
      "nothing deleted",
    );

    // Removed: east's mirrors go, north's are not written.
    const northVersions = await mirrorVersions(rest, ["from-north"]);
    await mounted.update({ "sources.yaml": listing({ north: north.kubeconfig }) });
    await converged(rest, [northView]);
    deepStrictEqual(await mirrorVersions(rest, ["from-north"]), northVersions, "north untouched");
    equal(await leader.metric("service_reflector_config_last_reload_successful"), 1);
    const states = (await verbose(leader)).split("\n").filter((each) =>
      each.startsWith("[i]source ")
    );
    deepStrictEqual(states.map((each) => each.split(":")[0]), ["[i]source north"]);
    ok((await verbose(standby)).includes("[i]source north: not read by this replica (standby)"));

    deepStrictEqual(await writtenBy(standbyUser, started), [], "the standby wrote nothing");
    const standbyLease = await started.writes({ username: standbyUser, resources: ["leases"] });
    ok(
      standbyLease.every((write) => write.code >= 400),
      `the standby never took the Lease: ${standbyLease.map(describeWrite).join("; ")}`,
    );
    await guard.untouched();
  });
});

Deno.test("a sources-file source reaches an Emitter over HTTPS with its CA file and token file", async () => {
  await withClusters(["tls-source", "tls-host"], async ([source, host]) => {
    if (!source || !host) throw new Error("clusters missing");
    await exportByHand(source, {
      namespace,
      name: "web",
      ports: { http: 80 },
      addresses: ["10.3.0.1"],
    });
    using hostTransport = new Transport(adminConfig(host));
    using sources = adminViews({ tls: source }, selector);
    const rest = new RestClient(hostTransport);
    const guard = await guardUnowned(rest);
    const secrets = await Deno.makeTempDir({ prefix: "emitter-" });
    try {
      await Deno.writeTextFile(`${secrets}/tokens`, "s3cret\n");
      const [securePort] = freePorts(1) as [number];
      await using emitter = await startCommand([
        `--kubeconfig=${source.kubeconfig}`,
        "--reflector=false",
        "--emitter.bind-address=127.0.0.1",
        "--emitter.insecure-port=0",
        `--emitter.secure-port=${securePort}`,
        `--emitter.cert-dir=${secrets}`,
        `--emitter.token-file=${secrets}/tokens`,
      ]);
      await emitter.ready();
      const ca = await Deno.readTextFile(`${secrets}/service-reflector-emitter.crt`);
      using client = Deno.createHttpClient({ caCerts: [ca] });
      const anonymous = await fetch(`https://127.0.0.1:${securePort}/api/v1/services`, { client });
      await anonymous.body?.cancel();
      equal(anonymous.status, 401, "the Emitter wants the token");

      await using mounted = await configMapDir({
        "sources.yaml":
          `sources: [{name: tls, url: "https://127.0.0.1:${securePort}", caFile: ca.crt, tokenFile: token}]\n`,
        "ca.crt": ca,
        token: "s3cret\n",
      });
      await using reflector = await startCommand([
        `--kubeconfig=${host.kubeconfig}`,
        "--emitter=false",
        `--reflector.selector=${selector}`,
        `--reflector.sources-file=${mounted.path("sources.yaml")}`,
      ]);
      await reflector.ready();
      await converged(rest, sources.views);
      ok((await verbose(reflector)).includes(`[i]source tls: up, `));
      await guard.untouched();
    } finally {
      await Deno.remove(secrets, { recursive: true });
    }
  });
});
