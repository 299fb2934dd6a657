/**
 * Fault cases of an operator's sources file under a running command (its
 * own process, `--reflector.sources-file` a plain file listing east, the
 * default `--reflector.remove-grace`): the file rewritten in place
 * (truncated, a pause, written), emptied for a while and written back, and
 * replaced by a FIFO and by a character device (`/dev/zero`), at start-up
 * and while it runs. No mirror or slice may be deleted and none may change
 * its UID or ClusterIP; what cannot be read is reported, memory stays
 * bounded, a later change still applies, and the process still stops
 * cleanly. Each case ends with the shared invariant.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import type { Service } from "kubernetes-types/core/v1.d.ts";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.d.ts";
import { endpointSlices, services } from "../../lib/kube/resource.ts";
import type { RestClient } from "../../lib/kube/rest.ts";
import { freePorts } from "../cluster/ports.ts";
import { type CommandProcess, startCommand } from "../support/command.ts";
import { makeFifo } from "../support/fifo.ts";
import { delay, poll } from "../support/poll.ts";
import { exportSelector, type FaultWorld, faultWorld, shop } from "./fault_world.ts";
import { noteConvergence } from "./convergence_log.ts";
import { converged, invariantHolds } from "./invariant.ts";

/** The sources file listing east, and `more` lines of entries after it. */
const listing = (world: FaultWorld, more = "") =>
  `sources:\n  - {name: east, kubeconfig: ${world.east.kubeconfig}}\n${more}`;

/** An entry of a source nothing answers at, to tell that a new text was applied. */
const deadEntry = () => `  - {name: north, url: "http://127.0.0.1:${freePorts(1)[0]}"}\n`;

/** A directory holding `sources.yaml`, removed after `body`. */
async function withSourcesDir(body: (dir: string, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sources-faults-" });
  try {
    await body(dir, join(dir, "sources.yaml"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The command in west reading the sources file at `path` only. */
function reflecting(world: FaultWorld, path: string): Promise<CommandProcess> {
  return startCommand([
    `--kubeconfig=${world.west.kubeconfig}`,
    "--emitter=false",
    `--reflector.selector=${exportSelector}`,
    `--reflector.sources-file=${path}`,
  ]);
}

/** {@linkcode reflecting}, once ready; its logs are the error's message if it never is. */
async function readyReflecting(world: FaultWorld, path: string): Promise<CommandProcess> {
  const command = await reflecting(world, path);
  await command.ready().catch(async (error) => {
    await command.stop("SIGKILL");
    throw new Error(`Not ready; its logs:\n${command.logs()}`, { cause: error });
  });
  return command;
}

/** Every mirror Service and slice of the host: kind/name to UID (and a Service's ClusterIP). */
async function identities(host: RestClient): Promise<Map<string, string>> {
  const labelSelector = "app.kubernetes.io/managed-by=service-reflector";
  const mirrors = (await host.list<Service>(services, { namespace: shop, labelSelector })).items;
  const slices =
    (await host.list<EndpointSlice>(endpointSlices, { namespace: shop, labelSelector })).items;
  return new Map([
    ...mirrors.map((each) =>
      [`Service/${each.metadata?.name}`, `${each.metadata?.uid} ${each.spec?.clusterIP}`] as const
    ),
    ...slices.map((each) =>
      [`EndpointSlice/${each.metadata?.name}`, `${each.metadata?.uid}`] as const
    ),
  ]);
}

/** The deletes the command has written to the host, every resource together. */
async function deletes(command: CommandProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${command.listen}/metrics`)).text();
  return text.split("\n")
    .filter((line) =>
      line.startsWith("service_reflector_writes_total{") && line.includes('verb="delete"')
    )
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

/** The `[i]name: ` line of `/readyz?verbose`, or undefined. */
async function readyLine(command: CommandProcess, name: string): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${command.listen}/readyz?verbose`)).text();
  return text.split("\n").find((line) => line.startsWith(`[i]${name}: `));
}

/** Waits until the `[i]name` line of `/readyz?verbose` satisfies `test`; its text. */
function readyLineWhere(
  command: CommandProcess,
  name: string,
  test: (line: string) => boolean,
  description: string,
): Promise<string> {
  return poll(async () => {
    const line = await readyLine(command, name);
    return line !== undefined && test(line) ? line : undefined;
  }, { description, timeoutMs: 30_000 });
}

/** Checks that no mirror was deleted or replaced since `before`, and that the command deleted nothing. */
async function nothingReplaced(
  world: FaultWorld,
  command: CommandProcess,
  before: Map<string, string>,
): Promise<void> {
  deepStrictEqual(await identities(world.host), before, "same mirrors, UIDs and ClusterIPs");
  equal(await deletes(command), 0, "nothing deleted");
}

Deno.test("fault: a sources file truncated, then written a moment later, is one change: no mirror deleted or replaced", async () => {
  await faultWorld(async (world) => {
    await withSourcesDir(async (_, path) => {
      await Deno.writeTextFile(path, listing(world));
      await using command = await readyReflecting(world, path);
      await converged(world.host, world.sources);
      const before = await identities(world.host);
      ok(before.size > 0);
      // What `>` and most editors do: empty the file in place, then write the new text.
      await Deno.truncate(path, 0);
      await delay(300);
      await Deno.writeTextFile(path, listing(world, deadEntry()));
      const written = performance.now();
      await readyLineWhere(command, "source north", () => true, "the new text applied");
      await noteConvergence(
        "sources file truncated and written 0.3 s later: the new text applied",
        performance.now() - written,
      );
      ok(
        !command.logs().includes("the sources file lists no source"),
        "the empty file never applied",
      );
      await invariantHolds("sources file rewritten in place", world, { unsynced: ["north"] });
      await nothingReplaced(world, command, before);
      equal((await command.stop()).code, 0, command.logs());
    });
  });
});

Deno.test("fault: a sources file emptied for a while keeps every mirror through the grace, and east written back is adopted in place", async () => {
  await faultWorld(async (world) => {
    await withSourcesDir(async (_, path) => {
      await Deno.writeTextFile(path, listing(world));
      await using command = await readyReflecting(world, path);
      await converged(world.host, world.sources);
      const before = await identities(world.host);
      await Deno.truncate(path, 0);
      const warning = await readyLineWhere(
        command,
        "sources-file",
        (line) => line.includes("warning: it lists no source"),
        "the warning on /readyz?verbose",
      );
      ok(
        warning.includes("so east stopped") && warning.includes("(--reflector.remove-grace)"),
        warning,
      );
      ok(command.logs().includes("the sources file lists no source"), command.logs());
      ok(
        (await readyLine(command, "source east"))?.includes("removed, stopped"),
        "east stopped, inside its grace",
      );
      // Empty for a while: well past the time a change takes to apply, well inside the grace.
      await delay(5_000);
      await nothingReplaced(world, command, before);
      await Deno.writeTextFile(path, listing(world));
      const written = performance.now();
      await readyLineWhere(
        command,
        "source east",
        (line) => !line.includes("removed"),
        "east adopted back",
      );
      await noteConvergence(
        "sources file emptied for 5 s, then written back: east adopted",
        performance.now() - written,
      );
      ok(!(await readyLine(command, "sources-file"))?.includes("warning"), "the warning gone");
      await invariantHolds("sources file emptied for a while", world);
      await nothingReplaced(world, command, before);
      equal((await command.stop()).code, 0, command.logs());
    });
  });
});

Deno.test("fault: a FIFO and a character device as the sources file stop start-up with one line, and are reported unread while it runs", async () => {
  await faultWorld(async (world) => {
    await withSourcesDir(async (dir, path) => {
      // At start-up: exit 2, one line naming the flag, and no wait for a writer.
      await makeFifo(path);
      for (const [file, kind] of [[path, "a FIFO"], ["/dev/zero", "a character device"]]) {
        await using refused = await reflecting(world, file as string);
        let exited: Deno.CommandStatus | undefined;
        refused.child.status.then((status) => exited = status);
        const status = await poll(() => exited, {
          description: "start-up refused",
          timeoutMs: 30_000,
        });
        equal(status.code, 2, refused.logs());
        await refused.stop();
        const lines = refused.logs().trim().split("\n");
        equal(lines.length, 1, refused.logs());
        ok(
          lines[0]?.includes(
            `--reflector.sources-file: Cannot use sources file ${file}: it is ${kind}, not a regular file`,
          ),
          lines[0],
        );
      }

      await Deno.remove(path);
      await Deno.writeTextFile(path, listing(world));
      await using command = await readyReflecting(world, path);
      await converged(world.host, world.sources);
      const before = await identities(world.host);
      const rssBefore = await command.metric("process_resident_memory_bytes") ?? 0;
      // Each put in the file's place at once, as a rename does.
      await makeFifo(join(dir, "fifo"));
      await Deno.rename(join(dir, "fifo"), path);
      await readyLineWhere(
        command,
        "sources-file",
        (line) => line.endsWith("it is a FIFO, not a regular file"),
        "the FIFO reported",
      );
      await Deno.symlink("/dev/zero", join(dir, "zero"));
      await Deno.rename(join(dir, "zero"), path);
      await readyLineWhere(
        command,
        "sources-file",
        (line) => line.endsWith("it is a character device, not a regular file"),
        "the character device reported",
      );
      equal(await command.metric("service_reflector_config_last_reload_successful"), 0);
      // A poll (every 10 s) reads the file again whatever it looks like.
      await delay(11_000);
      const rssAfter = await command.metric("process_resident_memory_bytes") ?? 0;
      // Read to its end, /dev/zero grows a process by gigabytes in seconds.
      ok(rssAfter - rssBefore < 64 * 2 ** 20, `RSS from ${rssBefore} to ${rssAfter} bytes`);
      await nothingReplaced(world, command, before);

      await Deno.writeTextFile(join(dir, "next"), listing(world, deadEntry()));
      await Deno.rename(join(dir, "next"), path);
      const written = performance.now();
      await readyLineWhere(command, "source north", () => true, "the later change applied");
      await noteConvergence(
        "sources file a FIFO, then /dev/zero, then a good text: the good text applied",
        performance.now() - written,
      );
      equal(await command.metric("service_reflector_config_last_reload_successful"), 1);
      await invariantHolds("FIFO and character device as the sources file", world, {
        unsynced: ["north"],
      });
      await nothingReplaced(world, command, before);
      equal((await command.stop()).code, 0, command.logs());
    });
  });
});
