/**
 * The mirror model, the original's dialect: each exported source Service
 * becomes a selector-less mirror Service in the host, named as
 * `mirror_names.ts` says (merged: the Service's own name, for every source
 * that exports it; or per source, by a template), with EndpointSlices per
 * source and, optionally, core v1 Endpoints (`desired.ts`), written by the
 * kinds of `mirror_kinds.ts`.
 *
 * One thing is the mirror's own to follow up: a selector someone added to
 * a mirror by hand. The applier removes it, but the host's controllers may
 * have written endpoint objects for it meanwhile, which they leave behind;
 * once they are done, the mirror is checked for such strays, which are
 * reported and left alone.
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import {
  type KubeObject,
  objectKey,
  serviceNameLabel,
  sliceServiceKeys,
  splitObjectKey,
} from "../kube/object.ts";
import { endpoints, endpointSlices, services } from "../kube/resource.ts";
import type { RestClient } from "../kube/rest.ts";
import { isNotFound } from "../kube/status_error.ts";
import type { ReadonlyStore } from "../kube/store.ts";
import { isMirrorObject, isOurEndpoints, isOurSlice, sliceSource } from "../ownership.ts";
import type { SourceObjects } from "./_desired_inputs.ts";
import type { NameClaim } from "./_name_claims.ts";
import { type DesiredMirror, desiredMirror } from "./desired.ts";
import type { HostLayout } from "./desired_host.ts";
import { objectReference } from "./events.ts";
import type { AfterApply, HostModel, SettleContext, Settled } from "./host_model.ts";
import { isMirrorSlice, mirrorLayout } from "./mirror_kinds.ts";
import { MirrorNaming } from "./mirror_names.ts";

/** The host caches the mirror model reads. */
export interface MirrorCaches {
  /** Every Service in the Reflector's scope. */
  services: ReadonlyStore<Service>;
  /** The Reflector's own EndpointSlices. */
  endpointSlices: ReadonlyStore<EndpointSlice>;
  /** The Reflector's own core Endpoints. */
  endpoints: ReadonlyStore<Endpoints>;
}

/** Options of {@linkcode MirrorModel}. */
export interface MirrorModelOptions {
  /** Client of the host, to read the strays of a mirror. */
  rest: RestClient;
  /** The host caches, once made. */
  caches: () => MirrorCaches;
  /**
   * How mirrors are named (`mirror_names.ts`); defaults to merged.
   *
   * @throws {NameTemplateError} From the constructor, for a template that cannot be used.
   */
  nameTemplate?: string;
  /** Also write core v1 Endpoints. */
  legacyEndpoints: boolean;
  /** Whether a counted source exports a Service bearing on `key`. */
  claimed(key: string): boolean;
}

/** The mirror model (see the module doc). */
export class MirrorModel implements HostModel {
  readonly name = "mirror";
  readonly #options: MirrorModelOptions;
  readonly #naming: MirrorNaming;
  /** Keys whose mirror lost a hand-added selector, to be checked for strays once more. */
  readonly #strayChecks = new Set<string>();
  readonly reads: HostModel["reads"];

  /** Creates the model; it reads the caches only once asked. */
  constructor(options: MirrorModelOptions) {
    this.#options = options;
    this.#naming = new MirrorNaming(options.nameTemplate);
    this.reads = {
      // A host Service matters when it is ours (a mirror someone edited or
      // deleted is put back; GC starts from them) or when a source exports
      // its key (an unowned one that blocks a mirror: once it is deleted or
      // handed over, the mirror is written without waiting for the source).
      [services.resource]: (service) => {
        const key = objectKey(service);
        return isMirrorObject(service) || options.claimed(key) ? [key] : [];
      },
      [endpointSlices.resource]: (slice) => isMirrorSlice(slice) ? sliceServiceKeys(slice) : [],
      [endpoints.resource]: (object) => isMirrorObject(object) ? [objectKey(object)] : [],
    };
  }

  keysOf(service: Service, source: string): string[] {
    return [`${service.metadata?.namespace ?? ""}/${this.#naming.name(service, source)}`];
  }

  /** The claim of `objects`, its Service carrying the mirror's name (the source's, if renamed, noted). */
  claim(objects: SourceObjects): NameClaim {
    const { service, source } = objects;
    const { name = "" } = service.metadata ?? {};
    const mirrorName = this.#naming.name(service, source);
    const renamed = mirrorName !== name;
    return {
      claimant: this.#naming.claimant(service, source),
      objects: renamed
        ? {
          ...objects,
          service: { ...service, metadata: { ...service.metadata, name: mirrorName } },
          renamedFrom: name,
        }
        : objects,
    };
  }

  layout(key: string): HostLayout {
    return mirrorLayout(key);
  }

  desired(inputs: readonly SourceObjects[]): DesiredMirror {
    return desiredMirror(inputs, { legacyEndpoints: this.#options.legacyEndpoints });
  }

  heldKeys(): string[] {
    const { services, endpointSlices, endpoints } = this.#options.caches();
    return [
      ...services.list().filter(isMirrorObject).map(objectKey),
      ...endpointSlices.list().filter(isMirrorSlice).flatMap(sliceServiceKeys),
      ...endpoints.list().filter(isMirrorObject).map(objectKey),
    ];
  }

  keysWrittenFor(source: string): string[] {
    const slices = this.#options.caches().endpointSlices.list();
    return slices.filter((slice) => isMirrorSlice(slice) && sliceSource(slice) === source)
      .flatMap(sliceServiceKeys);
  }

  /**
   * A mirror whose hand-added selector the write removed is looked at again
   * once the host's controllers are done with it; then its strays are read.
   */
  async settled(key: string, settled: Settled, context: SettleContext): Promise<AfterApply> {
    const { before, after } = settled;
    if (!after) return { reports: [], again: false };
    const selected = (service: KubeObject | undefined) =>
      Object.keys((service as Service | undefined)?.spec?.selector ?? {}).length > 0;
    if (selected(before) && !selected(after)) {
      this.#strayChecks.add(key);
      return { reports: [], again: true };
    }
    if (!this.#strayChecks.delete(key)) return { reports: [], again: false };
    const strays = await this.#strays(key, context.signal);
    if (strays.length === 0) return { reports: [], again: false };
    const owner = objectReference(services, after);
    return { reports: [{ kind: "strays", key, owner, strays }], again: false };
  }

  /**
   * The endpoint objects of the mirror `key` that are not the Reflector's:
   * EndpointSlices labelled with its name and core Endpoints of its name.
   * The host's own controllers write them while a selector is on the
   * Service and leave them once it is gone, and kube-proxy then routes the
   * mirror's traffic to them too. Read from the server, as the host caches
   * hold only the Reflector's own.
   */
  async #strays(key: string, signal: AbortSignal): Promise<KubeObject[]> {
    const { rest } = this.#options;
    const { namespace = "", name = "" } = splitObjectKey(key);
    const { items } = await rest.list<EndpointSlice>(endpointSlices, {
      namespace,
      labelSelector: `${serviceNameLabel}=${name}`,
      signal,
    });
    const legacy = await rest.get<Endpoints>(endpoints, name, { namespace, signal })
      .catch((error) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
    return [
      // List items carry no kind; the report names it.
      ...items.filter((slice) => !isOurSlice(slice)).map((slice) => ({
        ...slice,
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
      })),
      ...(legacy && !isOurEndpoints(legacy) ? [legacy] : []),
    ];
  }
}
