/**
 * Locates the test control-plane binary built from this folder's Go module.
 *
 * `scripts/build_cluster.sh` owns the build and its cache (keyed by go.sum,
 * the Go sources and the Go version); this module only asks it for the path,
 * once per process. `SERVICE_REFLECTOR_CLUSTER_BIN` overrides the lookup.
 *
 * @module
 */

const root = new URL("../../", import.meta.url);
let cached: Promise<string> | undefined;

/** Returns the path of the multi-call `cluster` binary, building it on first use. */
export function clusterBinary(): Promise<string> {
  cached ??= resolve();
  return cached;
}

async function resolve(): Promise<string> {
  const override = Deno.env.get("SERVICE_REFLECTOR_CLUSTER_BIN");
  if (override) {
    await Deno.stat(override).catch((cause) => {
      throw new Error(
        `Cannot use SERVICE_REFLECTOR_CLUSTER_BIN: current value "${override}" is not a file`,
        { cause },
      );
    });
    return override;
  }
  const script = new URL("scripts/build_cluster.sh", root).pathname;
  const { code, stdout } = await new Deno.Command("bash", {
    args: [script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    throw new Error(`Cannot build the test control plane: ${script} exited with code ${code}`);
  }
  return new TextDecoder().decode(stdout).trim();
}
