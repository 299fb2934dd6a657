/**
 * The real kubectl of the test control plane, pointed at any server URL
 * (an Emitter) with an empty kubeconfig, so nothing but the flags given
 * reaches it.
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

/** Runs `kubectl --server=<server> <args>` with an empty kubeconfig; never throws on exit codes. */
export async function kubectlAt(server: string, ...args: string[]): Promise<KubectlResult> {
  const empty = await Deno.makeTempFile();
  try {
    const { code, stdout, stderr } = await new Deno.Command(await clusterBinary(), {
      args: ["kubectl", `--kubeconfig=${empty}`, `--server=${server}`, ...args],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const decoder = new TextDecoder();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  } finally {
    await Deno.remove(empty);
  }
}
