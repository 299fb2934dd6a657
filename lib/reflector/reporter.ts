/**
 * The one place where what reconciles found becomes visible: each report
 * (`reports.ts`) is told to the observer and, where an operator looks for
 * it, recorded as a Warning Event on the key's owner object (`kubectl
 * describe service`). The reporter holds the little state that takes: what
 * is in conflict, collided and contributed, by key, for the gauges, and
 * which conflict was last told, so that one is told once per change, not
 * once per reconcile.
 *
 * An Event only explains an outcome, which stands without it: one that
 * cannot be recorded is told as a failure of the host's handler, never of
 * the key. An observer that throws fails the reconcile, as its contract says.
 *
 * @module
 */

import type { ObjectReference } from "kubernetes-types/core/v1.d.ts";
import { objectKey } from "../kube/object.ts";
import type { EventRecorder } from "./events.ts";
import type { ReflectorObserver } from "./observer.ts";
import type { Report } from "./reports.ts";

/** Options of {@linkcode Reporter}. */
export interface ReporterOptions {
  /** Told of every report. */
  observer: ReflectorObserver;
  /** Where Events are recorded (rate-limited per object and reason). */
  events: Pick<EventRecorder, "record">;
  /** Told when an Event cannot be recorded. */
  onEventError(error: unknown): void;
}

/** Tells the reports of every reconcile. */
export class Reporter {
  readonly #options: ReporterOptions;
  /** Keys whose sources disagree, as last reconciled, with the sources in conflict. */
  readonly #conflicted = new Map<string, readonly string[]>();
  /** Of the keys in `#conflicted`: the conflict last told, as its sources and winners. */
  readonly #conflictsTold = new Map<string, string>();
  /** Keys written, as last reconciled, with the sources whose objects make them. */
  readonly #contributions = new Map<string, readonly string[]>();
  /** Keys claimed by several claimants, as last reconciled. */
  readonly #collided = new Set<string>();

  /** Creates a reporter with nothing in conflict. */
  constructor(options: ReporterOptions) {
    this.#options = options;
  }

  /** Keys whose sources disagree, as last reconciled. */
  get inConflict(): number {
    return this.#conflicted.size;
  }

  /** Keys claimed by several claimants, as last reconciled. */
  get inCollision(): number {
    return this.#collided.size;
  }

  /** Per source: how many keys it contributes to, and how many of them are in conflict. */
  countsBySource(): Map<string, { contributed: number; conflicts: number }> {
    const counts = new Map<string, { contributed: number; conflicts: number }>();
    const of = (name: string) => counts.get(name) ?? { contributed: 0, conflicts: 0 };
    for (const names of this.#contributions.values()) {
      for (const name of names) {
        counts.set(name, { ...of(name), contributed: of(name).contributed + 1 });
      }
    }
    for (const names of this.#conflicted.values()) {
      for (const name of names) {
        counts.set(name, { ...of(name), conflicts: of(name).conflicts + 1 });
      }
    }
    return counts;
  }

  /** Tells each of `reports`, in order; the state of the keys they are about follows them. */
  async report(reports: readonly Report[]): Promise<void> {
    for (const report of reports) await this.#one(report);
  }

  async #one(report: Report): Promise<void> {
    const { observer } = this.#options;
    const { key } = report;
    switch (report.kind) {
      case "withdrawn":
        this.#conflicted.delete(key);
        this.#conflictsTold.delete(key);
        this.#collided.delete(key);
        this.#contributions.delete(key);
        return;
      case "merged":
        this.#contributions.set(key, report.contributors);
        return await this.#merged(report);
      case "claimed": {
        const { winner, losers } = report;
        if (losers.length === 0) return void this.#collided.delete(key);
        this.#collided.add(key);
        observer.onNameCollision?.(key, { winner, losers });
        return await this.#recordOn(
          report.owner,
          "NameCollision",
          `Several source Services are named ${key} in the host; ${winner} (the oldest) has ` +
            `the name, and ${losers.join(", ")} ${losers.length > 1 ? "are" : "is"} not mirrored ` +
            `until the names differ (see --reflector.name-template)`,
        );
      }
      case "clash": {
        const { clash } = report;
        observer.onNameClash?.(key, clash);
        const holder = `${clash.resource} ${objectKey(clash.holder)}`;
        const outcome = clash.written
          ? `this mirror's one is ${clash.written.metadata?.name} instead`
          : "this mirror has none";
        return await this.#recordOn(
          report.owner,
          "NameTaken",
          `The host's ${holder} is not managed by service-reflector, so it is left alone; ${outcome}`,
        );
      }
      case "strays": {
        const strays = [...report.strays];
        observer.onStrays?.(key, strays);
        const named = strays.map((stray) => `${stray.kind} ${stray.metadata?.name}`).join(", ");
        return await this.#recordOn(
          report.owner,
          "ForeignEndpoints",
          `${named} adds endpoints to this mirror but is not managed by service-reflector (the host wrote it while a selector was on the Service); it is left alone: delete it`,
        );
      }
      case "unowned":
        observer.onUnowned?.(key);
        return await this.#recordOn(
          report.holder,
          "NotOwned",
          `A source exports ${key}, but this Service is not managed by service-reflector; it is left alone`,
        );
      case "namespace-missing":
        return void observer.onNamespaceMissing?.(report.namespace, key);
    }
  }

  /**
   * Notes whether the sources of the key disagree; on a disagreement, tells
   * the observer (once per change of the sources in conflict or of a
   * winner) and records an Event naming the sources and fields (the oldest
   * source's value is the one written).
   */
  async #merged(report: Extract<Report, { kind: "merged" }>): Promise<void> {
    const { key, conflicts } = report;
    if (conflicts.length === 0) {
      this.#conflicted.delete(key);
      this.#conflictsTold.delete(key);
      return;
    }
    const sources = [...new Set(conflicts.flatMap((each) => each.sources))];
    this.#conflicted.set(key, sources);
    const winners = new Set(conflicts.map((each) => each.sources[0]));
    const told = JSON.stringify([[...sources].sort(), [...winners].sort()]);
    if (this.#conflictsTold.get(key) !== told) {
      this.#conflictsTold.set(key, told);
      this.#options.observer.onMergeConflict?.(key, conflicts);
    }
    const each = conflicts.map(({ field, sources }) =>
      `${field} (${sources[0]} wins over ${sources.slice(1).join(", ")})`
    );
    await this.#recordOn(
      report.owner,
      "MergeConflict",
      `The sources of ${key} disagree; the oldest source Service wins: ${each.join("; ")}`,
    );
  }

  /** Records a Warning Event on `object`; a failure is the handler's, not the key's. */
  async #recordOn(object: ObjectReference, reason: string, message: string): Promise<void> {
    try {
      await this.#options.events.record({
        object,
        type: "Warning",
        reason,
        message,
      });
    } catch (error) {
      this.#options.onEventError(error);
    }
  }
}
