/**
 * The conditions of a ServiceExport in its own cluster, as KEP-1645 and
 * `sigs.k8s.io/mcs-api` v0.5.2 name them: `Valid` (is there a Service to
 * export, of a type that can be), `Ready` (is it part of the cluster set's
 * import) and `Conflict` (does the import resolve a disagreement between
 * this export and another, with the API's reason for the field).
 *
 * Pure: a condition whose status and reason are unchanged keeps its
 * `lastTransitionTime`, so conditions written once are not written again.
 *
 * @module
 */

import type { Condition } from "kubernetes-types/meta/v1.d.ts";

/** What the conditions are decided from. */
export interface ExportState {
  /** The exported Service's type in its cluster; undefined when there is no Service. */
  serviceType: string | undefined;
  /** Whether the cluster set's import lists this cluster. */
  imported: boolean;
  /** The fields (as the merge names them, e.g. `ports[http]`) this export disagrees on. */
  conflicts: readonly string[];
  /** The ServiceExport's generation, for `observedGeneration`. */
  generation: number | undefined;
}

/** The API's reason of a conflict on `field` (as the merge names fields); undefined: none applies. */
export function conflictReason(field: string): string | undefined {
  if (field.startsWith("ports[")) return "PortConflict";
  const reasons: Record<string, string> = {
    type: "TypeConflict",
    sessionAffinity: "SessionAffinityConflict",
    sessionAffinityConfig: "SessionAffinityConfigConflict",
    ipFamilies: "IPFamilyConflict",
    internalTrafficPolicy: "InternalTrafficPolicyConflict",
    trafficDistribution: "TrafficDistributionConflict",
    labels: "LabelsConflict",
    annotations: "AnnotationsConflict",
  };
  return reasons[field];
}

/**
 * The conditions of an export in `state`, `previous` being those it has
 * (their transition times kept where unchanged), stamped `now` otherwise.
 */
export function exportConditions(
  state: ExportState,
  previous: readonly Condition[],
  now: Date,
): Condition[] {
  const valid: [string, string, string] = state.serviceType === undefined
    ? ["False", "NoService", "No Service of this namespace and name exists"]
    : state.serviceType === "ExternalName"
    ? ["False", "InvalidServiceType", "An ExternalName Service cannot be exported"]
    : ["True", "Valid", "The Service is exported"];
  const ready: [string, string, string] = valid[0] === "True" && state.imported
    ? ["True", "Exported", "The Service is part of the cluster set's ServiceImport"]
    : ["False", "Pending", "The Service is not part of the cluster set's ServiceImport yet"];
  const fields = state.conflicts.filter((field) => conflictReason(field) !== undefined);
  const [reason] = fields.map(conflictReason);
  const conflict: [string, string, string] = reason
    ? [
      "True",
      reason,
      `The cluster set resolves a conflict on ${fields.join(", ")} for the oldest export`,
    ]
    : ["False", "NoConflicts", "The export agrees with every other export of its name"];
  const made = (type: string, [status, reason, message]: [string, string, string]): Condition => {
    const before = previous.find((each) => each.type === type);
    const unchanged = before?.status === status && before.reason === reason;
    return {
      type,
      status,
      reason,
      message,
      lastTransitionTime: unchanged
        ? before.lastTransitionTime
        : now.toISOString().replace(/\.\d+Z$/, "Z"),
      ...(state.generation !== undefined ? { observedGeneration: state.generation } : {}),
    };
  };
  return [made("Valid", valid), made("Ready", ready), made("Conflict", conflict)];
}
