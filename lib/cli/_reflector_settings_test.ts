import { deepEqual } from "node:assert/strict";
import { parsedConfig } from "./_cli_fixtures.ts";
import { reflectorSettings } from "./_reflector_settings.ts";

Deno.test("reflectorSettings() maps the defaults, leaving --namespace and --reflector.stale-after out when empty", () => {
  deepEqual(reflectorSettings(parsedConfig([])), {
    api: "mirror",
    removeGraceMs: 300_000,
    nameTemplate: "{name}",
    createNamespaces: true,
    legacyEndpoints: false,
    workers: 4,
    resyncMs: 600_000,
    staleAction: "not-ready",
  });
});

Deno.test("reflectorSettings() maps every flag the Reflector reads, --namespace with them", () => {
  const config = parsedConfig([
    "--namespace=shop",
    "--reflector.sources-file=/etc/sources.yaml",
    "--reflector.remove-grace=1m",
    "--reflector.name-template={name}-{source}",
    "--reflector.create-namespaces=false",
    "--reflector.endpoints",
    "--reflector.workers=2",
    "--reflector.resync-period=30s",
    "--reflector.stale-after=45s",
    "--reflector.stale-action=delete",
    "--reflector.api=mcs",
    "--reflector.cluster-id=east",
  ]);
  deepEqual(reflectorSettings(config), {
    api: "mcs",
    clusterId: "east",
    removeGraceMs: 60_000,
    nameTemplate: "{name}-{source}",
    namespace: "shop",
    createNamespaces: false,
    legacyEndpoints: true,
    workers: 2,
    resyncMs: 30_000,
    staleAfterMs: 45_000,
    staleAction: "delete",
  });
});
