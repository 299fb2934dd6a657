import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { Registry } from "prom-client";
import { configMapDir } from "../../tests/support/configmap_dir.ts";
import { poll } from "../../tests/support/poll.ts";
import { createLogger } from "../log/logger.ts";
import { defaultSourceLimits } from "../reflector/source_limits.ts";
import type { SourceOptions } from "../reflector/source.ts";
import { configFromUrl } from "../kube/config/client_config.ts";
import { SourcesFileError } from "./_sources_file.ts";
import { SourcesFile } from "./_sources_reload.ts";

const defaults = { selector: "export=yes", limits: defaultSourceLimits };
const fixed: SourceOptions[] = [{
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
  // Polling is left out (an hour): only the directory's events can tell the swap.
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
