/**
 * `meta.k8s.io/v1` Tables of ServiceExports, as kube-apiserver answers
 * `kubectl get serviceexports`. A custom resource has no built-in printer:
 * apiextensions-apiserver makes its Table from the CRD's printer columns,
 * after the NAME column every Table starts with. mcs-api's CRDs declare
 * one, in both versions: `Age`, of type `date`, from
 * `.metadata.creationTimestamp`.
 *
 * Contract, matching kube-apiserver v1.37:
 * - the columns are NAME and AGE, AGE of type `date` and described by its
 *   JSONPath, as the apiserver describes a printer column without a
 *   description of its own;
 * - the AGE cell is the time since the timestamp, as the built-in
 *   printers' (`<invalid>` for one that does not parse, `<unknown>` for an
 *   empty one), and `null` for an object without one (the JSONPath finds
 *   nothing);
 * - the rest (list metadata, `includeObject`, `now`) as for the built-in
 *   kinds (`table.ts`).
 *
 * @module
 */

import { nameColumn, type TableColumnDefinition } from "./_table_columns.ts";
import { humanDuration } from "./_table_duration.ts";
import { tableOf } from "./_table_rows.ts";
import { mcsGroup, type McsVersion, type ServiceExport } from "../mcs/api.ts";
import type { Table, ToTableOptions } from "./table.ts";

/** Options of {@linkcode serviceExportTable}. */
export interface ServiceExportTableOptions extends ToTableOptions {
  /** The version the objects are served in (their `apiVersion` in rows). Defaults to `v1beta1`. */
  version?: McsVersion;
}

/** The columns of mcs-api's ServiceExport CRD: NAME, AGE. */
export const serviceExportColumns: readonly TableColumnDefinition[] = [
  { ...nameColumn },
  {
    name: "Age",
    type: "date",
    format: "",
    description:
      "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp",
    priority: 0,
  },
];

/**
 * Renders `objects` as kube-apiserver's Table of ServiceExports.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { serviceExportTable } from "./service_export_table.ts";
 *
 * const table = serviceExportTable([{
 *   metadata: { name: "web", creationTimestamp: "2024-01-01T00:00:00Z" },
 * }], { now: new Date("2024-01-01T00:03:02Z") });
 * deepStrictEqual(table.rows[0]?.cells, ["web", "3m2s"]);
 * ```
 *
 * @throws {RangeError} When `now` is an invalid Date.
 * @throws {TypeError} When `includeObject` is none of `None`, `Metadata`, `Object`.
 */
export function serviceExportTable(
  objects: readonly ServiceExport[],
  options: ServiceExportTableOptions = {},
): Table {
  const { version = "v1beta1", ...rest } = options;
  return tableOf(
    {
      kind: "ServiceExport",
      apiVersion: `${mcsGroup}/${version}`,
      columns: serviceExportColumns,
      cells: (object, now) => [
        object.metadata?.name ?? "",
        dateCell(object.metadata?.creationTimestamp, now),
      ],
    },
    objects,
    rest,
  );
}

/**
 * A `date` printer column's cell, as apiextensions-apiserver renders one:
 * `null` without a value, `<unknown>` for the empty (zero) time.
 */
function dateCell(timestamp: string | undefined, now: Date): string | null {
  if (timestamp === undefined) return null;
  if (timestamp === "") return "<unknown>";
  const time = Date.parse(timestamp);
  return Number.isNaN(time) ? "<invalid>" : humanDuration(now.getTime() - time);
}
