/**
 * The seam between what the sources export and how the host shows it. A
 * host model renders the claims of source Services into host objects: the
 * mirror model (`mirror_model.ts`, the original's dialect: a selector-less
 * Service of the source Service's name, or of a template's) is the first.
 *
 * The reconcile (`key_reconciler.ts`) is the same for every model: it asks
 * the model which host keys a source Service bears on, turns each Service
 * bearing on a key into the model's claim, settles the claims
 * (`_name_claims.ts`: the oldest claimant has the name), asks the model for
 * the desired objects of the winner, and hands them to the one applier,
 * which writes them by the model's kinds (`host_kind.ts`). Keys are
 * qualified by model on the one queue (`queue_keys.ts`), so one worker pool
 * serves every model.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { KubeObject } from "../kube/object.ts";
import type { ResourceType } from "../kube/resource.ts";
import type { SourceObjects } from "./_desired_inputs.ts";
import type { NameClaim } from "./_name_claims.ts";
import type { DesiredHost, HostLayout, MergeConflict } from "./desired_host.ts";
import type { Report } from "./reports.ts";

/** How a reconcile of a key ended, for the model's follow-up. */
export interface Settled {
  /** The owner as the host held it before the reconcile; undefined: there was none. */
  readonly before: KubeObject | undefined;
  /** The owner as the host holds it after the writes; undefined: the key was withdrawn. */
  readonly after: KubeObject | undefined;
  /** Where the claims disagree (none when they agree, or when withdrawn). */
  readonly conflicts: readonly MergeConflict[];
  /** The sources whose objects make the key (none when withdrawn). */
  readonly contributors: readonly string[];
}

/** What a model's follow-up may do in the host. */
export interface SettleContext {
  /** Aborts the follow-up's requests. */
  readonly signal: AbortSignal;
  /** Writes the status subresource of `object` of `type`, for the key (the one write to an object not the Reflector's). */
  updateStatus<T extends KubeObject>(type: ResourceType, object: T): Promise<T>;
}

/** What the model does after a reconcile of a key. */
export interface AfterApply {
  /** What it found, for the reporter. */
  readonly reports: readonly Report[];
  /** Whether the key is looked at again after the Reflector's wait. */
  readonly again: boolean;
}

/** One way to render what the sources export into the host. */
export interface HostModel {
  /** The model's name, which qualifies its queue keys: lower case, no `:`. */
  readonly name: string;
  /**
   * The host resources the model reads, each with the host keys (of this
   * model) an object of it bears on; the Reflector runs one informer per
   * resource for every model.
   */
  readonly reads: Readonly<Record<string, (object: KubeObject) => string[]>>;
  /** The host keys (`namespace/name`) the exported Service `service` of source `source` bears on. */
  keysOf(service: Service, source: string): string[];
  /** The claim of `objects`, a source Service bearing on a key and its endpoints, to that key. */
  claim(objects: SourceObjects): NameClaim;
  /** Where the model's objects of `key` are. */
  layout(key: string): HostLayout;
  /**
   * The desired host objects of the key that `inputs` (the winning
   * claimant's, at least one) bear on.
   *
   * @throws {TypeError} For inputs that cannot be rendered.
   */
  desired(inputs: readonly SourceObjects[]): DesiredHost;
  /** Every key the model holds objects of in the host (queued by each resync). */
  heldKeys(): string[];
  /** The keys of the model's host objects written for source `source`. */
  keysWrittenFor(source: string): string[];
  /** Follows up a reconcile of `key` that wrote its objects or withdrew them. */
  settled?(key: string, settled: Settled, context: SettleContext): Promise<AfterApply>;
}
