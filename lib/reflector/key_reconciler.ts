/**
 * The reconcile of one host key of one host model, the one place where a
 * key's outcome is decided, the same for every model (`host_model.ts`):
 *
 * 1. The claims: each synced counted source's Services bearing on the key
 *    (`_host_keys.ts`), a stale source's endpoints withdrawn
 *    (`_stale.ts`), each made the model's claim; the oldest claimant wins
 *    (`_name_claims.ts`). A source that has not synced may export the key:
 *    its part of the host is kept as it is, and the key is looked at again.
 * 2. No claim: the key's objects go (but the kept sources' parts).
 * 3. An owner object of the key that is not the Reflector's is left alone:
 *    a terminal outcome, reported.
 * 4. The namespace: created, or the key parked until it appears.
 * 5. The model's desired objects are written by the applier; what it met
 *    (names taken, conflicts, collisions) and what the model finds after
 *    the write are returned as reports, for the reporter to tell.
 *
 * @module
 */

import { done, type Outcome, requeueAfter, terminal } from "../controller/reconcile.ts";
import type { KubeObject } from "../kube/object.ts";
import { splitObjectKey } from "../kube/object.ts";
import type { Applier, HostCaches } from "./applier.ts";
import { NameTakenError } from "./applier.ts";
import { objectReference } from "./events.ts";
import type { HostModel, Settled } from "./host_model.ts";
import type { HostKeys } from "./_host_keys.ts";
import { type NameClaim, settleClaims } from "./_name_claims.ts";
import type { NamespaceParking } from "./namespace_parking.ts";
import type { Report } from "./reports.ts";
import type { Source } from "./source.ts";
import type { SourceSet } from "./_source_set.ts";
import { withdrawnEndpoints } from "./_stale.ts";
import type { StaleAction } from "./stale_action.ts";

/** Options of {@linkcode KeyReconciler}. */
export interface KeyReconcilerOptions {
  /** The sources. */
  sources: SourceSet;
  /** The host keys of the sources' Services, per model. */
  keysOf(model: HostModel): HostKeys<Source>;
  /** Writes the host. */
  applier: Applier;
  /** The host caches the applier reads, where owners are looked up. */
  host: HostCaches;
  /** Where keys wait for their namespace. */
  parking: NamespaceParking;
  /** The queue key a parked key is woken by. */
  parkedAs(model: HostModel, key: string): string;
  /** Create missing namespaces; without, a key waits for its namespace. */
  createNamespaces: boolean;
  /** How long a key waits before it is looked at again. */
  waitMs: number;
  /** What becomes of a stale source's endpoints. */
  staleAction: StaleAction;
}

/** Reconciles host keys (see the module doc). */
export class KeyReconciler {
  readonly #options: KeyReconcilerOptions;

  /** Creates the reconciler; it holds no state of its own. */
  constructor(options: KeyReconcilerOptions) {
    this.#options = options;
  }

  /**
   * Decides the outcome of `key` of `model` and has the applier write what
   * it needs; what it found is pushed on `reports` as it is found, so a
   * reconcile that fails midway still tells it.
   */
  async reconcile(
    model: HostModel,
    key: string,
    reports: Report[],
    signal: AbortSignal,
  ): Promise<Outcome> {
    const { applier, waitMs } = this.#options;
    const { claims, unsynced } = this.#claimsOf(model, key);
    const { inputs, winner, losers } = settleClaims(claims);
    const layout = model.layout(key);
    const ownerKind = layout.owner;
    const existing = this.#options.host.objects(ownerKind.type.resource).get(key);
    if (inputs.length === 0 || winner === undefined) {
      await applier.remove(layout, { keep: unsynced, signal });
      reports.push({ kind: "withdrawn", key });
      const withdrawn = { before: existing, after: undefined, conflicts: [], contributors: [] };
      await this.#settled(model, key, withdrawn, reports, signal);
      return unsynced.size > 0 ? requeueAfter(waitMs) : done();
    }
    if (existing && !ownerKind.owns(existing)) return unowned(model, key, existing, reports);
    const desired = model.desired(inputs);
    const { namespace = "" } = splitObjectKey(key);
    if (!existing && !applier.hasNamespace(namespace)) {
      if (!this.#options.createNamespaces) {
        if (this.#options.parking.park(this.#options.parkedAs(model, key), namespace)) {
          reports.push({ kind: "namespace-missing", key, namespace });
        }
        return done();
      }
      await applier.createNamespace(namespace, { signal });
    }
    let applied;
    try {
      applied = await applier.apply(desired, { keep: unsynced, signal });
    } catch (error) {
      // An owner object the host caches had not seen yet, not ours.
      if (error instanceof NameTakenError) return unowned(model, key, error.object, reports);
      throw error;
    }
    const owner = objectReference(ownerKind.type, applied.owner);
    for (const clash of applied.clashes) reports.push({ kind: "clash", key, owner, clash });
    const contributors = inputs.map((each) => each.source);
    reports.push({ kind: "merged", key, owner, contributors, conflicts: desired.conflicts });
    reports.push({ kind: "claimed", key, owner, winner, losers });
    const again = await this.#settled(
      model,
      key,
      {
        before: existing,
        after: applied.owner,
        conflicts: desired.conflicts,
        contributors,
      },
      reports,
      signal,
    );
    return again ? requeueAfter(waitMs) : done();
  }

  /** The model's follow-up of `key`: its reports are pushed; true when it asks to look again. */
  async #settled(
    model: HostModel,
    key: string,
    settled: Settled,
    reports: Report[],
    signal: AbortSignal,
  ): Promise<boolean> {
    const { applier } = this.#options;
    const after = await model.settled?.(key, settled, {
      signal,
      updateStatus: (type, object) => applier.updateStatus(type, object, { key, signal }),
    });
    reports.push(...after?.reports ?? []);
    return after?.again ?? false;
  }

  /**
   * The claims to `key` of every synced counted source, and the names of
   * the sources that have not synced. Those may hold anything for the key:
   * their part of the host is kept as it is, and the key's objects are not
   * deleted on their account. A source that stays down costs only its own
   * freshness, never the other sources' keys.
   */
  #claimsOf(model: HostModel, key: string): { claims: NameClaim[]; unsynced: Set<string> } {
    const { sources, staleAction } = this.#options;
    const keys = this.#options.keysOf(model);
    const unsynced = new Set<string>();
    const claims: NameClaim[] = [];
    for (const source of sources.counted) {
      if (!source.synced) {
        unsynced.add(source.name);
        continue;
      }
      for (const sourceKey of keys.sourceKeys(source, key)) {
        const objects = source.objectsOf(sourceKey);
        if (!objects) continue;
        claims.push(
          model.claim(sources.stale(source) ? withdrawnEndpoints(objects, staleAction) : objects),
        );
      }
    }
    return { claims, unsynced };
  }
}

/** The outcome of `key` whose owner object in the host, `holder`, is not the Reflector's. */
function unowned(model: HostModel, key: string, holder: KubeObject, reports: Report[]): Outcome {
  const type = model.layout(key).owner.type;
  reports.push({ kind: "unowned", key, holder: objectReference(type, holder) });
  return terminal(
    new Error(
      `Cannot mirror ${key} as the host has a ${type.kind} of that name that service-reflector does not own`,
    ),
  );
}
