/**
 * service-reflector: mirrors Kubernetes Services and their endpoints from
 * source clusters into a host cluster (Reflector), and serves a cluster's
 * Services to remote Reflectors (Emitter).
 *
 * The command line is being built issue by issue; today it answers
 * `--version` and refuses to run otherwise rather than pretend to work.
 *
 * @module
 */

import { version } from "./lib/version.ts";

/** Runs the command with `args` and returns the process exit code. */
export function main(args: string[], out: (line: string) => void): number {
  if (args.includes("--version")) {
    out(version);
    return 0;
  }
  out("service-reflector: the Reflector and Emitter are not implemented yet; only --version works");
  return 2;
}

if (import.meta.main) {
  // deno-lint-ignore no-console
  Deno.exit(main(Deno.args, (line) => console.log(line)));
}
