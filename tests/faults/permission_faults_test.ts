/**
 * Fault cases of the host's permissions, run as users run the command
 * (its own process) with the ServiceAccount and RBAC of `manifests/`: a
 * verb the host role loses at run time is visible while it is missing
 * (`/readyz?verbose`, a counter, one log line) and, once granted back, the
 * mirrors converge and the line goes. Each ends with the shared invariant.
 */
import { equal, ok } from "node:assert/strict";
import { type CommandProcess, startCommand } from "../support/command.ts";
import { withTempDir } from "../support/kubeconfig_fixtures.ts";
import { applyClusterRole, installIdentity } from "../support/manifests_identity.ts";
import { poll } from "../support/poll.ts";
import { applyAll, exportedObjects, exportSelector, faultWorld } from "./fault_world.ts";
import { converged, invariantHolds } from "./invariant.ts";
import { noteConvergence } from "./convergence_log.ts";

const deniedMetric = "service_reflector_writes_denied_total";

/** `/readyz?verbose` of `command`: its status and its lines. */
async function readiness(command: CommandProcess): Promise<{ status: number; lines: string[] }> {
  const response = await fetch(`http://127.0.0.1:${command.listen}/readyz?verbose`);
  return { status: response.status, lines: (await response.text()).trim().split("\n") };
}

/** The JSON log lines of `command` whose message starts with `message`. */
function logged(command: CommandProcess, message: string): Record<string, unknown>[] {
  return command.logs().split("\n").filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => String(line["msg"]).startsWith(message));
}

Deno.test("fault: the host role losing update on endpointslices at run time is visible while missing, and converges once granted back", async () => {
  await faultWorld(async (world) => {
    await withTempDir(async (dir) => {
      const { kubeconfig } = await installIdentity(world.west, dir);
      // The install's namespace, made by the test as an operator would.
      world.guard.exempt("namespaces /service-reflector");
      await using command = await startCommand([
        `--kubeconfig=${kubeconfig}`,
        "--emitter=false",
        `--reflector.source-kubeconfig=east=${world.east.kubeconfig}`,
        `--reflector.selector=${exportSelector}`,
      ]);
      await command.ready();
      await converged(world.host, world.sources);
      await poll(
        () => command.logs().includes('"host permissions checked"') || undefined,
        { description: "the start-up permission check" },
      );
      equal(logged(command, "the host does not grant").length, 0, "the manifests grant it all");

      const revoked = performance.now();
      await applyClusterRole(world.west, {
        resource: "endpointslices",
        verbs: ["update", "patch"],
      });
      // svc-1 gains an endpoint: its mirror slice needs an update, which the host refuses.
      await applyAll(world.east, [exportedObjects(1, 3)[1]]);
      const line = await poll(async () => {
        const { status, lines } = await readiness(command);
        const found = lines.find((each) => each.startsWith("[i]host-write update endpointslices:"));
        return found === undefined ? undefined : { status, found, last: lines.at(-1) };
      }, { description: "the denied update on /readyz?verbose" });
      await noteConvergence(
        "host role loses update on endpointslices: to its /readyz?verbose line",
        performance.now() - revoked,
      );
      ok(line.found.includes("denied (403 Forbidden)"), line.found);
      ok(line.found.includes("last for shop/svc-1"), line.found);
      equal(line.status, 200, "informational: the replica stays ready");
      equal(line.last, "readyz check passed");
      const first = await command.metric(deniedMetric) ?? 0;
      ok(first >= 1, `${deniedMetric} ${first}`);
      await poll(async () => (await command.metric(deniedMetric) ?? 0) > first || undefined, {
        description: `${deniedMetric} growing while the key is retried`,
      });
      const warned = logged(command, "the host refused a write for want of a permission");
      equal(warned.length, 1, "one line per change, not per retry");
      equal(warned[0]?.["verb"], "update");
      equal(warned[0]?.["resource"], "endpointslices");
      equal(warned[0]?.["code"], 403);

      await applyClusterRole(world.west);
      await invariantHolds("host role's update on endpointslices granted back", world);
      const { lines } = await readiness(command);
      equal(lines.filter((each) => each.startsWith("[i]host-write")).length, 0, lines.join("\n"));
      equal(logged(command, "the host accepts this kind of write again").length, 1);
      equal((await command.stop()).code, 0, command.logs());
    });
  }, { services: 5 });
});
