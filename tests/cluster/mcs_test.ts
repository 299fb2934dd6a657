import { deepStrictEqual, equal } from "node:assert/strict";
import { installMcsCrds, mcsCrdNames, mcsCrds, mcsGroup } from "./mcs.ts";
import { withClusters } from "./mod.ts";

Deno.test("mcsCrds() prints the two CRDs of sigs.k8s.io/mcs-api v0.5.2, each serving v1alpha1 and v1beta1", async () => {
  const text = await mcsCrds();
  const names = [...text.matchAll(/^ {2}name: (\S+)$/gm)].map((match) => match[1]);
  deepStrictEqual(names, [`serviceexports.${mcsGroup}`, `serviceimports.${mcsGroup}`]);
  equal(text.match(/multicluster\.x-k8s\.io\/release-version: "v0\.5\.2"/g)?.length, 2);
});

Deno.test("installMcsCrds() makes a cluster serve ServiceExports and ServiceImports, v1beta1 stored", async () => {
  await withClusters(["west"], async ([west]) => {
    if (!west) throw new Error("cluster missing");
    await installMcsCrds(west);
    const served = JSON.parse(await west.kubectl("get", "--raw", `/apis/${mcsGroup}`));
    deepStrictEqual(served.versions.map((each: { version: string }) => each.version).sort(), [
      "v1alpha1",
      "v1beta1",
    ]);
    equal(served.preferredVersion.version, "v1beta1");
    for (const name of mcsCrdNames) {
      const crd = JSON.parse(await west.kubectl("get", "crd", name, "-o", "json"));
      const stored = crd.spec.versions.filter((each: { storage: boolean }) => each.storage);
      deepStrictEqual(stored.map((each: { name: string }) => each.name), ["v1beta1"], name);
    }
    await west.kubectl("create", "namespace", "shop");
    await west.kubectlWithInput(
      JSON.stringify({
        apiVersion: `${mcsGroup}/v1beta1`,
        kind: "ServiceExport",
        metadata: { name: "web", namespace: "shop" },
      }),
      "create",
      "-f",
      "-",
    );
    // Written as v1beta1, read back as v1alpha1: one stored object, both versions served.
    const read = JSON.parse(
      await west.kubectl(
        "get",
        `serviceexports.v1alpha1.${mcsGroup}`,
        "web",
        "-n",
        "shop",
        "-o",
        "json",
      ),
    );
    equal(read.apiVersion, `${mcsGroup}/v1alpha1`);
    equal(read.metadata.name, "web");
  });
});
