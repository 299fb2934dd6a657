import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { serviceExportColumns, serviceExportTable } from "./service_export_table.ts";

const now = new Date("2024-03-01T12:00:00Z");

Deno.test("serviceExportTable() renders NAME and the AGE printer column of mcs-api's CRD", () => {
  const table = serviceExportTable([
    { metadata: { name: "web", creationTimestamp: "2024-03-01T11:58:58Z" } },
    { metadata: { name: "api", creationTimestamp: "2024-02-20T12:00:00Z" } },
    { metadata: { name: "new" } },
    { metadata: { name: "odd", creationTimestamp: "yesterday" } },
    { metadata: { name: "zero", creationTimestamp: "" } },
  ], { now, resourceVersion: "7" });
  deepStrictEqual(table.columnDefinitions.map((column) => [column.name, column.type]), [
    ["Name", "string"],
    ["Age", "date"],
  ]);
  equal(
    table.columnDefinitions[1]?.description,
    "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp",
  );
  deepStrictEqual(table.rows.map((row) => row.cells), [
    ["web", "62s"],
    ["api", "10d"],
    ["new", null],
    ["odd", "<invalid>"],
    ["zero", "<unknown>"],
  ]);
  deepStrictEqual(table.metadata, { resourceVersion: "7" });
});

Deno.test("serviceExportTable() sets the served version on rows' objects with includeObject=Object", () => {
  const exported = { metadata: { name: "web", uid: "u" }, spec: { exportedLabels: { a: "b" } } };
  deepStrictEqual(serviceExportTable([exported], { includeObject: "Object" }).rows[0]?.object, {
    ...exported,
    kind: "ServiceExport",
    apiVersion: "multicluster.x-k8s.io/v1beta1",
  });
  deepStrictEqual(
    serviceExportTable([exported], { includeObject: "Object", version: "v1alpha1" }).rows[0]
      ?.object,
    { ...exported, kind: "ServiceExport", apiVersion: "multicluster.x-k8s.io/v1alpha1" },
  );
  deepStrictEqual(serviceExportTable([exported]).rows[0]?.object, {
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1",
    metadata: { name: "web", uid: "u" },
  });
  equal(serviceExportTable([exported], { includeObject: "None" }).rows[0]?.object, null);
});

Deno.test("serviceExportTable() returns column definitions a caller may change", () => {
  const first = serviceExportTable([]);
  first.columnDefinitions.length = 0;
  const [name] = serviceExportTable([]).columnDefinitions;
  if (name) name.name = "changed";
  deepStrictEqual(serviceExportTable([]).columnDefinitions, [...serviceExportColumns]);
  equal(serviceExportColumns[0]?.name, "Name");
});

Deno.test("serviceExportTable() refuses an unknown includeObject or now", () => {
  throws(() => serviceExportTable([], { includeObject: "All" as "None" }), {
    name: "TypeError",
    message:
      `Cannot render a Table as 'includeObject' must be "None", "Metadata" or "Object": current value is "All"`,
  });
  throws(() => serviceExportTable([], { now: new Date(Number.NaN) }), {
    name: "RangeError",
    message: "Cannot render a Table as 'now' must be a valid Date: current value is Invalid Date",
  });
});
