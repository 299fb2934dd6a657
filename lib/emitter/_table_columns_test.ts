import { deepStrictEqual, equal } from "node:assert/strict";
import { endpointsColumns, endpointSliceColumns, serviceColumns } from "./_table_columns.ts";

// The full definitions, descriptions included, are compared with a real
// apiserver's in table_test.ts; this pins their shape.

Deno.test("column definitions name the columns kubectl shows", () => {
  const names = (columns: typeof serviceColumns) => columns.map((column) => column.name);
  deepStrictEqual(names(serviceColumns), [
    "Name",
    "Type",
    "Cluster-IP",
    "External-IP",
    "Port(s)",
    "Age",
    "Selector",
  ]);
  deepStrictEqual(names(endpointsColumns), ["Name", "Endpoints", "Age"]);
  deepStrictEqual(names(endpointSliceColumns), [
    "Name",
    "AddressType",
    "Ports",
    "Endpoints",
    "Age",
  ]);
});

Deno.test("column definitions are strings, Name is the name column, only Selector is wide", () => {
  for (const column of [...serviceColumns, ...endpointsColumns, ...endpointSliceColumns]) {
    equal(column.type, "string");
    equal(column.format, column.name === "Name" ? "name" : "");
    equal(column.priority, column.name === "Selector" ? 1 : 0);
    equal(column.description.length > 0, true);
  }
});
