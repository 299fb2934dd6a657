/**
 * An exec credential plugin that never answers and leaves a grandchild
 * behind, and the check that none of the processes it started is left.
 *
 * Each run appends one line `<plugin pid> <grandchild pid>` to `pids` next
 * to the script, once both exist; the grandchild (`sleep 300`) inherits the
 * plugin's stdout and stderr, and the plugin ignores SIGTERM, so only a
 * SIGKILL of its whole process group ends both.
 *
 * @module
 */

import { join } from "node:path";
import { writeScript } from "./kubeconfig_fixtures.ts";
import { poll } from "./poll.ts";

/**
 * A plugin written by {@linkcode writeHangingPlugin}. Disposing it kills
 * whatever of its runs is still alive, so that a failing test leaves
 * nothing running.
 */
export interface HangingPlugin extends AsyncDisposable {
  /** Absolute path of the script. */
  command: string;
  /** The pids of every run so far (plugin, then grandchild, per run). */
  pids(): Promise<number[]>;
  /** Resolves with the pids once at least one run has started both processes. */
  started(): Promise<number[]>;
}

/** Writes the plugin as `dir/hanging-plugin`. */
export async function writeHangingPlugin(dir: string): Promise<HangingPlugin> {
  const command = await writeScript(
    join(dir, "hanging-plugin"),
    `trap '' TERM
sleep 300 &
echo "$$ $!" >> "$(dirname "$0")/pids"
wait`,
  );
  const pids = async () => {
    const text = await Deno.readTextFile(join(dir, "pids")).catch(() => "");
    // A line counts once written whole.
    return text.split("\n").slice(0, -1).flatMap((line) => line.split(" ").map(Number));
  };
  const started = () =>
    poll(async () => {
      const found = await pids();
      return found.length >= 2 ? found : undefined;
    }, { description: `a run of ${command} with its grandchild` });
  const dispose = async () => {
    for (const pid of (await pids()).filter(isAlive)) Deno.kill(pid, "SIGKILL");
  };
  return { command, pids, started, [Symbol.asyncDispose]: dispose };
}

/**
 * Whether `pid` names a live process: one that exists and is not a zombie
 * (an exited process its parent has not reaped yet, as an orphan re-parented
 * to an init that reaps slowly can stay).
 */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return false;
  }
  // The state follows the parenthesised command name, which may itself hold spaces.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** Resolves once no process of `pids` is alive; rejects naming the survivors after 10 s. */
export async function untilGone(pids: number[]): Promise<void> {
  await poll(() => {
    const alive = pids.filter(isAlive);
    if (alive.length > 0) throw new Error(`still alive: ${alive.join(", ")}`);
    return true;
  }, { description: `the end of processes ${pids.join(", ")}`, timeoutMs: 10_000 });
}
