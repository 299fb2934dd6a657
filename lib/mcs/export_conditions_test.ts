import { deepStrictEqual, equal } from "node:assert/strict";
import { conflictReason, exportConditions, type ExportState } from "./export_conditions.ts";

const at = new Date("2026-12-07T10:00:00.123Z");
const later = new Date("2026-12-07T11:00:00Z");
const exported: ExportState = {
  serviceType: "ClusterIP",
  imported: true,
  conflicts: [],
  generation: 1,
};
const said = (state: ExportState, previous = [] as ReturnType<typeof exportConditions>) =>
  exportConditions(state, previous, at).map(({ type, status, reason }) =>
    `${type}=${status}:${reason}`
  );

Deno.test("exportConditions() says Valid, Ready and Conflict as the MCS API names them", () => {
  deepStrictEqual(said(exported), [
    "Valid=True:Valid",
    "Ready=True:Exported",
    "Conflict=False:NoConflicts",
  ]);
  deepStrictEqual(said({ ...exported, serviceType: undefined, imported: false }), [
    "Valid=False:NoService",
    "Ready=False:Pending",
    "Conflict=False:NoConflicts",
  ]);
  deepStrictEqual(said({ ...exported, serviceType: "ExternalName" }), [
    "Valid=False:InvalidServiceType",
    "Ready=False:Pending",
    "Conflict=False:NoConflicts",
  ]);
  deepStrictEqual(
    said({ ...exported, conflicts: ["publishNotReadyAddresses", "ports[http]", "type"] }),
    [
      "Valid=True:Valid",
      "Ready=True:Exported",
      "Conflict=True:PortConflict",
    ],
  );
  const [, , conflict] = exportConditions(
    { ...exported, conflicts: ["ports[http]", "type"] },
    [],
    at,
  );
  equal(
    conflict?.message,
    "The cluster set resolves a conflict on ports[http], type for the oldest export",
  );
  equal(conflict?.lastTransitionTime, "2026-12-07T10:00:00Z", "seconds, as metav1.Time");
  equal(conflict?.observedGeneration, 1);
});

Deno.test("exportConditions() keeps the transition time of a condition whose status and reason stand", () => {
  const first = exportConditions(exported, [], at);
  const again = exportConditions({ ...exported, imported: false }, first, later);
  deepStrictEqual(again.map((each) => each.lastTransitionTime), [
    "2026-12-07T10:00:00Z",
    "2026-12-07T11:00:00Z",
    "2026-12-07T10:00:00Z",
  ]);
});

Deno.test("conflictReason() maps each field the merge names to the API's reason", () => {
  deepStrictEqual(
    [
      "ports[]",
      "type",
      "sessionAffinity",
      "sessionAffinityConfig",
      "ipFamilies",
      "internalTrafficPolicy",
      "trafficDistribution",
      "labels",
      "annotations",
      "publishNotReadyAddresses",
    ].map(conflictReason),
    [
      "PortConflict",
      "TypeConflict",
      "SessionAffinityConflict",
      "SessionAffinityConfigConflict",
      "IPFamilyConflict",
      "InternalTrafficPolicyConflict",
      "TrafficDistributionConflict",
      "LabelsConflict",
      "AnnotationsConflict",
      undefined,
    ],
  );
});
