/**
 * The one check every fault case ends with: the host says exactly what the
 * sources say, and nothing the Reflector does not own was touched.
 *
 * - **Mirrors match the sources.** For every Service a source exports (its
 *   selector matches and it is not itself a mirror), unless the host has a
 *   Service of that key that is not the Reflector's, the host holds a
 *   Service of the same key with the project's managed-by label and the
 *   union of the sources' ports by name (the oldest Service's where they
 *   disagree); and, per source (by the slices'
 *   source-cluster label), the endpoints (address and readiness) of that
 *   source's slices. The host holds no other mirror and no other slice of
 *   the Reflector's mirror dialect (the MCS dialect's imports are checked by
 *   `import_invariant.ts`).
 * - **Nothing unowned touched.** Every Service, EndpointSlice, Endpoints
 *   and Namespace of the host that lacks the project's marks when the case
 *   starts is still there, unchanged (uid and resourceVersion), when it
 *   ends; and none appeared, but those the host's own controllers write
 *   (slices they manage, Endpoints of Services with a selector).
 *
 * Sources are read through their API (a cluster or an Emitter), the host
 * as admin.
 *
 * @module
 */

import type { Endpoints, Namespace, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { endpoints, endpointSlices, namespaces, services } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import type { KubeObject } from "../../lib/kube/object.ts";
import { apiLabel, isMirrorObject, isReflected, sourceClusterLabel } from "../../lib/ownership.ts";
import { poll } from "../support/poll.ts";
import { noteConvergence } from "./convergence_log.ts";

/** One source as the check reads it. */
export interface SourceView {
  /** The source's name, as the Reflector labels its slices. */
  name: string;
  /** A client of its API. */
  rest: RestClient;
  /** The Reflector's selector on its Services. */
  selector: string;
}

/** By key (`namespace/name`): sorted `address:ready` per source, and the ports. */
interface Expected {
  endpoints: Map<string, Map<string, string[]>>;
  ports: Map<string, string[]>;
}

const key = (object: KubeObject) => `${object.metadata?.namespace ?? ""}/${object.metadata?.name}`;
const sorted = (values: string[]) => [...values].sort();
/** The endpoints of `slices`, as sorted `address:ready`. */
export const endpointsOf = (slices: EndpointSlice[]): string[] =>
  sorted(
    slices.filter((slice) => slice.addressType === "IPv4" || slice.addressType === "IPv6")
      .flatMap((slice) =>
        (slice.endpoints ?? []).map((each) =>
          `${each.addresses[0]}:${each.conditions?.ready !== false}`
        )
      ),
  );
/** The ports of `service`, as sorted `name/port/protocol`. */
export const portsOf = (service: { spec?: { ports?: ServicePortLike[] } }): string[] =>
  sorted(
    (service.spec?.ports ?? []).map((port) =>
      `${port.name ?? ""}/${port.port}/${port.protocol ?? "TCP"}`
    ),
  );

/** A port as the check reads it. */
interface ServicePortLike {
  name?: string;
  port: number;
  protocol?: string;
}

/** The mirror key of `service` as exported by `source`: its own, unless renamed. */
type MirrorKeyOf = (service: Service, source: string) => string;

/** What the sources export, read now, by mirror key. */
async function expected(
  sources: readonly SourceView[],
  mirrorKey: MirrorKeyOf = (service) => key(service),
): Promise<Expected> {
  const result: Expected = { endpoints: new Map(), ports: new Map() };
  const exports = new Map<string, { source: string; service: Service }[]>();
  for (const source of sources) {
    const exported = (await source.rest.list<Service>(services, { labelSelector: source.selector }))
      .items.filter((service) => !isReflected(service));
    const slices = (await source.rest.list<EndpointSlice>(endpointSlices)).items;
    for (const service of exported) {
      const mirror = mirrorKey(service, source.name);
      const own = slices.filter((slice) =>
        slice.metadata?.namespace === service.metadata?.namespace &&
        slice.metadata?.labels?.["kubernetes.io/service-name"] === service.metadata?.name
      );
      const bySource = result.endpoints.get(mirror) ?? new Map<string, string[]>();
      const addresses = endpointsOf(own);
      if (addresses.length > 0 && service.spec?.type !== "ExternalName") {
        bySource.set(source.name, addresses);
      }
      result.endpoints.set(mirror, bySource);
      const exporters = exports.get(mirror) ?? [];
      exports.set(mirror, [...exporters, { source: source.name, service }]);
    }
  }
  for (const [each, exporters] of exports) result.ports.set(each, unionOfPorts(exporters));
  return result;
}

/**
 * The ports of a Service exported by `exporters`, as `name/port/protocol`:
 * the union by name, the oldest Service's (or export's, `since`; then the
 * first source's by name) where a name or a number and protocol are
 * claimed twice.
 */
export function unionOfPorts(
  exporters: { source: string; service: Service; since?: string }[],
): string[] {
  const age = (each: { source: string; service: Service; since?: string }) =>
    `${each.since ?? each.service.metadata?.creationTimestamp ?? "~"} ${each.source}`;
  const kept: string[] = [];
  for (const { service } of [...exporters].sort((a, b) => age(a) < age(b) ? -1 : 1)) {
    for (const port of portsOf(service)) {
      const [name, number, protocol] = port.split("/");
      const clash = kept.some((other) => {
        const [otherName, otherNumber, otherProtocol] = other.split("/");
        return otherName === name || (otherNumber === number && otherProtocol === protocol);
      });
      if (!clash) kept.push(port);
    }
  }
  return sorted(kept);
}

/** What the host mirrors, read now, in the shape of {@linkcode expected}. */
async function mirrored(host: RestClient): Promise<Expected> {
  const result: Expected = { endpoints: new Map(), ports: new Map() };
  const mirrors = (await host.list<Service>(services)).items.filter(isMirrorObject);
  for (const mirror of mirrors) {
    result.endpoints.set(key(mirror), new Map());
    result.ports.set(key(mirror), portsOf(mirror));
  }
  const ours = (await host.list<EndpointSlice>(endpointSlices, {
    labelSelector: `endpointslice.kubernetes.io/managed-by=service-reflector.squat.ai,!${apiLabel}`,
  })).items;
  const grouped = new Map<string, EndpointSlice[]>();
  for (const slice of ours) {
    const service = `${slice.metadata?.namespace}/${
      slice.metadata?.labels?.["kubernetes.io/service-name"]
    }`;
    const id = `${service} ${slice.metadata?.labels?.[sourceClusterLabel]}`;
    grouped.set(id, [...(grouped.get(id) ?? []), slice]);
  }
  for (const [id, slices] of grouped) {
    const [service = "", source = ""] = id.split(" ");
    const bySource = result.endpoints.get(service) ?? new Map<string, string[]>();
    bySource.set(source, endpointsOf(slices));
    result.endpoints.set(service, bySource);
  }
  return result;
}

/** Sorted and printable, so that two views compare as strings and a difference reads well. */
function printed(view: Expected): string {
  const keys = sorted([...new Set([...view.endpoints.keys(), ...view.ports.keys()])]);
  return JSON.stringify(
    keys.map((each) => [
      each,
      view.ports.get(each) ?? null,
      Object.fromEntries(
        sorted([...(view.endpoints.get(each)?.keys() ?? [])]).map((source) => [
          source,
          view.endpoints.get(each)?.get(source),
        ]),
      ),
    ]),
  );
}

/** Keys of host Services without the project's marks: the Reflector leaves them alone. */
async function heldKeys(host: RestClient): Promise<string[]> {
  return (await host.list<Service>(services)).items.filter((service) => !isReflected(service))
    .map(key);
}

/**
 * `have` without what sources that have not synced may account for: their
 * slices (their state is unknown, so what they had stays), and mirrors no
 * synced source exports that hold no slice of a synced source (one of them
 * may export it: the mirror stays, so its cluster IP does not change).
 */
function withoutUnknown(have: Expected, want: Expected, unsynced: ReadonlySet<string>): void {
  for (const [each, bySource] of have.endpoints) {
    for (const source of unsynced) bySource.delete(source);
    if (!want.endpoints.has(each) && bySource.size === 0) {
      have.endpoints.delete(each);
      have.ports.delete(each);
    }
  }
}

/** Options of {@linkcode converged}. */
export interface ConvergedOptions {
  /** Names of sources that have not synced (down from the start): see {@linkcode withoutUnknown}. */
  unsynced?: readonly string[];
  /** Gives up after this long. Defaults to 60 000 ms. */
  timeoutMs?: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
  /**
   * The mirror name of a source Service (per-source names); defaults to its
   * own. No two source Services may then share a name (a collision's loser
   * is not mirrored, which this check does not model).
   */
  mirrorName?: (service: Service, source: string) => string;
}

/**
 * Waits until the host's mirrors equal what `sources` export (see the
 * module doc) and resolves with how long that took, in ms; rejects with
 * both views when it does not happen in time.
 */
export async function converged(
  host: RestClient,
  sources: readonly SourceView[],
  options: ConvergedOptions = {},
): Promise<number> {
  const started = performance.now();
  let last = { want: "", have: "" };
  await poll(async () => {
    const [want, have, held] = await Promise.all([
      expected(
        sources,
        options.mirrorName &&
          ((service, source) =>
            `${service.metadata?.namespace ?? ""}/${options.mirrorName?.(service, source)}`),
      ),
      mirrored(host),
      heldKeys(host),
    ]);
    for (const each of held) {
      want.endpoints.delete(each);
      want.ports.delete(each);
    }
    withoutUnknown(have, want, new Set(options.unsynced ?? []));
    last = { want: printed(want), have: printed(have) };
    return last.want === last.have || undefined;
  }, {
    description: "the host's mirrors to equal the sources",
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
  }).catch((error) => {
    throw new Error(`${error.message}\n  sources say: ${last.want}\n  host holds:  ${last.have}`, {
      cause: error,
    });
  });
  return performance.now() - started;
}

/** Host objects that are not the Reflector's, by kind and key: uid and resourceVersion. */
type Unowned = Map<string, string>;

/** Whether the host's own controllers wrote `object` (they may, whatever the Reflector does). */
function writtenByHost(kind: string, object: KubeObject, selected: Set<string>): boolean {
  const managedBy = object.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"];
  if (kind === "endpointslices") return managedBy !== undefined && managedBy.endsWith(".k8s.io");
  if (kind === "endpoints") {
    return selected.has(key(object)) || key(object) === "default/kubernetes";
  }
  return false;
}

/** The host's objects without the project's marks, now. */
async function unowned(host: RestClient): Promise<{ objects: Unowned; selected: Set<string> }> {
  const objects: Unowned = new Map();
  const all = {
    services: (await host.list<Service>(services)).items,
    endpointslices: (await host.list<EndpointSlice>(endpointSlices)).items,
    endpoints: (await host.list<Endpoints>(endpoints)).items,
    namespaces: (await host.list<Namespace>(namespaces)).items,
  };
  const selected = new Set(
    all.services.filter((service) => service.spec?.selector).map((service) => key(service)),
  );
  for (const [kind, items] of Object.entries(all)) {
    for (const object of items as KubeObject[]) {
      if (isReflected(object) || writtenByHost(kind, object, selected)) continue;
      objects.set(
        `${kind} ${key(object)}`,
        `${object.metadata?.uid} ${object.metadata?.resourceVersion}`,
      );
    }
  }
  return { objects, selected };
}

/** A record of the host's unowned objects, to check at the end of a case that none was touched. */
export interface UnownedGuard {
  /** Throws, naming them, if an unowned object changed, went away or appeared since the record. */
  untouched(): Promise<void>;
  /**
   * Leaves `id` (`<resource> <namespace>/<name>`, e.g. `services shop/web`)
   * out of the check: the case itself changes, deletes or creates it.
   */
  exempt(id: string): void;
}

/** Records the host's unowned objects now. */
export async function guardUnowned(host: RestClient): Promise<UnownedGuard> {
  const before = (await unowned(host)).objects;
  const exempted = new Set<string>();
  return {
    exempt(id) {
      exempted.add(id);
    },
    async untouched() {
      const after = (await unowned(host)).objects;
      for (const id of exempted) {
        before.delete(id);
        after.delete(id);
      }
      const problems = [
        ...[...before].filter(([id, version]) => after.get(id) !== version).map(([id]) =>
          after.has(id) ? `changed: ${id}` : `deleted: ${id}`
        ),
        ...[...after.keys()].filter((id) => !before.has(id)).map((id) => `created: ${id}`),
      ];
      if (problems.length > 0) {
        throw new Error(`Objects without the project's marks were touched: ${problems.join("; ")}`);
      }
    },
  };
}

/** What {@linkcode invariantHolds} checks. */
export interface InvariantWorld {
  /** Admin client of the host. */
  host: RestClient;
  /** The sources whose state the host must say. */
  sources: readonly SourceView[];
  /** The unowned objects recorded at the start. */
  guard: UnownedGuard;
}

/**
 * A case's last words: the mirrors converge (the time it took is noted
 * under `name`, `convergence_log.ts`), then nothing unowned was touched.
 */
export async function invariantHolds(
  name: string,
  world: InvariantWorld,
  options: ConvergedOptions = {},
): Promise<void> {
  const ms = await converged(world.host, world.sources, options);
  await noteConvergence(name, ms);
  await world.guard.untouched();
}
