/**
 * The Multi-Cluster Services API (KEP-1645) in a test cluster: its
 * CustomResourceDefinitions, ServiceExport and ServiceImport of group
 * `multicluster.x-k8s.io`, exactly as `sigs.k8s.io/mcs-api` embeds them
 * (printed by the test binary's `mcs-crds`, pinned by its go.mod), never a
 * copied file.
 *
 * @module
 */

import { clusterBinary } from "./binary.ts";

/** What installing the CRDs needs of a cluster: its admin kubectl. */
export interface AdminKubectl {
  /** Runs kubectl as admin, returning its stdout. */
  kubectl(...args: string[]): Promise<string>;
  /** The same, with `input` on stdin. */
  kubectlWithInput(input: string, ...args: string[]): Promise<string>;
}

/** The MCS API's group. */
export const mcsGroup = "multicluster.x-k8s.io";

/** The names of the MCS API's CRDs. */
export const mcsCrdNames = [`serviceexports.${mcsGroup}`, `serviceimports.${mcsGroup}`] as const;

/** The CRDs' YAML stream as `sigs.k8s.io/mcs-api` embeds them. */
export async function mcsCrds(): Promise<string> {
  const binary = await clusterBinary();
  const { code, stdout, stderr } = await new Deno.Command(binary, {
    args: ["mcs-crds"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot print the MCS CRDs: ${binary} mcs-crds exited with code ${code}: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
  return new TextDecoder().decode(stdout);
}

/** Installs the MCS API's CRDs in `cluster` and waits until its server serves them. */
export async function installMcsCrds(cluster: AdminKubectl): Promise<void> {
  // Server-side: the CRDs are too large for the last-applied annotation.
  await cluster.kubectlWithInput(await mcsCrds(), "apply", "--server-side", "-f", "-");
  await cluster.kubectl(
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    ...mcsCrdNames.map((name) => `crd/${name}`),
  );
}
