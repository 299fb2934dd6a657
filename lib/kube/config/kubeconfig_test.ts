import { deepEqual, equal } from "node:assert/strict";
import { join } from "node:path";
import { loadKubeconfig } from "./kubeconfig.ts";
import {
  base64,
  envOf,
  generatePki,
  kubeconfig,
  namedCluster,
  namedContext,
  rejectsLoading,
  withTempDir,
  writeYaml,
} from "../../../tests/support/kubeconfig_fixtures.ts";

const noEnv = envOf({});

Deno.test("loadKubeconfig() reads the current context of an explicit path", async () => {
  await withTempDir(async (dir) => {
    const pki = await generatePki(dir);
    const path = await writeYaml(
      join(dir, "config"),
      kubeconfig({
        cluster: { server: "https://127.0.0.1:6443", "certificate-authority": pki.caPath },
        user: { "client-certificate": pki.certPath, "client-key": pki.keyPath, token: "abc" },
        context: { namespace: "team-a" },
      }),
    );
    const loaded = await loadKubeconfig({ path, env: noEnv });
    equal(loaded.contextName, "test");
    equal(loaded.namespace, "team-a");
    equal(loaded.config.server.href, "https://127.0.0.1:6443/");
    deepEqual(loaded.config.caCerts, [pki.ca]);
    equal(loaded.config.origin, `kubeconfig ${path} (context "test")`);
    deepEqual(await loaded.config.credentials.get(), {
      token: "abc",
      clientCertificate: { cert: pki.cert, key: pki.key },
    });
  });
});

Deno.test("loadKubeconfig() uses the explicit context over current-context", async () => {
  await withTempDir(async (dir) => {
    const path = await writeYaml(join(dir, "config"), {
      clusters: [
        namedCluster("https://west:6443", "west"),
        namedCluster("https://north:6443", "north"),
      ],
      contexts: [namedContext("west"), namedContext("north")],
      "current-context": "west",
    });
    const current = await loadKubeconfig({ path, env: noEnv });
    equal(current.contextName, "west");
    equal(current.config.server.host, "west:6443");
    const explicit = await loadKubeconfig({ path, context: "north", env: noEnv });
    equal(explicit.contextName, "north");
    equal(explicit.config.server.host, "north:6443");
    equal(explicit.namespace, undefined);
    // No user in the context: anonymous, as with kubectl.
    deepEqual(await explicit.config.credentials.get(), {});
  });
});

Deno.test("loadKubeconfig() resolves relative paths against the file that defined the entry", async () => {
  await withTempDir(async (dir) => {
    const pki = await generatePki(join(dir, "pki"));
    await Deno.mkdir(join(dir, "a"));
    await Deno.mkdir(join(dir, "b"));
    await Deno.writeTextFile(join(dir, "b", "token"), "from-file\n");
    // The cluster lives in a/, the user in b/: each resolves against its own directory.
    const clusterFile = await writeYaml(join(dir, "a", "config"), {
      clusters: [{
        name: "c",
        cluster: { server: "https://c:6443", "certificate-authority": "../pki/ca.crt" },
      }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
      "current-context": "ctx",
    });
    const userFile = await writeYaml(join(dir, "b", "config"), {
      users: [{
        name: "u",
        user: {
          "client-certificate": "../pki/admin.crt",
          "client-key": "../pki/admin.key",
          tokenFile: "token",
        },
      }],
    });
    const loaded = await loadKubeconfig({
      env: envOf({ KUBECONFIG: `${clusterFile}:${userFile}` }),
    });
    deepEqual(loaded.config.caCerts, [pki.ca]);
    deepEqual(await loaded.config.credentials.get(), {
      token: "from-file",
      clientCertificate: { cert: pki.cert, key: pki.key },
    });
  });
});

Deno.test("loadKubeconfig() reads -data fields, and CA data wins over a CA file", async () => {
  await withTempDir(async (dir) => {
    const pki = await generatePki(dir);
    const path = await writeYaml(
      join(dir, "config"),
      kubeconfig({
        cluster: {
          server: "https://127.0.0.1:6443",
          "certificate-authority-data": base64(pki.ca),
          "certificate-authority": join(dir, "never-read.crt"),
        },
        user: {
          "client-certificate-data": base64(pki.cert),
          "client-key-data": base64(pki.key),
        },
      }),
    );
    const loaded = await loadKubeconfig({ path, env: noEnv });
    deepEqual(loaded.config.caCerts, [pki.ca]);
    deepEqual(await loaded.config.credentials.get(), {
      clientCertificate: { cert: pki.cert, key: pki.key },
    });
  });
});

Deno.test("loadKubeconfig() refuses an unknown context and lists the known ones", async () => {
  const document = {
    clusters: [namedCluster("https://x:6443", "x")],
    contexts: [namedContext("west", "x"), namedContext("north", "x")],
    "current-context": "west",
  };
  await rejectsLoading(document, {
    reason: "context-not-found",
    message: () => `context "east" not found (contexts: west, north)`,
    inFile: false,
  }, { context: "east" });
  await rejectsLoading({ ...document, "current-context": "" }, {
    reason: "context-not-found",
    message: () => `no context was given and 'current-context' is not set (contexts: west, north)`,
    inFile: false,
  });
});

Deno.test("loadKubeconfig() blames the file whose current-context names no context", async () => {
  await rejectsLoading({ contexts: [namedContext("west")], "current-context": "gone" }, {
    reason: "context-not-found",
    message: () => `context "gone" not found (contexts: west)`,
  });
});

Deno.test("loadKubeconfig() refuses a context naming a missing cluster or user", async () => {
  await rejectsLoading(kubeconfig({ context: { cluster: "nope" } }), {
    reason: "invalid-field",
    message: () =>
      `context "test" field 'cluster' must name a cluster of the kubeconfig: current value is "nope" (clusters: test)`,
  });
  await rejectsLoading(kubeconfig({ context: { user: "admin" } }), {
    reason: "invalid-field",
    message: () =>
      `context "test" field 'user' must name a user of the kubeconfig: current value is "admin" (users: test)`,
  });
});

Deno.test("loadKubeconfig() refuses a missing or malformed server", async () => {
  const expectation = "must be an absolute http or https URL without query, fragment or user info";
  for (
    const [server, shown] of [
      [undefined, "undefined"],
      ["", "undefined"],
      ["127.0.0.1:6443", '"127.0.0.1:6443"'],
      ["ftp://host", '"ftp://host"'],
      ["https://host:6443?x=1", '"https://host:6443?x=1"'],
    ]
  ) {
    await rejectsLoading(kubeconfig({ cluster: server === undefined ? {} : { server } }), {
      reason: "invalid-field",
      message: () => `cluster "test" field 'server' ${expectation}: current value is ${shown}`,
    });
  }
});

Deno.test("loadKubeconfig() refuses a missing certificate or key file with NotFound as the cause", async () => {
  await rejectsLoading(
    kubeconfig({ user: { "client-certificate": "admin.crt", "client-key": "/missing.key" } }),
    {
      reason: "named-file-unreadable",
      message: () =>
        `user "test" field 'client-key' must name a readable file: current value is "/missing.key"`,
      notFound: true,
    },
    { setup: (dir) => Deno.writeTextFile(join(dir, "admin.crt"), "") },
  );
  await rejectsLoading(
    kubeconfig({ cluster: { server: "https://h", "certificate-authority": "ca.crt" } }),
    {
      reason: "named-file-unreadable",
      message: (dir) =>
        `cluster "test" field 'certificate-authority' must name a readable file: current value is "${
          join(dir, "ca.crt")
        }"`,
      notFound: true,
    },
  );
});

Deno.test("loadKubeconfig() refuses a token file it cannot read and says why", async () => {
  await rejectsLoading(kubeconfig({ user: { tokenFile: "tokens" } }), {
    reason: "named-file-unreadable",
    message: (dir) => {
      const path = join(dir, "tokens");
      return `user "test" field 'tokenFile' must name a readable file: current value is "${path}" (Is a directory (os error 21): readfile '${path}')`;
    },
  }, { setup: (dir) => Deno.mkdir(join(dir, "tokens")) });
});

Deno.test("loadKubeconfig() refuses half a client certificate, or one given twice", async () => {
  await rejectsLoading(kubeconfig({ user: { "client-key-data": base64("k") } }), {
    reason: "conflicting-fields",
    message: () =>
      `user "test" sets 'client-key-data' without 'client-certificate' or 'client-certificate-data': set both or neither`,
  });
  await rejectsLoading(
    kubeconfig({
      user: { "client-certificate": "/a.crt", "client-certificate-data": base64("c") },
    }),
    {
      reason: "conflicting-fields",
      message: () =>
        `user "test" sets both 'client-certificate' and 'client-certificate-data': keep only one`,
    },
  );
});

Deno.test("loadKubeconfig() refuses fields it cannot honour instead of ignoring them", async () => {
  const refusals: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
    [
      "cluster",
      { "insecure-skip-tls-verify": true },
      {},
      `cluster "test" field 'insecure-skip-tls-verify' must be false or unset, as Deno cannot skip TLS verification for one client; set 'certificate-authority' to the server's CA instead: current value is true`,
    ],
    [
      "cluster",
      { "tls-server-name": "kubernetes" },
      {},
      `cluster "test" field 'tls-server-name' must be unset, as Deno's HTTP client cannot verify the server under another name: current value is "kubernetes"`,
    ],
    [
      "cluster",
      { "proxy-url": "http://proxy:3128" },
      {},
      `cluster "test" field 'proxy-url' must be unset, as this client connects directly, never through a proxy: current value is "http://proxy:3128"`,
    ],
    [
      "user",
      {},
      { username: "admin" },
      `user "test" field 'username' must be unset, as basic authentication is not supported; use a token or a client certificate: current value is "admin"`,
    ],
    [
      "user",
      {},
      { password: "hunter2" },
      `user "test" field 'password' must be unset, as basic authentication is not supported; use a token or a client certificate: current value is not shown (a secret of 7 characters)`,
    ],
    [
      "user",
      {},
      { "auth-provider": { name: "oidc" } },
      `user "test" field 'auth-provider' must be unset, as auth-provider plugins are not supported; use an exec plugin: current value is a mapping`,
    ],
    [
      "user",
      {},
      { as: "jane" },
      `user "test" field 'as' must be unset, as impersonation is not supported: current value is "jane"`,
    ],
    [
      "user",
      {},
      { "as-groups": ["devs"] },
      `user "test" field 'as-groups' must be unset, as impersonation is not supported: current value is a list`,
    ],
  ];
  for (const [, clusterFields, user, message] of refusals) {
    await rejectsLoading(
      kubeconfig({ cluster: { server: "https://h", ...clusterFields }, user }),
      { reason: "unsupported", message: () => message },
    );
  }
  // false is what kubectl does anyway, so it is accepted.
  await withTempDir(async (dir) => {
    const path = await writeYaml(
      join(dir, "config"),
      kubeconfig({ cluster: { server: "https://h", "insecure-skip-tls-verify": false } }),
    );
    equal((await loadKubeconfig({ path, env: noEnv })).config.server.host, "h");
  });
});

Deno.test("loadKubeconfig() refuses an empty tokenFile and a token mixed with exec", async () => {
  await rejectsLoading(kubeconfig({ user: { tokenFile: "token" } }), {
    reason: "invalid-field",
    message: (dir) =>
      `user "test" field 'tokenFile' must name a file holding a token: current value is "${
        join(dir, "token")
      }" (the file is empty)`,
  }, { setup: (dir) => Deno.writeTextFile(join(dir, "token"), " \n") });
  await rejectsLoading(
    kubeconfig({
      user: {
        token: "t",
        exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/bin/true" },
      },
    }),
    {
      reason: "conflicting-fields",
      message: () => `user "test" sets both 'exec' and 'token': keep one way to authenticate`,
    },
  );
});
