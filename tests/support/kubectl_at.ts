/**
 * The real kubectl of the test control plane, pointed at any server URL
 * (an Emitter) with an empty kubeconfig and a discovery cache of its own,
 * so nothing but the flags given reaches it: a cache left in `~/.kube` by
 * an earlier server on the same port would skip discovery and change which
 * request answers first, and so what kubectl prints.
 *
 * @module
 */

import { clusterBinary } from "../cluster/binary.ts";

/** What kubectl did. */
export interface KubectlResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Runs `kubectl --server=<server> <args>` with an empty kubeconfig and cache; never throws on exit codes. */
export async function kubectlAt(server: string, ...args: string[]): Promise<KubectlResult> {
  const dir = await Deno.makeTempDir();
  const empty = `${dir}/kubeconfig`;
  await Deno.writeTextFile(empty, "");
  try {
    const { code, stdout, stderr } = await new Deno.Command(await clusterBinary(), {
      args: [
        "kubectl",
        `--kubeconfig=${empty}`,
        `--cache-dir=${dir}/cache`,
        `--server=${server}`,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const decoder = new TextDecoder();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
