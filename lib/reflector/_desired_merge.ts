/**
 * The spec of a mirror Service exported by several sources, merged as the
 * Multi-Cluster Services API (KEP-1645) merges a ServiceImport: ports are
 * the union by name, and where the sources disagree, the oldest source
 * Service wins (its inputs come first, see `orderedInputs`) and the
 * disagreement is a conflict to report. Pure: equal inputs give equal
 * outputs, sharing nothing with them.
 *
 * @module
 */

import type { ServicePort, ServiceSpec } from "kubernetes-types/core/v1.d.ts";
import type { SourceObjects } from "./_desired_inputs.ts";
import type { MergeConflict } from "./desired_host.ts";
import { mirrorSpec } from "./_desired_service.ts";

export type { MergeConflict };

/** A merged spec and its conflicts. */
export interface MergedSpec {
  /** The mirror's spec. */
  spec: ServiceSpec;
  /** The fields the sources disagree on, in the order met. */
  conflicts: MergeConflict[];
}

/** How a Service is reached: the one Service-level field that decides its cluster IP. */
function shape(spec: ServiceSpec): string {
  if (spec.type === "ExternalName") return "ExternalName";
  return spec.clusterIP === "None" ? "headless" : "ClusterIP";
}

/** The Service-level fields compared, each as text; undefined where a spec leaves it to the server. */
const compared: Record<string, (spec: ServiceSpec) => string | undefined> = {
  type: shape,
  externalName: (spec) => spec.externalName,
  sessionAffinity: (spec) => spec.sessionAffinity ?? "None",
  sessionAffinityConfig: (spec) => JSON.stringify(spec.sessionAffinityConfig ?? null),
  ipFamilies: (spec) => spec.ipFamilies?.join(","),
  publishNotReadyAddresses: (spec) => String(spec.publishNotReadyAddresses ?? false),
};

/**
 * The merged spec of `ordered` (oldest first, as `orderedInputs` gives
 * them): the first source's spec as `mirrorSpec` makes it, with the ports
 * of the others added by name. A port of another source conflicts with
 * the mirror's when it has the same name and another number or protocol,
 * when it is unnamed while the mirror has ports (a Service of several
 * ports names them all), or when it reuses a number and protocol the
 * mirror has under another name; a conflicting port is left out.
 */
export function mergedSpec(ordered: readonly [SourceObjects, ...SourceObjects[]]): MergedSpec {
  const [first, ...others] = ordered;
  const spec = mirrorSpec(first.service.spec ?? {});
  const conflicts = new Map<string, string[]>();
  const conflict = (field: string, source: string) => {
    const sources = conflicts.get(field) ?? [first.source];
    if (!sources.includes(source)) sources.push(source);
    conflicts.set(field, sources);
  };
  const ports: ServicePort[] = spec.ports ?? [];
  for (const { source, service } of others) {
    const other = mirrorSpec(service.spec ?? {});
    for (const [field, read] of Object.entries(compared)) {
      const [mine, theirs] = [read(spec), read(other)];
      if (mine !== undefined && theirs !== undefined && mine !== theirs) conflict(field, source);
    }
    for (const port of other.ports ?? []) {
      const field = `ports[${port.name ?? ""}]`;
      const named = ports.find((each) => (each.name ?? "") === (port.name ?? ""));
      if (named) {
        if (named.port !== port.port || named.protocol !== port.protocol) conflict(field, source);
      } else if (
        ports.length > 0 &&
          ((port.name ?? "") === "" || ports.some((each) => (each.name ?? "") === "")) ||
        ports.some((each) => each.port === port.port && each.protocol === port.protocol)
      ) {
        conflict(field, source);
      } else {
        ports.push(port);
      }
    }
  }
  if (ports.length > 0) spec.ports = ports;
  return {
    spec,
    conflicts: [...conflicts].map(([field, sources]) => ({ field, sources })),
  };
}
