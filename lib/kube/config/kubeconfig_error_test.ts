import { equal, ok } from "node:assert/strict";
import { KubeconfigError } from "./kubeconfig_error.ts";

Deno.test("KubeconfigError keeps its message, reason, file and cause", () => {
  const cause = new Deno.errors.NotFound("gone");
  const error = new KubeconfigError("not-found", 'Cannot load kubeconfig "/k": file not found', {
    file: "/k",
    cause,
  });
  ok(error instanceof Error);
  equal(error.name, "KubeconfigError");
  equal(error.message, 'Cannot load kubeconfig "/k": file not found');
  equal(error.reason, "not-found");
  equal(error.file, "/k");
  equal(error.cause, cause);
});

Deno.test("KubeconfigError without a file or cause has neither", () => {
  const error = new KubeconfigError("context-not-found", "Cannot load kubeconfig as no context");
  equal(error.file, undefined);
  equal("cause" in error, false);
});
