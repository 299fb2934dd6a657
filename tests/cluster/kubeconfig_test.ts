import { deepStrictEqual } from "node:assert/strict";
import { parse } from "yaml";
import { renderKubeconfig } from "./kubeconfig.ts";

Deno.test("renderKubeconfig() writes one context that points at the files", () => {
  const text = renderKubeconfig({
    name: "east",
    server: "https://127.0.0.1:6443",
    caPath: "/tmp/ca.crt",
    certPath: "/tmp/admin.crt",
    keyPath: "/tmp/admin.key",
  });
  deepStrictEqual(parse(text), {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "east",
      cluster: { server: "https://127.0.0.1:6443", "certificate-authority": "/tmp/ca.crt" },
    }],
    users: [{
      name: "east",
      user: { "client-certificate": "/tmp/admin.crt", "client-key": "/tmp/admin.key" },
    }],
    contexts: [{ name: "east", context: { cluster: "east", user: "east" } }],
    "current-context": "east",
  });
});
