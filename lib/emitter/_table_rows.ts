/**
 * What every `meta.k8s.io/v1` Table of the Emitter shares, whoever makes
 * its cells (a built-in printer, or a CRD's printer columns): the checked
 * options, the list metadata, the column definitions copied per Table,
 * and each row's `object` as `includeObject` asks.
 *
 * @module
 */

import type { ObjectMeta } from "kubernetes-types/meta/v1.d.ts";
import { cannot } from "../cannot.ts";
import type { TableColumnDefinition } from "./_table_columns.ts";
import type { IncludeObject, Table, TableRow, ToTableOptions } from "./table_types.ts";

/** How the objects of one kind become rows. */
export interface TableLayout<T> {
  /** `kind` of the objects, set on rows' objects with `includeObject=Object`. */
  kind: string;
  /** `apiVersion` of the objects, likewise. */
  apiVersion: string;
  /** The columns, in order. */
  columns: readonly TableColumnDefinition[];
  /** One cell per column of `object` seen at `now`, in order. */
  cells(object: T, now: Date): unknown[];
}

const includeObjectValues: readonly string[] = ["None", "Metadata", "Object"];

/**
 * The Table of `objects` laid out by `layout`.
 *
 * @throws {RangeError} When `now` is an invalid Date.
 * @throws {TypeError} When `includeObject` is none of `None`, `Metadata`, `Object`.
 */
export function tableOf<T extends { metadata?: ObjectMeta }>(
  layout: TableLayout<T>,
  objects: readonly T[],
  options: ToTableOptions,
): Table {
  const { now = new Date(), includeObject = "Metadata" } = options;
  if (Number.isNaN(now.getTime())) {
    throw new RangeError(
      `Cannot render a Table as 'now' must be a valid Date: current value is ${now}`,
    );
  }
  if (!includeObjectValues.includes(includeObject)) {
    throw new TypeError(
      cannot(
        "render a Table",
        `'includeObject' must be "None", "Metadata" or "Object"`,
        includeObject,
      ),
    );
  }
  const metadata: Table["metadata"] = {};
  if (options.resourceVersion) metadata.resourceVersion = options.resourceVersion;
  if (options.continueToken) metadata.continue = options.continueToken;
  if (options.remainingItemCount !== undefined) {
    metadata.remainingItemCount = options.remainingItemCount;
  }
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: layout.columns.map((column) => ({ ...column })),
    rows: objects.map((object) => ({
      cells: layout.cells(object, now),
      object: rowObject(layout, object, includeObject),
    })),
  };
}

function rowObject<T extends { metadata?: ObjectMeta }>(
  layout: TableLayout<T>,
  object: T,
  includeObject: IncludeObject,
): TableRow["object"] {
  switch (includeObject) {
    case "None":
      return null;
    case "Object":
      // List items come without their type; the apiserver sets it on each row's object.
      return { ...object, kind: layout.kind, apiVersion: layout.apiVersion } as TableRow["object"];
    case "Metadata":
      return {
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: object.metadata ?? {},
      };
  }
}
