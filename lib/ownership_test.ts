import { equal } from "node:assert/strict";
import { isOurEndpoints, isOurSlice, isReflected, sliceSource } from "./ownership.ts";

Deno.test("isReflected() recognizes this project's labels and the original's annotation", () => {
  equal(
    isReflected({ metadata: { labels: { "app.kubernetes.io/managed-by": "service-reflector" } } }),
    true,
  );
  equal(
    isReflected({
      metadata: {
        labels: { "endpointslice.kubernetes.io/managed-by": "service-reflector.squat.ai" },
      },
    }),
    true,
  );
  equal(
    isReflected({ metadata: { annotations: { "service-reflector.squat.ai/reflected": "true" } } }),
    true,
  );
});

Deno.test("isReflected() leaves other objects alone", () => {
  equal(isReflected({ metadata: { labels: { "app.kubernetes.io/managed-by": "helm" } } }), false);
  equal(
    isReflected({
      metadata: {
        labels: { "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" },
      },
    }),
    false,
  );
  equal(
    isReflected({ metadata: { annotations: { "service-reflector.squat.ai/reflected": "false" } } }),
    false,
  );
  equal(isReflected({}), false);
});

Deno.test("isOurSlice() and isOurEndpoints() go by the Reflector's marks only, never by names", () => {
  const labelled = (labels: Record<string, string>) => ({ metadata: { name: "web", labels } });
  equal(
    isOurSlice(
      labelled({ "endpointslice.kubernetes.io/managed-by": "service-reflector.squat.ai" }),
    ),
    true,
  );
  equal(
    isOurSlice(
      labelled({ "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" }),
    ),
    false,
  );
  equal(isOurSlice(labelled({ "app.kubernetes.io/managed-by": "service-reflector" })), false);
  equal(isOurEndpoints(labelled({ "app.kubernetes.io/managed-by": "service-reflector" })), true);
  equal(isOurEndpoints(labelled({ "app.kubernetes.io/managed-by": "helm" })), false);
  equal(isOurEndpoints({ metadata: { name: "web" } }), false);
});

Deno.test("sliceSource() reads the source-cluster label, and is empty without it", () => {
  equal(
    sliceSource({
      metadata: {
        labels: {
          "multicluster.kubernetes.io/source-cluster": "east",
          "service-reflector.squat.ai/source": "x",
        },
      },
    }),
    "east",
  );
  equal(sliceSource({ metadata: { labels: { "service-reflector.squat.ai/source": "east" } } }), "");
});
