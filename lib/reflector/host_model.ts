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
import type { SourceObjects } from "./_desired_inputs.ts";
import type { NameClaim } from "./_name_claims.ts";
import type { DesiredHost, HostLayout } from "./desired_host.ts";
import type { Report } from "./reports.ts";

/** What the model does after its objects of a key were written. */
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
  /**
   * Follows up a write of `key`'s objects, `before` being the owner as the
   * host held it before the write and `after` as it holds it now.
   */
  afterApply?(
    key: string,
    change: { before: KubeObject | undefined; after: KubeObject },
    signal: AbortSignal,
  ): Promise<AfterApply>;
}
