/**
 * The shared invariant can fail: it rejects a host that does not say what
 * the sources say, and names every unowned object touched.
 */
import { match, rejects } from "node:assert/strict";
import { startReflector } from "../support/reflector_harness.ts";
import { adminConfig } from "../support/client_configs.ts";
import { exportSelector, faultWorld } from "./fault_world.ts";
import { converged } from "./invariant.ts";

Deno.test("the invariant rejects missing mirrors and endpoints the host has not followed, and names unowned objects changed, deleted or created", async () => {
  await faultWorld(async ({ east, west, host, sources, guard }) => {
    await rejects(converged(host, sources, { timeoutMs: 1_000 }), (error: Error) => {
      match(error.message, /sources say: .*shop\/svc-0.*\n {2}host holds: {2}\[\]/s);
      return true;
    });
    const reflect = () =>
      startReflector({
        host: west,
        sources: [{ name: "east", config: adminConfig(east), selector: exportSelector }],
      });
    const first = reflect();
    try {
      await converged(host, sources);
    } finally {
      await first.stop();
    }
    // A source change the host has not followed yet (no Reflector runs) is a difference too.
    await east.kubectl("delete", "endpointslice", "svc-1-a", "-n", "shop");
    await rejects(converged(host, sources, { timeoutMs: 1_000 }), (error: Error) => {
      match(error.message, /sources say: .*\["shop\/svc-1",\["http\/80\/TCP"\],\{\}\]/);
      match(
        error.message,
        /host holds: .*\["shop\/svc-1",\["http\/80\/TCP"\],\{"east":\["10\.0\.1\.1:true","10\.0\.1\.2:true"\]\}\]/,
      );
      return true;
    });
    const second = reflect();
    try {
      await converged(host, sources);
    } finally {
      await second.stop();
    }
    await guard.untouched();
    await west.kubectl("label", "service", "local", "-n", "shop", "touched=yes");
    await west.kubectl("delete", "service", "svc-0", "-n", "mine");
    await west.kubectl("create", "service", "clusterip", "new", "-n", "mine", "--tcp=1:1");
    await rejects(guard.untouched(), (error: Error) => {
      match(error.message, /changed: services shop\/local/);
      match(error.message, /deleted: services mine\/svc-0/);
      match(error.message, /created: services mine\/new/);
      return true;
    });
  }, { services: 3 });
});
