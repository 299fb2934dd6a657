/**
 * Ends a child started with `detached: true`, and everything in its process
 * group, with SIGKILL.
 *
 * Such a child leads a new session, so its pid is also its group's id, and
 * that id names this group for as long as any member lives, the reaped
 * leader included: signalling `-pid` before every member is gone reaches
 * only processes the child started (and did not move to a group of their
 * own).
 *
 * SIGKILL and no SIGTERM first: a credential plugin holds nothing this
 * process needs, its output is thrown away once it is killed, and a grace
 * period would only lengthen time-outs and shutdowns for the plugins that
 * ignore SIGTERM (client-go kills its exec plugins the same way, without
 * the group).
 *
 * Signalling a group takes `Deno.kill`, which needs the unscoped run
 * permission (`--allow-run`, not `--allow-run=<command>`). Without it only
 * the child itself is killed.
 *
 * @module
 */

/** Sends SIGKILL to the group `child` leads, then to `child`; never throws. */
export function killProcessGroup(child: Deno.ChildProcess): void {
  // Never -1 or -0, which would signal every process or this process's own group.
  if (child.pid > 1) {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // No member is left (NotFound), or signalling groups is not permitted: the child
      // itself still gets its SIGKILL below.
    }
  }
  try {
    child.kill("SIGKILL");
  } catch {
    // It has exited already; its status says how.
  }
}
