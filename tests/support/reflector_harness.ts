/**
 * The one way tests and benchmarks run a Reflector: built with test
 * defaults, observed by a recording observer and by the metrics (in a
 * registry of its own), and by the caller's observer if any, through
 * `fanOut`, as the command composes its own.
 *
 * Given a cluster as host, each harness reaches it with a user agent of its
 * own ({@linkcode ReflectorHarness.userAgent}): the host's audit log then
 * tells this Reflector's writes from the test's own and from another
 * Reflector's (`server_writes.ts`), though all use the same credentials.
 *
 * @module
 */

import { Registry } from "prom-client";
import type { Attempt } from "../../lib/controller/controller.ts";
import type { KubeObject } from "../../lib/kube/object.ts";
import { RestClient } from "../../lib/kube/rest.ts";
import { Transport } from "../../lib/kube/transport.ts";
import type { NameClash, Write } from "../../lib/reflector/applier.ts";
import { reflectorMetrics } from "../../lib/reflector/metrics.ts";
import {
  fanOut,
  type InformerFailure,
  type ReflectorObserver,
} from "../../lib/reflector/observer.ts";
import { Reflector, type ReflectorOptions } from "../../lib/reflector/reflector.ts";
import type { EndpointsMode } from "../../lib/reflector/source.ts";
import type { InvalidObject } from "../../lib/reflector/_source_admission.ts";
import { version } from "../../lib/version.ts";
import type { Cluster } from "../cluster/mod.ts";
import { adminConfig } from "./client_configs.ts";

/** Options of {@linkcode reflectorHarness} and {@linkcode startReflector}. */
export interface ReflectorHarnessOptions
  extends Omit<ReflectorOptions, "host" | "createNamespaces" | "legacyEndpoints"> {
  /** The host: a cluster, reached as admin, or a client of one (e.g. as a ServiceAccount). */
  host: Cluster | RestClient;
  /** Defaults to true. */
  createNamespaces?: boolean;
  /** Defaults to false. */
  legacyEndpoints?: boolean;
  /** Defaults to 300 ms, so that tests do not wait for the production 5 s. */
  waitMs?: number;
  /** How long the keys in hand may finish once stopped (`Reflector.run`'s `drainMs`); defaults to 0. */
  drainMs?: number;
}

/** What the recording observer saw, in order. */
export interface Recorded {
  /** Every write accepted by the host. */
  readonly writes: Write[];
  /** Keys reported as unowned, once per attempt. */
  readonly unowned: string[];
  /** Names taken by objects the Reflector does not own, as reported. */
  readonly clashes: NameClash[];
  /** Endpoint objects of a mirror the Reflector does not own, as reported, by key. */
  readonly strays: [string, KubeObject[]][];
  /** Keys reconciled at least once with a `done` or `terminal` outcome. */
  readonly settled: Set<string>;
  /** Attempts that ended in `retry` or `terminal`. */
  readonly failures: Attempt[];
  /** How many reconcile attempts each key had. */
  readonly attempts: Map<string, number>;
  /** Informer, discovery and Event failures. */
  readonly informerErrors: InformerFailure[];
  /** The first key reported waiting for each missing namespace. */
  readonly namespaceMissing: string[];
  /** The endpoints API of each source, by name. */
  readonly modes: Record<string, EndpointsMode>;
  /** Source objects skipped as invalid, as reported (once per version). */
  readonly invalidObjects: InvalidObject[];
  /** Mirror names claimed by several source Services, as reported: key, winner, losers. */
  readonly collisions: [string, string, readonly string[]][];
}

/** A Reflector built for a test, not yet running. */
export interface ReflectorHarness extends Recorded {
  /** The Reflector. */
  readonly reflector: Reflector;
  /** Its metrics, and only its. */
  readonly registry: Registry;
  /**
   * The `User-Agent` of every request it sends to a cluster host, unique to
   * this harness; undefined when the host was given as a RestClient, whose
   * transport's agent is the caller's.
   */
  readonly userAgent: string | undefined;
  /** Closes what the harness opened (the admin transport of a cluster host); after `run` ended. */
  close(): void;
}

/** A Reflector running for a test. */
export interface RunningReflector extends ReflectorHarness {
  /** Stops the Reflector and closes what the harness opened; rejects with its failure, if any. */
  stop(): Promise<void>;
}

/** A recording observer and what it recorded. */
function recorder(): Recorded & { observer: ReflectorObserver } {
  const recorded: Recorded = {
    writes: [],
    unowned: [],
    clashes: [],
    strays: [],
    settled: new Set(),
    failures: [],
    informerErrors: [],
    namespaceMissing: [],
    attempts: new Map(),
    modes: {},
    invalidObjects: [],
    collisions: [],
  };
  const observer: ReflectorObserver = {
    onAttempt: (attempt) => {
      const { kind } = attempt.outcome;
      recorded.attempts.set(attempt.key, (recorded.attempts.get(attempt.key) ?? 0) + 1);
      if (kind === "done" || kind === "terminal") recorded.settled.add(attempt.key);
      if (kind === "retry" || kind === "terminal") recorded.failures.push(attempt);
    },
    onWrite: (write) => recorded.writes.push(write),
    onUnowned: (key) => recorded.unowned.push(key),
    onNameClash: (_, clash) => recorded.clashes.push(clash),
    onStrays: (key, strays) => recorded.strays.push([key, strays]),
    onNamespaceMissing: (_, key) => recorded.namespaceMissing.push(key),
    onInformerError: (failure) => recorded.informerErrors.push(failure),
    onMode: (source, mode) => recorded.modes[source] = mode,
    onInvalidObject: (invalid) => recorded.invalidObjects.push(invalid),
    onNameCollision: (key, { winner, losers }) => recorded.collisions.push([key, winner, losers]),
  };
  return { ...recorded, observer };
}

/** Builds a Reflector observed by a recorder, the metrics and `options.observer`. */
export function reflectorHarness(options: ReflectorHarnessOptions): ReflectorHarness {
  const { host, observer, drainMs: _, ...rest } = options;
  let userAgent: string | undefined;
  let transport: Transport | undefined;
  if (!(host instanceof RestClient)) {
    userAgent =
      `service-reflector/${version} (Deno ${Deno.version.deno}; harness ${crypto.randomUUID()})`;
    transport = new Transport(adminConfig(host), { userAgent });
  }
  const registry = new Registry();
  const metrics = reflectorMetrics(registry);
  const { observer: recording, ...recorded } = recorder();
  const reflector = new Reflector({
    createNamespaces: true,
    legacyEndpoints: false,
    waitMs: 300,
    ...rest,
    host: transport ? new RestClient(transport) : host as RestClient,
    observer: fanOut(recording, metrics, ...(observer ? [observer] : [])),
  });
  metrics.observe(reflector);
  return { ...recorded, reflector, registry, userAgent, close: () => transport?.close() };
}

/** Builds a Reflector as {@linkcode reflectorHarness} does and runs it until `stop()`. */
export function startReflector(options: ReflectorHarnessOptions): RunningReflector {
  const harness = reflectorHarness(options);
  const controller = new AbortController();
  const running = harness.reflector.run(controller.signal, { drainMs: options.drainMs ?? 0 });
  let stopped: Promise<void> | undefined;
  return {
    ...harness,
    stop() {
      stopped ??= (async () => {
        controller.abort();
        try {
          await running;
        } finally {
          harness.close();
        }
      })();
      return stopped;
    },
  };
}
