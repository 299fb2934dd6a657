/**
 * Many sources through a sources file: the command (`--emitter=false`,
 * the compiled binary's permissions) reflects twenty Emitters, each
 * exporting one team's Services of one real cluster, into another, and its
 * sources file (laid out as a mounted ConfigMap) changes under it:
 * - time from start until every mirror of the first nineteen sources is
 *   written, and the command's RSS then and at its peak (from `/proc`);
 * - time from the twentieth source's addition (the `..data` swap) to its
 *   first mirror, and to all of them;
 * - host writes during a reload that changes nothing (must be 0), counted
 *   at the host's apiserver (its audit log) by the command's user agent,
 *   Events included; the reload must be seen to happen (logged once, shown
 *   live on `/readyz?verbose`, its metrics read and present);
 * - time from that source's removal to its last mirror gone.
 *
 * @module
 */

import { type Cluster, startCluster } from "../cluster/mod.ts";
import { adminConfig } from "../support/client_configs.ts";
import {
  type CommandProcess,
  commandUserAgent,
  requiredMetric,
  startCommand,
} from "../support/command.ts";
import { configMapDir } from "../support/configmap_dir.ts";
import { delay, poll } from "../support/poll.ts";
import { untilServerQuiet } from "../support/server_quiet.ts";
import { describeWrite, markServerWrites } from "../support/server_writes.ts";
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

/** How many times the command logged that it applied a new text of its sources file. */
function reloadsLogged(command: CommandProcess): number {
  return command.logs().split("\n").filter((line) => {
    if (!line.startsWith("{")) return false;
    return (JSON.parse(line) as { msg?: string }).msg === "sources file reloaded";
  }).length;
}

/** `/readyz?verbose`'s sources-file line: how many sources, loaded how many seconds ago. */
async function loadedSources(command: CommandProcess): Promise<{ count: number; agoS: number }> {
  const text = await (await fetch(`http://127.0.0.1:${command.listen}/readyz?verbose`)).text();
  const found = /^\[i\]sources-file: (\d+) sources loaded (\d+)s ago/m.exec(text);
  if (!found) throw new Error(`/readyz?verbose shows no loaded sources file:\n${text}`);
  return { count: Number(found[1]), agoS: Number(found[2]) };
}

/** The no-op reload was not seen to happen, so its zero writes would prove nothing. */
class ReloadNotSeenError extends Error {
  constructor(what: string, options?: ErrorOptions) {
    super(
      `Cannot count the writes of a no-op reload as it was not seen to happen: ${what}`,
      options,
    );
    this.name = "ReloadNotSeenError";
  }
}

/** Runs the benchmark on fresh clusters and returns its cases. */
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
    const startedWrites = await markServerWrites(host);
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

    // The command's writes are told by its user agent: they must be found, or none found
    // later would prove nothing.
    const mirrorWrites = (await startedWrites.writes({ userAgent: commandUserAgent })).length;
    if (mirrorWrites < sources * perSource) {
      throw new Error(
        `Cannot tell the command's writes: ${mirrorWrites} logged for ${
          sources * perSource
        } mirrors`,
      );
    }
    // Its last mirrors' slices may still be in flight once their Services are seen: the
    // no-op window opens once the host received none of its writes for a second.
    await untilServerQuiet(host, {
      description: "the command",
      userAgent: commandUserAgent,
      forMs: 1_000,
      timeoutMs: 30_000,
      ...(signal ? { signal } : {}),
    });
    const reloadErrors = "service_reflector_config_reload_errors_total";
    const reloadSuccessful = "service_reflector_config_last_reload_successful";
    const errorsBefore = await requiredMetric(command, reloadErrors);
    const reloadsBefore = reloadsLogged(command);
    const noOp = await markServerWrites(host);
    const swapped = performance.now();
    await mounted.update({ "sources.yaml": `# the same sources\n${listing(emitters)}` });
    await poll(() => reloadsLogged(command) > reloadsBefore || undefined, {
      description: "the same sources reloaded",
      timeoutMs: 30_000,
      ...(signal ? { signal } : {}),
    }).catch((cause) => {
      throw new ReloadNotSeenError("no reload logged within 30 s", { cause });
    });
    await delay(3_000, signal);
    const reloads = reloadsLogged(command) - reloadsBefore;
    if (reloads !== 1) throw new ReloadNotSeenError(`${reloads} reloads logged, not 1`);
    if (await requiredMetric(command, reloadSuccessful) !== 1) {
      throw new ReloadNotSeenError(`${reloadSuccessful} is not 1`);
    }
    if (await requiredMetric(command, reloadErrors) !== errorsBefore) {
      throw new ReloadNotSeenError(`${reloadErrors} moved`);
    }
    const live = await loadedSources(command);
    if (live.count !== sources || live.agoS > (performance.now() - swapped) / 1000) {
      throw new ReloadNotSeenError(
        `/readyz?verbose shows ${live.count} sources loaded ${live.agoS}s ago`,
      );
    }
    const noOpWritten = await noOp.writes({ userAgent: commandUserAgent });
    if (noOpWritten.length > 0) {
      log(`writes of the no-op reload: ${noOpWritten.slice(0, 10).map(describeWrite).join("; ")}`);
    }
    const noOpWrites = noOpWritten.length;

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
