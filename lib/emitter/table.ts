/**
 * Server-side `meta.k8s.io/v1` Tables of Services, Endpoints and
 * EndpointSlices, as kube-apiserver answers `kubectl get` (which sends
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...`).
 *
 * Contract, matching kube-apiserver v1.37:
 * - the columns and every cell are those of the apiserver's printers; the
 *   SELECTOR column (priority 1) is always sent and kubectl shows it only
 *   with `-o wide`;
 * - one row per object, in the order given;
 * - each row's `object` follows `includeObject`: `Metadata` (the default) a
 *   `PartialObjectMetadata` holding the object's whole `metadata`, `Object`
 *   the object itself with its `apiVersion` and `kind`, `None` `null`;
 * - the Table's `metadata` carries the list's resourceVersion, continue
 *   token and remaining item count when given. For a single-object GET the
 *   apiserver sends the object's own resourceVersion: pass that.
 *
 * Rows share the objects' `metadata` (and, with `Object`, the objects), so
 * a Table must be serialized, not mutated.
 *
 * ServiceExports, a custom resource, are not a kind of these printers: the
 * apiserver renders their CRD's printer columns (`service_export_table.ts`).
 *
 * @module
 */

import { endpointsCells, endpointSliceCells, serviceCells } from "./_table_cells.ts";
import {
  endpointsColumns,
  endpointSliceColumns,
  serviceColumns,
  type TableColumnDefinition,
} from "./_table_columns.ts";
import { cannot } from "../cannot.ts";
import { tableOf } from "./_table_rows.ts";
import type { Table, TableKinds, ToTableOptions } from "./table_types.ts";

export { isTableRequest } from "./_table_accept.ts";
export type { TableColumnDefinition } from "./_table_columns.ts";

export type {
  IncludeObject,
  PartialObjectMetadata,
  Table,
  TableKinds,
  TableRow,
  ToTableOptions,
} from "./table_types.ts";

interface Printer<T> {
  apiVersion: string;
  columns: readonly TableColumnDefinition[];
  cells(object: T, now: Date): string[];
}

const printers: { [K in keyof TableKinds]: Printer<TableKinds[K]> } = {
  Service: { apiVersion: "v1", columns: serviceColumns, cells: serviceCells },
  Endpoints: { apiVersion: "v1", columns: endpointsColumns, cells: endpointsCells },
  EndpointSlice: {
    apiVersion: "discovery.k8s.io/v1",
    columns: endpointSliceColumns,
    cells: endpointSliceCells,
  },
};

/**
 * Renders `objects` of `kind` as kube-apiserver's Table for `kubectl get`.
 *
 * @example Usage
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { toTable } from "./table.ts";
 *
 * const table = toTable("Service", [{
 *   metadata: { name: "web", creationTimestamp: "2024-01-01T00:00:00Z" },
 *   spec: { type: "ClusterIP", clusterIPs: ["10.96.0.10"], ports: [{ port: 80, protocol: "TCP" }] },
 * }], { now: new Date("2024-01-01T00:03:02Z") });
 * equal(table.rows[0]?.cells.join(" "), "web ClusterIP 10.96.0.10 <none> 80/TCP 3m2s <none>");
 * ```
 */
export function toTable<K extends keyof TableKinds>(
  kind: K,
  objects: readonly TableKinds[K][],
  options: ToTableOptions = {},
): Table {
  if (!Object.hasOwn(printers, kind)) {
    throw new TypeError(
      cannot("render a Table", `'kind' must be "Service", "Endpoints" or "EndpointSlice"`, kind),
    );
  }
  const printer: Printer<TableKinds[K]> = printers[kind];
  return tableOf({ kind, ...printer }, objects, options);
}
