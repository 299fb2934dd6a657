/**
 * The shapes of `meta.k8s.io/v1` Tables as the Emitter renders them for
 * `kubectl get`, shared by the renderers (`table.ts`, `_table_rows.ts`,
 * `service_export_table.ts`).
 *
 * @module
 */

import type { Endpoints, Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import type { ObjectMeta } from "kubernetes-types/meta/v1.d.ts";
import type { ServiceExport } from "../mcs/api.ts";
import type { TableColumnDefinition } from "./_table_columns.ts";

/** The `metadata` of an object without the rest, as `meta.k8s.io/v1` sends it in Table rows. */
export interface PartialObjectMetadata {
  /** Always `meta.k8s.io/v1`. */
  apiVersion: "meta.k8s.io/v1";
  /** Always `PartialObjectMetadata`. */
  kind: "PartialObjectMetadata";
  /** The object's metadata. */
  metadata: ObjectMeta;
}

/** The kinds `toTable` (`table.ts`) renders, and their objects. */
export interface TableKinds {
  /** A core/v1 Service. */
  Service: Service;
  /** A core/v1 Endpoints. */
  Endpoints: Endpoints;
  /** A discovery.k8s.io/v1 EndpointSlice. */
  EndpointSlice: EndpointSlice;
}

/** One row of a {@linkcode Table}. */
export interface TableRow {
  /**
   * One cell per column definition, in order: strings for the built-in
   * kinds; for a custom resource, as its printer columns' types render
   * (a `date` as an age), `null` where the object has no value.
   */
  cells: unknown[];
  /** The object as asked by `includeObject`; `null` for `None`. */
  object: PartialObjectMetadata | TableKinds[keyof TableKinds] | ServiceExport | null;
}

/** A `meta.k8s.io/v1` Table. */
export interface Table {
  /** Always `meta.k8s.io/v1`. */
  apiVersion: "meta.k8s.io/v1";
  /** Always `Table`. */
  kind: "Table";
  /** List metadata; `{}` when nothing was given. */
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** The columns, in order. */
  columnDefinitions: TableColumnDefinition[];
  /** One row per object. */
  rows: TableRow[];
}

/** What each Table row carries besides its cells, as the `includeObject` query parameter. */
export type IncludeObject = "None" | "Metadata" | "Object";

/** Options of `toTable` (`table.ts`). */
export interface ToTableOptions {
  /** The time AGE is measured at. Defaults to the current time. */
  now?: Date;
  /** What each row's `object` holds. Defaults to `Metadata`, as the apiserver. */
  includeObject?: IncludeObject;
  /** `metadata.resourceVersion` of the Table. Omitted by default. */
  resourceVersion?: string;
  /** `metadata.continue` of the Table, for a paginated list. Omitted by default. */
  continueToken?: string;
  /** `metadata.remainingItemCount` of the Table, for a paginated list. Omitted by default. */
  remainingItemCount?: number;
}
