/**
 * Many sources through a sources file: the command (`--emitter=false`,
 * the compiled binary's permissions) reflects twenty Emitters, each
 * exporting one team's Services of one real cluster, into another, and its
 * sources file (laid out as a mounted ConfigMap) changes under it:
 * - time from start until every mirror of the first nineteen sources is
 *   written, and the command's RSS then and at its peak (from `/proc`);
 * - time from the twentieth source's addition (the `..data` swap) to its
 *   first mirror, and to all of them;
 * - host writes during a reload that changes nothing (must be 0);
 * - time from that source's removal to its last mirror gone.
 *
 * @module
 */

import { type Cluster, startCluster } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import { type CommandProcess, startCommand } from "../support/command.ts";
import { configMapDir } from "../support/configmap_dir.ts";
import { delay, poll } from "../support/poll.ts";
import { type RunningEmitter, runningEmitter } from "../support/running_emitter.ts";
import { teamServiceList } from "../support/team_services.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import { sourceKey } from "../../lib/ownership.ts";
import type { BenchCase } from "./report.ts";
import { residentBytes } from "./_process_stats.ts";
import { type HostWatch, watchHost } from "./_host_watch.ts";
import { progressLine } from "./_progress.ts";

/** Options of {@linkcode benchSources}. */
export interface SourcesBenchOptions {
  /** Sources (Emitters, one team each). Defaults to 20. */
  sources?: number;
  /** Services per source, each with one slice of three endpoints. Defaults to 50. */
  perSource?: number;
  /** Stops the benchmark (clusters and processes are still torn down). */
  signal?: AbortSignal;
  /** Progress lines. Defaults to stderr. */
  log?: (line: string) => void;
}

const namespace = "teams";

const listing = (emitters: RunningEmitter[]) =>
  "sources:\n" +
  emitters.map((emitter, index) => `  - {name: s${index + 1}, url: "${emitter.url}"}\n`).join("");

/** The host's mirrors as watched, counted by source. */
function mirrorsBySource(watched: HostWatch): Map<string, number> {
  const counts = new Map<string, number>();
  for (const service of watched.mirrors()) {
    const source = service.metadata?.labels?.[sourceKey] ?? "";
    counts.set(source, (counts.get(source) ?? 0) + 1);
  }
  return counts;
}

/** Runs the benchmark on fresh clusters and returns its cases. */
/** The command's write count, once two readings a second apart agree. */
async function settledWrites(command: CommandProcess, signal?: AbortSignal): Promise<number> {
  let last = await command.metric("service_reflector_writes_total") ?? 0;
  for (let reading = 0; reading < 30; reading++) {
    await delay(1_000, signal);
    const now = await command.metric("service_reflector_writes_total") ?? 0;
    if (now === last) return now;
    last = now;
  }
  throw new Error(`The command's writes did not settle within 30 s (last count ${last})`);
}

export async function benchSources(options: SourcesBenchOptions = {}): Promise<BenchCase[]> {
  const { sources = 20, perSource = 50, signal } = options;
  const log = options.log ?? progressLine;
  const start = (name: string) => startCluster({ name, ...(signal ? { signal } : {}) });
  const [source, host] = await Promise.all([start("many-source"), start("many-host")]) as [
    Cluster,
    Cluster,
  ];
  const emitters: RunningEmitter[] = [];
  using transport = new Transport(adminConfig(host));
  const rest = new RestClient(transport);
  // The checks read the watched host, so they cost the host nothing and can run often.
  const waitFor = (description: string, check: () => boolean) =>
    poll(() => check() || undefined, {
      description,
      timeoutMs: 300_000,
      intervalMs: 50,
      ...(signal ? { signal } : {}),
    });
  try {
    await source.kubectl("create", "namespace", namespace);
    for (let team = 1; team <= sources; team++) {
      await source.kubectlWithInput(
        teamServiceList({ namespace, teams: [team], perTeam: perSource, endpoints: 3 }),
        "apply",
        "-f",
        "-",
      );
      emitters.push(await runningEmitter(source, { selector: `team=t${team}` }));
    }
    log(`${sources} Emitters of ${perSource} Services each`);
    await using mounted = await configMapDir({ "sources.yaml": listing(emitters.slice(0, -1)) });
    await using watched = watchHost(rest, namespace);
    const started = performance.now();
    await using command = await startCommand([
      `--kubeconfig=${host.kubeconfig}`,
      "--emitter=false",
      "--reflector.selector=export=yes",
      `--reflector.sources-file=${mounted.path("sources.yaml")}`,
      // Measured without the grace: from the removal to the mirrors gone.
      "--reflector.remove-grace=",
    ]);
    const first = (sources - 1) * perSource;
    await waitFor(`${first} mirrors`, () => {
      const counts = mirrorsBySource(watched);
      return [...counts.values()].reduce((sum, count) => sum + count, 0) >= first;
    });
    const convergedMs = performance.now() - started;
    const rss = await residentBytes(command.child.pid);
    log(`${first} mirrors from ${sources - 1} sources in ${convergedMs.toFixed(0)} ms`);

    const last = `s${sources}`;
    const added = performance.now();
    await mounted.update({ "sources.yaml": listing(emitters) });
    await waitFor(
      "the added source's first mirror",
      () => (mirrorsBySource(watched).get(last) ?? 0) > 0,
    );
    const firstMirrorMs = performance.now() - added;
    await waitFor(
      "the added source's mirrors",
      () => mirrorsBySource(watched).get(last) === perSource,
    );
    const allMirrorsMs = performance.now() - added;

    // Its last mirrors' slices may still be in flight once their Services are seen: the
    // no-op window opens once the write count held still for a second.
    const writes = await settledWrites(command, signal);
    await mounted.update({ "sources.yaml": `# the same sources\n${listing(emitters)}` });
    await delay(3_000, signal);
    const noOpWrites = (await command.metric("service_reflector_writes_total") ?? 0) - writes;

    const removed = performance.now();
    await mounted.update({ "sources.yaml": listing(emitters.slice(0, -1)) });
    await waitFor(
      "the removed source's mirrors gone",
      () => !mirrorsBySource(watched).has(last),
    );
    const removedMs = performance.now() - removed;
    const peak = await residentBytes(command.child.pid, "VmHWM");
    return [
      {
        name: `${first} Services from ${sources - 1} sources, start to every mirror`,
        unit: "ms",
        samples: [convergedMs],
      },
      {
        name: `RSS with ${first} mirrors from ${sources - 1} sources`,
        unit: "MiB",
        samples: [rss / 2 ** 20],
      },
      { name: "peak RSS (VmHWM) over the run", unit: "MiB", samples: [peak / 2 ** 20] },
      {
        name: "source added to the file, to its first mirror",
        unit: "ms",
        samples: [firstMirrorMs],
      },
      {
        name: `source added to the file, to all its ${perSource} mirrors`,
        unit: "ms",
        samples: [allMirrorsMs],
      },
      {
        name: "host writes during a reload that changes nothing",
        unit: "writes",
        samples: [noOpWrites],
      },
      {
        name: "source removed from the file, to its mirrors gone",
        unit: "ms",
        samples: [removedMs],
      },
    ];
  } finally {
    for (const emitter of emitters) await emitter.stop();
    await Promise.all([source.stop(), host.stop()]);
  }
}
