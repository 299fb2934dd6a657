/**
 * service-reflector: mirrors Kubernetes Services and their endpoints from
 * source clusters into a host cluster (Reflector), and serves a cluster's
 * Services to remote Reflectors (Emitter). See `--help`.
 *
 * Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM) or for `--help`
 * and `--version`; 2 for a bad flag or configuration; 1 for anything else,
 * including a shutdown that overran its bound.
 *
 * @module
 */

import { collectDefaultMetrics, Registry } from "prom-client";
import { parseFlags } from "./lib/cli/flags.ts";
import { runService, StartupError } from "./lib/cli/run.ts";
import { createLogger } from "./lib/log/logger.ts";

/** Longest a shutdown may take before the process exits anyway. */
const shutdownBoundMs = 15_000;
const encoder = new TextEncoder();

/** Runs the command with `args` and resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseFlags(args);
  if (parsed.kind === "exit") {
    const stream = parsed.stream === "stdout" ? Deno.stdout : Deno.stderr;
    stream.writeSync(
      encoder.encode(parsed.output.endsWith("\n") ? parsed.output : parsed.output + "\n"),
    );
    return parsed.code;
  }
  const logger = createLogger({ level: parsed.config.logLevel });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const controller = new AbortController();
  const onSignal = () => {
    controller.abort();
    // A shutdown that hangs must not keep the process (and its Pod) alive.
    setTimeout(() => {
      logger.error("shutdown took too long; exiting", { boundMs: shutdownBoundMs });
      Deno.exit(1);
    }, shutdownBoundMs);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await runService(parsed.config, { signal: controller.signal, logger, registry });
    logger.info("stopped");
    return 0;
  } catch (error) {
    if (error instanceof StartupError) {
      Deno.stderr.writeSync(encoder.encode(`service-reflector: ${error.message}\n`));
      return 2;
    }
    logger.error("failed", { error });
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
