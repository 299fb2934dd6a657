/**
 * Runs an exec credential plugin once, bounded in time and in output, and
 * shapes its failures into errors naming the command and quoting stderr.
 * Parsing the output is the caller's job (`exec_credential.ts`).
 *
 * The plugin leads a session and process group of its own (`detached`, a
 * `setsid` on Unix), so everything it starts that stays in its group ends
 * with it: on time-out or abort the whole group gets SIGKILL at once
 * (`_process_group.ts`). Without a controlling terminal it cannot prompt,
 * as its stdin is closed anyway. A plugin that exits by itself is not
 * followed further.
 *
 * @module
 */

import { killProcessGroup } from "./_process_group.ts";

/** One run of a plugin. */
export interface PluginRun {
  /** Executable: a path, or a bare name looked up on `PATH`. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Variables added to this process's environment for the run. */
  env: Record<string, string>;
  /** Appended to the "command not found" error. */
  installHint?: string | undefined;
  /** Milliseconds before the plugin is killed. */
  timeout: number;
  /** Aborting kills the plugin, and the run rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** What one finished run printed, decoded. */
export interface PluginOutput {
  /** The whole of stdout. */
  stdout: string;
  /** The first few kilobytes of stderr. */
  stderr: string;
}

// A credential is a few kilobytes; anything far larger is not one.
const STDOUT_LIMIT = 1 << 20;
// Enough of stderr to explain a failure without flooding a log line.
const STDERR_KEPT = 4096;
const STDERR_SHOWN = 1024;

/**
 * Runs the plugin with stdin closed and resolves with its output when it
 * exits with code 0. Rejects with an Error naming the command when it cannot
 * start, exits otherwise, outlives `timeout` or prints too much; with the
 * signal's reason once `signal` aborts. Either way, a run that rejects for
 * time or abort has killed the plugin's process group and reaped the plugin.
 */
export async function runPlugin(run: PluginRun): Promise<PluginOutput> {
  run.signal?.throwIfAborted();
  const child = spawn(run);
  const deadline = AbortSignal.timeout(run.timeout);
  const ended = run.signal ? AbortSignal.any([deadline, run.signal]) : deadline;
  // Cancelling the pipes on the same signal keeps a process that holds them, outside the
  // group, from stalling the run.
  const kill = () => killProcessGroup(child);
  ended.addEventListener("abort", kill, { once: true });
  try {
    const [status, stdout, stderr] = await Promise.all([
      child.status,
      drain(child.stdout, STDOUT_LIMIT + 1, ended),
      drain(child.stderr, STDERR_KEPT, ended),
    ]);
    run.signal?.throwIfAborted();
    const decoder = new TextDecoder();
    const output = { stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
    if (deadline.aborted) {
      throw pluginError(run.command, `no answer within ${run.timeout} ms`, output);
    }
    if (!status.success) {
      const how = status.signal ? `killed by ${status.signal}` : `exited with code ${status.code}`;
      throw pluginError(run.command, how, output);
    }
    if (stdout.length > STDOUT_LIMIT) {
      throw pluginError(run.command, `its output exceeds ${STDOUT_LIMIT} bytes`, output);
    }
    return output;
  } finally {
    ended.removeEventListener("abort", kill);
  }
}

/** Starts the plugin as the leader of a new session; an Error naming it if it cannot start. */
function spawn(run: PluginRun): Deno.ChildProcess {
  try {
    return new Deno.Command(run.command, {
      args: run.args,
      env: run.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound
      ? "command not found"
      : `cannot start it (${cause instanceof Error ? cause.message : String(cause)})`;
    const hint = run.installHint ? ` (${run.installHint.trim()})` : "";
    throw new Error(`${prefix(run.command)}${reason}${hint}`, { cause });
  }
}

/** The error for a run that failed with `problem`, quoting the start of its stderr. */
export function pluginError(command: string, problem: string, output: PluginOutput): Error {
  let stderr = output.stderr.trim();
  if (stderr.length > STDERR_SHOWN) stderr = `${stderr.slice(0, STDERR_SHOWN)}... (truncated)`;
  return new Error(
    `${prefix(command)}${problem} (stderr: ${stderr === "" ? "empty" : stderr})`,
  );
}

function prefix(command: string): string {
  return `Cannot get credentials from exec plugin "${command}": `;
}

/** Reads a stream to its end (or until `signal` aborts), keeping its first `limit` bytes. */
async function drain(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      // Read on past the limit: a plugin blocked on a full pipe would never exit.
      if (size < limit) {
        const chunk = value.subarray(0, limit - size);
        chunks.push(chunk);
        size += chunk.length;
      }
    }
  } finally {
    signal.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
  const kept = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    kept.set(chunk, offset);
    offset += chunk.length;
  }
  return kept;
}
