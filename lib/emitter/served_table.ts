/**
 * The Table of a served resource's objects, made where kube-apiserver
 * makes it: a built-in kind's by its printers (the renderer the Emitter is
 * given, `toTable`), a custom resource's (ServiceExports) from its CRD's
 * printer columns (`service_export_table.ts`).
 *
 * @module
 */

import type { KubeObject } from "../kube/object.ts";
import type { McsVersion, ServiceExport } from "../mcs/api.ts";
import { type BuiltinResource, isBuiltin, type ServedResource } from "./routes.ts";
import { serviceExportTable } from "./service_export_table.ts";

/** Renders objects of a built-in resource as a `meta.k8s.io/v1` Table (for `kubectl get`). */
export type TableRenderer = (
  resource: BuiltinResource,
  objects: KubeObject[],
  resourceVersion: string,
) => unknown;

/** The Table of `objects` of `resource` at `resourceVersion`; built-in kinds through `renderer`. */
export function servedTable(
  renderer: TableRenderer,
  resource: ServedResource,
  objects: KubeObject[],
  resourceVersion: string,
): unknown {
  if (isBuiltin(resource)) return renderer(resource, objects, resourceVersion);
  // The resource was made of its version (`serviceExportsResource`): `<group>/<version>`.
  const version = resource.apiVersion.split("/")[1] as McsVersion;
  return serviceExportTable(objects as ServiceExport[], { version, resourceVersion });
}
