/**
 * The Reflector's stage: without `--leader-elect`, one Reflector running
 * until the stage's signal aborts; with it, the campaign loop of
 * `_leader.ts`, which runs a new Reflector for each term this replica leads.
 *
 * Health it adds: `/readyz` gets `reflector` (the host caches synced; on a
 * standby, always passing, since a standby's readiness must not depend on
 * another replica's Reflector), and under election `/healthz` gets
 * `leader-election` (failing when the leader's renewals are overdue).
 *
 * The Lease is released inside the elector only after the term's Reflector
 * stopped, so two Reflectors never write at once. Starting never fails
 * half-way: everything runs in the returned task.
 *
 * Host permissions: at start-up, every permission the settings need in the
 * host (`host_permissions.ts`) is checked once with access reviews, and
 * each one missing is a warning in the log (not fatal: RBAC may be granted
 * later). While the Reflector runs, each kind of write the host refuses
 * with 401 or 403 is a `/readyz?verbose` line `host-write <verb>
 * <resource>` until a write of that kind is accepted again, and each
 * change of that is logged once.
 *
 * Under `--reflector.sources-file`, every replica keeps the file live (a
 * standby too, so that a term starts with the sources as they are now):
 * each list a reload loads is handed to the running Reflector, if any, and
 * the `/readyz?verbose` line `sources-file` tells the last reload.
 *
 * @module
 */

import type { Registry } from "prom-client";
import type { Logger } from "../log/logger.ts";
import { idleGauges, reflectorMetrics } from "../reflector/metrics.ts";
import { DeniedWrites, describeDenial } from "../reflector/denied_writes.ts";
import { hostPermissions, reviewHostPermissions } from "../reflector/host_permissions.ts";
import type { Reflector } from "../reflector/reflector.ts";
import { leaderMetrics, runWhileLeading } from "./_leader.ts";
import type { ReflectorSetup } from "./_load_setup.ts";
import { commandReflector } from "./_reflector.ts";
import type { ReflectorSettings } from "./_reflector_settings.ts";
import type { Started } from "./_started.ts";
import { describeSource } from "./_source_state.ts";
import type { HealthInfo } from "./listen_server.ts";
import { realClock } from "../clock.ts";
import type { SourceConfig } from "../reflector/source_config.ts";

/**
 * How long the keys in hand may finish their writes once a clean shutdown
 * began: well inside the command's shutdown bound (15 s, `main.ts`), and,
 * with leader election, inside the Lease's duration after its last renewal
 * (at most a retry period ago), so a leader never writes once another may
 * have taken over.
 */
export function reflectorDrainMs(
  election?: { retryPeriodMs: number; leaseDurationMs: number },
): number {
  const bound = 5_000;
  return election ? Math.min(bound, election.leaseDurationMs - election.retryPeriodMs) : bound;
}

/** Options of {@linkcode startReflector}. */
export interface StartReflectorOptions {
  /** What the flags decide for the Reflector (`_reflector_settings.ts`). */
  settings: ReflectorSettings;
  /** Where the Reflector's (and the leader's) metrics are registered, once per registry. */
  registry: Registry;
  /** Logs go to its `reflector` and `leader-election` children. */
  logger: Logger;
  /** Aborting stops the Reflector (and campaigning, releasing a held Lease). */
  signal: AbortSignal;
}

/** Starts the Reflector, or campaigning for the Lease that runs it. */
export function startReflector(setup: ReflectorSetup, options: StartReflectorOptions): Started {
  const terms = reflectorTerms(setup, options);
  const reloading = [...keepSourcesFile(setup, terms, options), checkPermissions(setup, options)];
  if (!setup.election) {
    return {
      tasks: [terms.run(options.signal), ...reloading],
      ready: [{
        name: "reflector",
        check: () => terms.current?.hostSynced ? undefined : "host caches not synced",
      }],
      readyInfo: () => readyLines(setup, terms),
    };
  }
  const { elector, retryPeriodMs } = setup.election;
  leaderMetrics(options.registry, elector);
  const campaign = runWhileLeading({
    elector,
    lead: terms.run,
    signal: options.signal,
    logger: options.logger.child({ component: "leader-election" }),
    pauseMs: retryPeriodMs,
  });
  return {
    tasks: [campaign, ...reloading],
    live: [{
      name: "leader-election",
      check: () =>
        elector.healthy()
          ? undefined
          : "leading, but the Lease was last renewed more than the lease duration + 20 s ago",
    }],
    ready: [{
      name: "reflector",
      check: () =>
        !elector.isLeader || terms.current?.hostSynced
          ? undefined
          : "leading, host caches not synced",
    }],
    readyInfo: () => readyLines(setup, terms),
  };
}

/** The task keeping the sources file live, if there is one. */
function keepSourcesFile(
  setup: ReflectorSetup,
  terms: ReflectorTerms,
  options: StartReflectorOptions,
): Promise<void>[] {
  const { sourcesFile } = setup;
  if (!sourcesFile) return [];
  const log = options.logger.child({ component: "reflector" });
  return [sourcesFile.run({
    signal: options.signal,
    logger: options.logger,
    registry: options.registry,
    apply: (sources) => {
      const changes = terms.current?.updateSources(sources);
      if (changes) log.info("sources updated", { ...changes });
    },
  })];
}

/**
 * Checks once that the host grants every permission the settings need
 * (see the module doc), warning of each one missing. Never rejects: a
 * review that fails is a warning too.
 */
async function checkPermissions(
  setup: ReflectorSetup,
  options: StartReflectorOptions,
): Promise<void> {
  const log = options.logger.child({ component: "reflector" });
  const { namespace, legacyEndpoints, createNamespaces, api } = options.settings;
  const permissions = hostPermissions({
    ...(api ? { api } : {}),
    ...(namespace ? { namespace } : {}),
    legacyEndpoints,
    createNamespaces,
    ...(setup.election ? { leaseNamespace: setup.election.elector.namespace } : {}),
  });
  try {
    const reviewed = await reviewHostPermissions(setup.host, permissions, {
      signal: options.signal,
    });
    const missing = reviewed.filter(({ decision }) => !decision.allowed);
    for (const { permission: { verb, group, resource, namespace, why } } of missing) {
      log.warn(
        "the host does not grant a permission the configuration needs: its requests fail until it is granted",
        { verb, resource, ...(group ? { group } : {}), ...(namespace ? { namespace } : {}), why },
      );
    }
    log.info("host permissions checked", { checked: reviewed.length, missing: missing.length });
  } catch (error) {
    if (options.signal.aborted) return;
    log.warn("cannot check the host permissions the configuration needs", { error });
  }
}

/**
 * The informational `/readyz?verbose` lines: the sources file's state,
 * then one line per source, its state in the running Reflector (a removed
 * source inside its grace included), then one per kind of host write the
 * host refuses.
 */
function readyLines(setup: ReflectorSetup, terms: ReflectorTerms): HealthInfo[] {
  const now = realClock.now();
  const { sourcesFile } = setup;
  const file = sourcesFile
    ? [{ name: "sources-file", describe: () => sourcesFile.describe(now) }]
    : [];
  const { current } = terms;
  const sources = current
    ? current.sourceStates.map((state) => ({
      name: `source ${state.name}`,
      describe: () => describeSource(state, now),
    }))
    : terms.sources().map(({ name }) => ({
      name: `source ${name}`,
      describe: () => "not read by this replica (standby)",
    }));
  const denied = terms.denied.denials.map((denial) => ({
    name: `host-write ${denial.verb} ${denial.resource}`,
    describe: () => describeDenial(denial, now),
  }));
  return [...file, ...sources, ...denied];
}

/** Runs a new Reflector per term; `current` is the running one, if any. */
interface ReflectorTerms {
  /** Runs one Reflector until `signal` aborts, then resets the gauges. */
  run(signal: AbortSignal): Promise<void>;
  /** The Reflector of the term in progress. */
  readonly current: Reflector | undefined;
  /** The sources a term starting now reads. */
  sources(): readonly SourceConfig[];
  /** The kinds of write the host refuses in the term in progress. */
  readonly denied: DeniedWrites;
}

function reflectorTerms(setup: ReflectorSetup, options: StartReflectorOptions): ReflectorTerms {
  const { host } = setup;
  const sources = () => setup.sourcesFile?.sources ?? setup.sources;
  const { logger } = options;
  // The flag's cluster id, else the host's ClusterProperty's (found at load).
  const settings = setup.clusterId && !options.settings.clusterId
    ? { ...options.settings, clusterId: setup.clusterId }
    : options.settings;
  const log = logger.child({ component: "reflector" });
  const metrics = reflectorMetrics(options.registry);
  const denied = new DeniedWrites({
    onChange: ({ verb, resource, code, key, message }, refused) =>
      refused
        ? log.warn(
          "the host refused a write for want of a permission: it is retried until granted",
          {
            verb,
            resource,
            code,
            key,
            error: message,
          },
        )
        : log.info("the host accepts this kind of write again", { verb, resource }),
  });
  let current: Reflector | undefined;
  const drainMs = reflectorDrainMs(setup.election);
  const run = async (signal: AbortSignal) => {
    const reflector = commandReflector({
      host,
      sources: sources(),
      settings,
      logger,
      metrics,
      denied,
    });
    current = reflector;
    if (sources().length === 0) log.info("no sources configured yet: the Reflector is idle");
    try {
      // A clean shutdown lets the keys in hand finish; a lost Lease does not.
      await reflector.run(signal, { drainMs, shutdown: options.signal });
    } finally {
      current = undefined;
      // A standby runs no Reflector: its gauges read as idle, not as the last term's.
      metrics.observe(idleGauges);
      denied.clear();
      log.debug("stopped");
    }
  };
  return {
    run,
    get current() {
      return current;
    },
    sources,
    denied,
  };
}
