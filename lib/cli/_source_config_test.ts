import { deepEqual, equal, notEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  kubeconfig,
  twoContextKubeconfig,
  withTempDir,
  writeYaml,
} from "../../tests/support/kubeconfig_fixtures.ts";
import { KubeconfigError } from "../kube/config/kubeconfig_error.ts";
import { sourceFingerprint } from "../reflector/source_config.ts";
import { defaultSourceLimits } from "../reflector/source_limits.ts";
import { parsedConfig } from "./_cli_fixtures.ts";
import { resolveSource, SourceFieldError } from "./_source_config.ts";

const defaults = { selector: "export=yes", limits: defaultSourceLimits };
const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** The only source of `argv`'s flags. */
function flagSource(argv: string[]) {
  const [source] = parsedConfig(argv).reflector.sources;
  if (!source) throw new Error(`no source in ${argv.join(" ")}`);
  return source;
}

Deno.test("resolveSource() gives a flag's URL source the defaults, --namespace and a revision, its config used as made", async () => {
  const given = flagSource(["--reflector.source-api=http://emitter.b:8080"]);
  const source = await resolveSource(given, { ...defaults, namespace: "shop" });
  strictEqual(source.config, "config" in given ? given.config : undefined, "made once");
  deepEqual({ ...source, config: undefined }, {
    name: "emitter-b",
    config: undefined,
    selector: "export=yes",
    limits: defaultSourceLimits,
    namespace: "shop",
    revision: JSON.stringify([{ name: "emitter-b", url: "http://emitter.b:8080" }]),
  });
});

Deno.test("resolveSource() takes one path: a flag's kubeconfig source and a file entry of the same kubeconfig run the same source", async () => {
  await withTempDir(async (dir) => {
    const path = await writeYaml(join(dir, "east.yaml"), twoContextKubeconfig());
    const withNamespace = { ...defaults, namespace: "shop" };
    const flagged = await resolveSource(
      flagSource([`--reflector.source-kubeconfig=east=${path}#second`]),
      withNamespace,
    );
    const entry = await resolveSource(
      { name: "east", kubeconfig: path, context: "second" },
      withNamespace,
    );
    equal(flagged.config.server.href, "https://10.0.0.2:6443/");
    equal(flagged.namespace, "shop");
    const asWritten = JSON.stringify({ name: "east", kubeconfig: path, context: "second" });
    ok(flagged.revision?.startsWith(`[${asWritten},"`), flagged.revision);
    equal(flagged.revision, entry.revision);
    equal(sourceFingerprint(flagged), sourceFingerprint(entry));
  });
});

Deno.test("resolveSource() changes a kubeconfig source's revision with the file's text alone", async () => {
  await withTempDir(async (dir) => {
    await writeYaml(join(dir, "north.yaml"), kubeconfig({ user: { token: "one" } }));
    const written = { name: "north", kubeconfig: "north.yaml" };
    const before = await resolveSource(written, { ...defaults, base: dir });
    equal(before.config.origin, `kubeconfig ${join(dir, "north.yaml")} (context "test")`);
    await writeYaml(join(dir, "north.yaml"), kubeconfig({ user: { token: "two" } }));
    const after = await resolveSource(written, { ...defaults, base: dir });
    deepEqual(
      [after.config.server.href, after.config.origin],
      [before.config.server.href, before.config.origin],
      "the rotated token shows nowhere else",
    );
    notEqual(after.revision, before.revision);
    notEqual(sourceFingerprint(after), sourceFingerprint(before));
  });
});

Deno.test("resolveSource() reads a URL entry's CA and token files from the base directory, with its own selector and namespace", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "ca.crt"), pem);
    await Deno.writeTextFile(join(dir, "token"), "secret\n");
    const entry = {
      name: "east",
      url: "https://emitter.east:6443",
      caFile: "ca.crt",
      caData: pem,
      tokenFile: "token",
      selector: "tier=web",
      namespace: "shop",
    };
    const source = await resolveSource(entry, { ...defaults, base: dir });
    deepEqual(source.config.caCerts, [pem, pem]);
    equal((await source.config.credentials.get())?.token, "secret");
    deepEqual([source.selector, source.namespace], ["tier=web", "shop"]);
    equal(source.revision, JSON.stringify([entry]));
    const unset = await resolveSource({ name: "west", url: "http://west.test" }, defaults);
    equal(unset.namespace, undefined, "all namespaces without --namespace");
  });
});

Deno.test("resolveSource() refuses a namespace other than --namespace before it reads any file", async () => {
  const missing = "/nonexistent/north.yaml";
  await rejects(
    resolveSource(
      { name: "north", kubeconfig: missing, namespace: "shop" },
      { ...defaults, namespace: "other" },
    ),
    (error: unknown) => {
      ok(error instanceof SourceFieldError, String(error));
      equal(error.field, "namespace");
      equal(
        error.message,
        'namespace must be --namespace "other", the only one reflected: current value is "shop"',
      );
      return true;
    },
  );
  const same = await resolveSource(
    { name: "east", url: "http://east.test", namespace: "other" },
    { ...defaults, namespace: "other" },
  );
  equal(same.namespace, "other");
});

Deno.test("resolveSource() rejects with the loader's error for a kubeconfig it cannot read, and the read's for a token file", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "missing.yaml");
    await rejects(resolveSource({ name: "north", kubeconfig: missing }, defaults), (error) => {
      ok(error instanceof KubeconfigError, String(error));
      equal(error.message, `Cannot load kubeconfig "${missing}": file not found`);
      return true;
    });
    await rejects(
      resolveSource({ name: "east", url: "http://east.test", tokenFile: "token" }, {
        ...defaults,
        base: dir,
      }),
      (error) => {
        ok(error instanceof Deno.errors.NotFound, String(error));
        ok(String(error).includes(join(dir, "token")), String(error));
        return true;
      },
    );
  });
});

Deno.test("resolveSource() throws a TypeError for a source with not exactly one of a url and a kubeconfig", async () => {
  for (const written of [{ name: "a" }, { name: "a", url: "http://a.test", kubeconfig: "k" }]) {
    await rejects(resolveSource(written, defaults), {
      name: "TypeError",
      message: 'Cannot resolve source "a" as it must have exactly one of a url and a kubeconfig',
    });
  }
});
