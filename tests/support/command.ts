/**
 * `main.ts` as users run it: its own process, with exactly the permissions
 * `deno task compile` (or `compile:exec`) bakes into the binary (read from
 * deno.json, so that a test passing with them proves they are enough), its
 * JSON logs collected.
 *
 * @module
 */

import type { Cluster } from "../cluster/mod.ts";
import { freePorts } from "../cluster/ports.ts";
import { version } from "../../lib/version.ts";
import { poll } from "./poll.ts";

const root = new URL("../../", import.meta.url);

/** A task of deno.json that compiles the binary. */
export type CompileTask = "compile" | "compile:exec";

/**
 * The flags of deno.json's `task` (default `compile`) that `deno run` takes
 * alike: `--allow-*`, `--no-prompt` and `--v8-flags`, so that a test runs
 * the program as the binary would.
 */
export async function compiledRunFlags(task: CompileTask = "compile"): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))) as {
    tasks: Record<string, string>;
  };
  const line = config.tasks[task];
  if (line === undefined) throw new Error(`deno.json has no task ${JSON.stringify(task)}`);
  return line.split(/\s+/).filter((word) =>
    word.startsWith("--allow-") || word === "--no-prompt" || word.startsWith("--v8-flags=")
  );
}

/**
 * The `User-Agent` of every request the command sends to a cluster: the
 * default of `lib/kube/transport.ts`, in the Deno that runs it (this one).
 * A check that counts the command's writes by it must also see it match
 * some (a drift would make "wrote nothing" pass for nothing).
 */
export const commandUserAgent = `service-reflector/${version} (Deno ${Deno.version.deno})`;

/** A metric a check reads has no series: renamed, or never registered. */
export class MissingMetricError extends Error {
  /** The metric's name. */
  readonly metric: string;

  constructor(metric: string, listen: number) {
    super(`Cannot read metric ${metric} of main.ts on ${listen} as it has no series`);
    this.name = "MissingMetricError";
    this.metric = metric;
  }
}

/**
 * {@linkcode CommandProcess.metric}, but a metric without series throws
 * {@linkcode MissingMetricError} instead of reading as undefined.
 */
export async function requiredMetric(command: CommandProcess, name: string): Promise<number> {
  const value = await command.metric(name);
  if (value === undefined) throw new MissingMetricError(name, command.listen);
  return value;
}

/** A running `main.ts`. */
export interface CommandProcess extends AsyncDisposable {
  /** The process. */
  readonly child: Deno.ChildProcess;
  /** The `--listen` port (metrics and health). */
  readonly listen: number;
  /** What it logged on stderr so far. */
  logs(): string;
  /** Resolves once `/readyz` answers 200; rejects after `timeoutMs` (default 60 s). */
  ready(timeoutMs?: number): Promise<void>;
  /**
   * The value of an unlabelled metric, or the sum of every series of a
   * labelled one; undefined when it has no series (yet).
   */
  metric(name: string): Promise<number | undefined>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit status once its logs are read. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode startCommand}. */
export interface StartCommandOptions {
  /** Also append the logs to this file. */
  logFile?: string;
  /** Whose permissions it runs with (default: `compile`). */
  task?: CompileTask;
  /** V8 flags in place of the task's (e.g. `[]` for V8's defaults); omitted: the task's. */
  v8Flags?: string[];
  /** Variables set for the process besides the inherited ones (e.g. `MALLOC_ARENA_MAX`). */
  env?: Record<string, string>;
}

/**
 * Starts `main.ts` with `args`, serving `--listen` on a free loopback port
 * (pass `--listen` in `args` to choose it). stdout is discarded.
 */
export function startCommand(
  args: string[],
  options: StartCommandOptions = {},
): Promise<CommandProcess> {
  return compiledRunFlags(options.task).then((flags) => spawn(flags, args, options));
}

function spawn(taskFlags: string[], args: string[], options: StartCommandOptions) {
  const v8Flags = options.v8Flags ??
    taskFlags.filter((flag) => flag.startsWith("--v8-flags="))
      .flatMap((flag) => flag.slice("--v8-flags=".length).split(","));
  const permissions = taskFlags.filter((flag) => !flag.startsWith("--v8-flags="));
  const given = args.find((arg) => arg.startsWith("--listen="));
  const listen = given ? Number(given.split(":").at(-1)) : (freePorts(1)[0] as number);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...permissions,
      ...(v8Flags.length > 0 ? [`--v8-flags=${v8Flags.join(",")}`] : []),
      new URL("main.ts", root).pathname,
      ...(given ? [] : [`--listen=127.0.0.1:${listen}`]),
      ...args,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    ...(options.env ? { env: options.env } : {}),
  }).spawn();
  let logs = "";
  const file = options.logFile
    ? Deno.openSync(options.logFile, { append: true, create: true })
    : undefined;
  const encoder = new TextEncoder();
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      logs += chunk;
      file?.writeSync(encoder.encode(chunk));
    }
  })().finally(() => file?.close());
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch {
      // Already exited.
    }
    const status = await child.status;
    await reading;
    return status;
  };
  const metricsText = async () => await (await fetch(`http://127.0.0.1:${listen}/metrics`)).text();
  const process: CommandProcess = {
    child,
    listen,
    logs: () => logs,
    async ready(timeoutMs = 60_000) {
      await poll(async () => {
        const response = await fetch(`http://127.0.0.1:${listen}/readyz`).catch(() => undefined);
        await response?.body?.cancel();
        return response?.ok || undefined;
      }, { description: `/readyz of main.ts on ${listen}`, timeoutMs, intervalMs: 20 });
    },
    async metric(name) {
      const series = (await metricsText()).split("\n")
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
      if (series.length === 0) return undefined;
      return series.reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop("SIGKILL");
    },
  };
  return process;
}

/** A command started by {@linkcode startBetween}. */
export interface ReflectingCommand extends CommandProcess {
  /** The Emitter's plain HTTP port (loopback). */
  readonly emitterPort: number;
}

/** Options of {@linkcode startBetween}. */
export interface StartBetweenOptions {
  /** Where mirrors go (`--kubeconfig`). */
  host: Cluster;
  /** Reflected through its kubeconfig, Services labelled `export=yes` only. */
  source: Cluster;
  /** The source's name. Defaults to `source`. */
  sourceName?: string;
  /** How to reach `host`. Defaults to its admin kubeconfig. */
  hostKubeconfig?: string;
  /** More flags. */
  args?: string[];
}

/** Starts the command in `host` reflecting `source`, its Emitter on a free loopback port. */
export async function startBetween(options: StartBetweenOptions): Promise<ReflectingCommand> {
  const { host, source, sourceName = "source", args = [] } = options;
  const [emitterPort] = freePorts(1) as [number];
  const command = await startCommand([
    `--kubeconfig=${options.hostKubeconfig ?? host.kubeconfig}`,
    "--emitter.bind-address=127.0.0.1",
    `--emitter.insecure-port=${emitterPort}`,
    "--emitter.secure-port=0",
    `--reflector.source-kubeconfig=${sourceName}=${source.kubeconfig}`,
    "--reflector.selector=export=yes",
    ...args,
  ]);
  return Object.assign(command, { emitterPort });
}

/** Waits until exactly one of `replicas` reports `service_reflector_leader 1`; its index. */
export function leaderIndex(replicas: CommandProcess[], timeoutMs = 30_000): Promise<number> {
  return poll(async () => {
    const flags = await Promise.all(
      replicas.map((each) => each.metric("service_reflector_leader")),
    );
    return flags.filter((flag) => flag === 1).length === 1 ? flags.indexOf(1) : undefined;
  }, { description: "exactly one replica leading", timeoutMs });
}
