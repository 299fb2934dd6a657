import { equal } from "node:assert/strict";
import { isReflected } from "./ownership.ts";

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
