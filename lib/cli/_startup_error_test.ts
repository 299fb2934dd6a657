import { equal, ok, rejects } from "node:assert/strict";
import { KubeconfigError } from "../kube/config/kubeconfig_error.ts";
import { blaming, StartupError } from "./_startup_error.ts";

Deno.test("StartupError names the flag and keeps the cause's message and the cause", () => {
  const cause = new KubeconfigError("not-found", 'Cannot load kubeconfig "/k": file not found');
  const error = new StartupError("--kubeconfig", cause);
  equal(error.name, "StartupError");
  equal(error.flag, "--kubeconfig");
  equal(error.message, '--kubeconfig: Cannot load kubeconfig "/k": file not found');
  equal(error.cause, cause);
  equal(new StartupError("--x", "thrown text").message, "--x: thrown text");
});

Deno.test("blaming() passes a value through and turns any failure into a StartupError", async () => {
  equal(await blaming("--a", () => 1), 1);
  equal(await blaming("--a", () => Promise.resolve(2)), 2);
  const cause = new RangeError("bad");
  for (
    const load of [() => {
      throw cause;
    }, () => Promise.reject(cause)]
  ) {
    await rejects(blaming("--b", load), (error) => {
      ok(error instanceof StartupError);
      equal(error.flag, "--b");
      equal(error.cause, cause);
      return true;
    });
  }
});
