import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { Registry } from "prom-client";
import { configMapDir } from "../../tests/support/configmap_dir.ts";
import { makeFifo } from "../../tests/support/fifo.ts";
import { delay, poll } from "../../tests/support/poll.ts";
import { createLogger } from "../log/logger.ts";
import { defaultSourceLimits } from "../reflector/source_limits.ts";
import type { SourceConfig } from "../reflector/source_config.ts";
import { configFromUrl } from "../kube/config/client_config.ts";
import { SourcesFileError } from "./_sources_file.ts";
import { maxSourcesFileBytes, SourcesFile, sourcesFileStableMs } from "./_sources_reload.ts";

const defaults = { selector: "export=yes", limits: defaultSourceLimits };
const fixed: SourceConfig[] = [{
  name: "flagged",
  config: configFromUrl("http://127.0.0.1:1"),
  selector: "export=yes",
}];
const listing = (...names: string[]) =>
  `sources:\n${
    names.map((name) => `  - {name: ${name}, url: "http://${name}.test:8080"}\n`).join("")
  }`;

async function metric(registry: Registry, name: string): Promise<string | undefined> {
  return (await registry.metrics()).split("\n").find((line) => line.startsWith(`${name} `));
}

Deno.test("SourcesFile follows a ConfigMap's ..data swap, keeps the last good sources through a bad file, and ignores an unchanged one", async () => {
  await using mounted = await configMapDir({ "sources.yaml": listing("east") });
  const path = mounted.path("sources.yaml");
  const file = await SourcesFile.load({ path, fixed, defaults });
  deepStrictEqual(file.sources.map((source) => source.name), ["flagged", "east"]);
  const applied: string[][] = [];
  const registry = new Registry();
  const logged: string[] = [];
  const stop = new AbortController();
  // Polling is left out (an hour): only a look at where the path leads can tell the swap.
  const running = file.run({
    signal: stop.signal,
    apply: (sources) => applied.push(sources.map((source) => source.name)),
    logger: createLogger({ write: (line) => logged.push(line), level: "all" }),
    registry,
    pollMs: 3_600_000,
  });
  try {
    await mounted.update({ "sources.yaml": listing("east", "north") });
    await poll(() => applied.length === 1 || undefined, { description: "the swap reloaded" });
    deepStrictEqual(applied, [["flagged", "east", "north"]]);
    equal(
      await metric(registry, "service_reflector_config_last_reload_successful"),
      "service_reflector_config_last_reload_successful 1",
    );

    await mounted.update({ "sources.yaml": "sources: [{name: south}]\n" });
    await poll(
      async () =>
        await metric(registry, "service_reflector_config_reload_errors_total") ===
          "service_reflector_config_reload_errors_total 1" || undefined,
      {
        description: "the bad file counted",
      },
    );
    equal(
      await metric(registry, "service_reflector_config_last_reload_successful"),
      "service_reflector_config_last_reload_successful 0",
    );
    deepStrictEqual(applied.length, 1, "nothing applied");
    deepStrictEqual(file.sources.map((source) => source.name), ["flagged", "east", "north"]);
    const line = file.describe(Date.now());
    ok(
      line.startsWith("reload failed 0s ago, the last good configuration runs (2 sources loaded"),
      line,
    );
    ok(line.includes('sources[0] ("south") must have exactly one of url and kubeconfig'), line);
    ok(logged.some((each) => each.includes("cannot reload the sources file")));

    // A flag source's name is not the file's to take.
    await mounted.update({ "sources.yaml": listing("flagged") });
    await poll(
      async () =>
        await metric(registry, "service_reflector_config_reload_errors_total") ===
          "service_reflector_config_reload_errors_total 2" || undefined,
      {
        description: "the clash counted",
      },
    );
    ok(
      file.describe(Date.now()).includes(
        'sources[0].name "flagged" is already used by a --reflector.source-api',
      ),
    );

    await mounted.update({ "sources.yaml": listing("north") });
    await poll(() => applied.length === 2 || undefined, { description: "the good file reloaded" });
    deepStrictEqual(applied[1], ["flagged", "north"]);
    ok(file.describe(Date.now()).startsWith("1 sources loaded 0s ago, "));

    // The same text again (a new version of the same data) applies nothing.
    await mounted.update({ "sources.yaml": listing("north") });
    await new Promise((resolve) => setTimeout(resolve, 500));
    equal(applied.length, 2);
  } finally {
    stop.abort();
    await running;
  }
});

Deno.test("SourcesFile.load() rejects a file it cannot read, naming it", async () => {
  await rejects(
    SourcesFile.load({ path: "/nonexistent/sources.yaml", fixed, defaults }),
    (error: unknown) =>
      error instanceof SourcesFileError &&
      error.message.startsWith(
        "Cannot use sources file /nonexistent/sources.yaml: it cannot be read: ",
      ),
  );
});

Deno.test("SourcesFile.load() reads paths relative to the file and checks a source's namespace against --namespace", async () => {
  await using mounted = await configMapDir({
    "sources.yaml":
      'sources: [{name: east, url: "http://east.test", tokenFile: token, namespace: shop}]\n',
    token: "secret\n",
  });
  const path = mounted.path("sources.yaml");
  const file = await SourcesFile.load({ path, fixed: [], defaults });
  const [east] = file.sources;
  equal((await east?.config.credentials.get())?.token, "secret");
  equal(east?.namespace, "shop");
  await rejects(
    SourcesFile.load({ path, fixed: [], defaults: { ...defaults, namespace: "other" } }),
    /sources\[0\] \("east"\)\.namespace must be --namespace "other", the only one reflected: current value is "shop"/,
  );
});

/** `file` kept live until the returned value is disposed; what it applied and logged. */
function watching(file: SourcesFile) {
  const applied: string[][] = [];
  const logged: string[] = [];
  const registry = new Registry();
  const stop = new AbortController();
  // Polling is left out (an hour): a look at the path tells every change here.
  const running = file.run({
    signal: stop.signal,
    apply: (sources) => applied.push(sources.map((source) => source.name)),
    logger: createLogger({ write: (line) => logged.push(line), level: "all" }),
    registry,
    pollMs: 3_600_000,
  });
  return {
    applied,
    logged,
    /** The value of the unlabelled metric `name`, or undefined. */
    metric: async (name: string) => (await metric(registry, name))?.split(" ")[1],
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
    },
  };
}

/** A temporary directory holding `sources.yaml` with `text`, removed on dispose. */
async function plainFile(text: string) {
  const dir = await Deno.makeTempDir({ prefix: "sources-file-" });
  const path = join(dir, "sources.yaml");
  await Deno.writeTextFile(path, text);
  return { dir, path, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("SourcesFile applies a text only once two reads a second apart agree, so a truncate-then-write is one change", async () => {
  await using file = await plainFile(listing("east"));
  const loaded = await SourcesFile.load({ path: file.path, fixed, defaults });
  await using watched = watching(loaded);
  // What `>` and most editors do: empty the file, then write it, a moment later.
  await Deno.truncate(file.path, 0);
  await delay(sourcesFileStableMs / 2);
  await Deno.writeTextFile(file.path, listing("east", "north"));
  await poll(() => watched.applied.length > 0 || undefined, { description: "the rewrite applied" });
  await delay(sourcesFileStableMs * 2);
  deepStrictEqual(
    watched.applied,
    [["flagged", "east", "north"]],
    "one change, never the empty file",
  );
});

Deno.test("SourcesFile clears a failed read once the file reads as last loaded again", async () => {
  await using file = await plainFile(listing("east"));
  const loaded = await SourcesFile.load({ path: file.path, fixed, defaults });
  await using watched = watching(loaded);
  await Deno.remove(file.path);
  await poll(
    async () =>
      await watched.metric("service_reflector_config_last_reload_successful") === "0" ||
      undefined,
    { description: "the deletion reported" },
  );
  ok(Number(await watched.metric("service_reflector_config_reload_errors_total")) >= 1);
  ok(loaded.describe(Date.now()).startsWith("reload failed "), loaded.describe(Date.now()));
  // The same good text as before: nothing to apply, but the failure is over.
  await Deno.writeTextFile(file.path, listing("east"));
  await poll(
    async () =>
      await watched.metric("service_reflector_config_last_reload_successful") === "1" || undefined,
    { description: "the failure cleared" },
  );
  const line = loaded.describe(Date.now());
  ok(/^1 sources loaded [0-9]+s ago, /.test(line), line);
  deepStrictEqual(watched.applied, []);
});

Deno.test("SourcesFile reports a FIFO and a character device in place of the file, unread, and applies a later change", async () => {
  await using file = await plainFile(listing("east"));
  const loaded = await SourcesFile.load({ path: file.path, fixed, defaults });
  await using watched = watching(loaded);
  // Counts are not pinned: a look at the path and the read it starts may see different files.
  const failed = (problem: string) =>
    poll(
      async () =>
        await watched.metric("service_reflector_config_last_reload_successful") === "0" &&
          loaded.describe(Date.now()).endsWith(problem) || undefined,
      { description: `${problem} reported` },
    );
  // Each put in the file's place at once, as a rename does.
  await makeFifo(join(file.dir, "fifo"));
  await Deno.rename(join(file.dir, "fifo"), file.path);
  await failed(`Cannot use sources file ${file.path}: it is a FIFO, not a regular file`);
  await Deno.symlink("/dev/zero", join(file.dir, "zero"));
  await Deno.rename(join(file.dir, "zero"), file.path);
  await failed(
    `Cannot use sources file ${file.path}: it is a character device, not a regular file`,
  );
  ok(Number(await watched.metric("service_reflector_config_reload_errors_total")) >= 2);
  ok(watched.logged.some((line) => line.includes("character device, not a regular file")));
  await Deno.writeTextFile(join(file.dir, "next"), listing("north"));
  await Deno.rename(join(file.dir, "next"), file.path);
  await poll(() => watched.applied.length > 0 || undefined, { description: "the change applied" });
  deepStrictEqual(watched.applied, [["flagged", "north"]]);
  equal(await watched.metric("service_reflector_config_last_reload_successful"), "1");
});

Deno.test("SourcesFile warns while the sources of a file emptied are inside their grace", async () => {
  await using file = await plainFile(listing("east", "north"));
  const loaded = await SourcesFile.load({
    path: file.path,
    fixed,
    defaults,
    removeGraceMs: 300_000,
  });
  await using watched = watching(loaded);
  await Deno.writeTextFile(file.path, "sources: []\n");
  await poll(() => watched.applied.length > 0 || undefined, {
    description: "the empty file applied",
  });
  deepStrictEqual(watched.applied, [["flagged"]], "applied, for the grace to take its sources");
  equal(
    loaded.describe(Date.now()),
    `0 sources loaded 0s ago, ${file.path}; warning: it lists no source, so east, north stopped 0s ago and their mirrors go in 300s (--reflector.remove-grace) unless listed again`,
  );
  ok(
    watched.logged.some((line) =>
      line.includes('"level":"warn"') && line.includes("the sources file lists no source") &&
      line.includes('"sources":["east","north"]')
    ),
    watched.logged.join("\n"),
  );
  ok(
    loaded.describe(Date.now() + 300_000).startsWith("0 sources loaded 300s ago, "),
    "no warning once the grace is over",
  );
  await Deno.writeTextFile(file.path, listing("east"));
  await poll(() => watched.applied.length > 1 || undefined, { description: "east listed again" });
  equal(loaded.describe(Date.now()), `1 sources loaded 0s ago, ${file.path}`);
});

Deno.test("SourcesFile.load() refuses a FIFO, a character device and a file of more than 1 MiB at once, naming the file", async () => {
  await using file = await plainFile("");
  const refused = async (problem: string) =>
    await rejects(
      SourcesFile.load({ path: file.path, fixed, defaults }),
      (error: unknown) =>
        error instanceof SourcesFileError &&
        error.message === `Cannot use sources file ${file.path}: ${problem}`,
    );
  await Deno.remove(file.path);
  await makeFifo(file.path);
  await refused("it is a FIFO, not a regular file");
  await Deno.remove(file.path);
  await Deno.symlink("/dev/zero", file.path);
  await refused("it is a character device, not a regular file");
  await Deno.remove(file.path);
  await Deno.writeTextFile(file.path, `#${"x".repeat(maxSourcesFileBytes)}\n`);
  await refused(`it holds more than ${maxSourcesFileBytes} bytes`);
});
