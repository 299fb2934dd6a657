/**
 * The MCS model: the Multi-Cluster Services API's dialect (KEP-1645). A
 * Service exported by a ServiceExport in any cluster of the set becomes,
 * in the host, a ServiceImport of its namespace and name, a derived Service
 * that holds the cluster-set IPs, and the derived Service's EndpointSlices,
 * one run per source cluster (`_desired_import.ts`, written by the kinds of
 * `mcs_kinds.ts`).
 *
 * Every cluster's exports of one name merge into one import (there is no
 * per-source naming), and precedence is the ServiceExport's: each claim's
 * Service carries its ServiceExport's creation time and exported labels
 * and annotations, so the oldest export wins, and only what an export lists
 * travels. An ExternalName Service is not exported in this dialect.
 *
 * @module
 */

import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { Condition } from "kubernetes-types/meta/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { type KubeObject, objectKey, splitObjectKey } from "../kube/object.ts";
import { endpointSlices, services } from "../kube/resource.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import {
  mcsServiceNameLabel,
  type ServiceExport,
  serviceExports,
  type ServiceImport,
  serviceImports,
} from "../mcs/api.ts";
import { exportConditions } from "../mcs/export_conditions.ts";
import { isMcsObject, sliceSource } from "../ownership.ts";
import { isExternalName, type SourceObjects } from "./_desired_inputs.ts";
import { derivedServiceName, desiredImport } from "./_desired_import.ts";
import type { NameClaim } from "./_name_claims.ts";
import type { DesiredHost, HostLayout } from "./desired_host.ts";
import type { AfterApply, HostModel, SettleContext, Settled } from "./host_model.ts";
import { importLayout, isImportSlice } from "./mcs_kinds.ts";

/** The host caches the MCS model reads. */
export interface McsCaches {
  /** Every ServiceImport in the Reflector's scope. */
  serviceImports: ReadonlyStore<ServiceImport>;
  /** Every ServiceExport in the Reflector's scope: the host's own exports. */
  serviceExports: ReadonlyStore<ServiceExport>;
  /** Every Service in the Reflector's scope (derived ones among them). */
  services: ReadonlyStore<Service>;
  /** The Reflector's own EndpointSlices. */
  endpointSlices: ReadonlyStore<EndpointSlice>;
}

/** Options of {@linkcode McsModel}. */
export interface McsModelOptions {
  /** The host caches, once made. */
  caches: () => McsCaches;
  /** Whether a counted source exports a Service bearing on `key`. */
  claimed(key: string): boolean;
  /**
   * The host's own cluster as a source, once it has synced: its name (the
   * cluster id) and the Service it holds of a key, exported or not.
   * Undefined while the host is not a synced source: no export's
   * conditions are written then.
   */
  own(): { cluster: string; service(key: string): Service | undefined } | undefined;
  /** The clock conditions are stamped with. */
  now?: () => Date;
}

/** The MCS model (see the module doc). */
export class McsModel implements HostModel {
  readonly name = "mcs";
  readonly #options: McsModelOptions;
  readonly reads: HostModel["reads"];

  /** Creates the model; it reads the caches only once asked. */
  constructor(options: McsModelOptions) {
    this.#options = options;
    this.reads = {
      // A ServiceImport matters when it is ours, or when one not ours is in
      // the way of a key a source exports (once it goes, the key is written).
      [serviceImports().resource]: (serviceImport) => {
        const key = objectKey(serviceImport);
        return isMcsObject(serviceImport) || options.claimed(key) ? [key] : [];
      },
      // The host's own exports: their conditions are written.
      [serviceExports().resource]: (serviceExport) => [objectKey(serviceExport)],
      [services.resource]: (service) => importKeys(service, isMcsObject),
      [endpointSlices.resource]: (slice) => importKeys(slice, isImportSlice),
    };
  }

  keysOf(service: Service, _source: string): string[] {
    return isExternalName(service) ? [] : [objectKey(service)];
  }

  /** The claim of `objects`, its Service carrying its ServiceExport's time, labels and annotations. */
  claim(objects: SourceObjects): NameClaim {
    const { service, serviceExport } = objects;
    const { name = "", namespace = "" } = service.metadata ?? {};
    const exported = serviceExport?.spec ?? {};
    const creationTimestamp = serviceExport?.metadata?.creationTimestamp;
    return {
      claimant: `import ${namespace}/${name}`,
      objects: {
        ...objects,
        service: {
          ...service,
          metadata: {
            name,
            namespace,
            ...(creationTimestamp ? { creationTimestamp } : {}),
            labels: { ...exported.exportedLabels },
            annotations: { ...exported.exportedAnnotations },
          },
        },
      },
    };
  }

  layout(key: string): HostLayout {
    const { name = "" } = splitObjectKey(key);
    return importLayout(key, derivedServiceName(name));
  }

  desired(inputs: readonly SourceObjects[]): DesiredHost {
    const wanted = desiredImport(inputs);
    const first = wanted.serviceImport([]);
    const key = objectKey(first);
    const layout = this.layout(key);
    const [derived] = layout.singles;
    // The IPs the derived Service has now, so a converged import is written once.
    const current = derived && this.#options.caches().services.get(derived.key);
    return {
      layout,
      owner: wanted.serviceImport(clusterIps(current)),
      conflicts: wanted.conflicts,
      ownedBy: (owner) => ({
        sets: [wanted.endpointSlices(owner)],
        singles: [wanted.derivedService(owner)],
      }),
      completed: ([written]) => wanted.serviceImport(clusterIps(written as Service | undefined)),
    };
  }

  /**
   * Writes the conditions of the host's own ServiceExport of `key` (the one
   * write to an object a user made), when they changed: whether its Service
   * can be exported, whether the import lists this cluster, and the
   * conflicts this export is part of.
   */
  async settled(key: string, settled: Settled, context: SettleContext): Promise<AfterApply> {
    const none = { reports: [], again: false };
    const own = this.#options.own();
    const serviceExport = own && this.#options.caches().serviceExports.get(key);
    if (!own || !serviceExport) return none;
    const previous = serviceExport.status?.conditions ?? [];
    const conditions = exportConditions(
      {
        serviceType: own.service(key) ? own.service(key)?.spec?.type ?? "ClusterIP" : undefined,
        imported: settled.contributors.includes(own.cluster),
        conflicts: settled.conflicts.filter((each) => each.sources.includes(own.cluster))
          .map((each) => each.field),
        generation: serviceExport.metadata?.generation,
      },
      previous,
      (this.#options.now ?? (() => new Date()))(),
    );
    if (sameConditions(previous, conditions)) return none;
    await context.updateStatus(serviceExports(), {
      ...serviceExport,
      status: { ...serviceExport.status, conditions },
    });
    return none;
  }

  heldKeys(): string[] {
    const { serviceImports, services, endpointSlices } = this.#options.caches();
    return [
      ...serviceImports.list().filter(isMcsObject).map(objectKey),
      ...services.list().flatMap((service) => importKeys(service, isMcsObject)),
      ...endpointSlices.list().flatMap((slice) => importKeys(slice, isImportSlice)),
    ];
  }

  keysWrittenFor(source: string): string[] {
    const slices = this.#options.caches().endpointSlices.list();
    return slices.filter((slice) => sliceSource(slice) === source)
      .flatMap((slice) => importKeys(slice, isImportSlice));
  }
}

/** Whether two lists of conditions say the same, their times aside. */
function sameConditions(a: readonly Condition[], b: readonly Condition[]): boolean {
  const said = (conditions: readonly Condition[]) =>
    JSON.stringify(
      conditions.map((
        { type, status, reason, message, observedGeneration, lastTransitionTime },
      ) => [
        type,
        status,
        reason,
        message,
        observedGeneration ?? null,
        lastTransitionTime,
      ]),
    );
  return said(a) === said(b);
}

/** The key of the import `object` (a derived Service, an import's slice) is of, if `ours` says it is. */
function importKeys(object: KubeObject, ours: (object: KubeObject) => boolean): string[] {
  const name = object.metadata?.labels?.[mcsServiceNameLabel];
  if (!ours(object) || !name) return [];
  return [`${object.metadata?.namespace ?? ""}/${name}`];
}

/** The cluster IPs of a derived Service, in its IP families' order; none while it has none. */
function clusterIps(service: Service | undefined): string[] {
  const spec = service?.spec ?? {};
  const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  return ips.filter((ip) => ip !== "None" && ip !== "");
}
