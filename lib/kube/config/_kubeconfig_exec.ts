/**
 * Reads a kubeconfig user's `exec:` section into an {@linkcode ExecPlugin},
 * with kubectl's rules: `apiVersion` and `command` are required, v1 also
 * requires `interactiveMode`, and a command containing a slash is a path
 * relative to the kubeconfig file's directory (a bare name is looked up on
 * `PATH` when the plugin runs).
 *
 * Unlike kubectl, the command is also checked here, so that a missing
 * plugin stops start-up instead of failing the first request: a
 * {@linkcode KubeconfigError} of reason `exec-command`. So is this
 * process's permission to run it: the unscoped run permission
 * (`--allow-run`), as ending a plugin's process group takes `Deno.kill`,
 * which a grant for one command does not cover; without it the error's
 * reason is `exec-permission`.
 *
 * @module
 */

import { join } from "node:path";
import { type Entry, errorPrefix, isMapping } from "./_kubeconfig_files.ts";
import {
  entryPath,
  fieldError,
  isSet,
  optionalBoolean,
  optionalString,
  stringList,
} from "./_kubeconfig_fields.ts";
import { type ExecApiVersion, execApiVersions, type ExecPlugin } from "./exec_credential.ts";
import { KubeconfigError } from "./kubeconfig_error.ts";

/** A user's exec plugin, and whether the cluster should be described to it. */
export interface ExecSection {
  /** The plugin, with its command resolved. */
  plugin: ExecPlugin;
  /** `provideClusterInfo`: pass the cluster in `KUBERNETES_EXEC_INFO`. */
  provideClusterInfo: boolean;
}

/** Options of {@linkcode readExecSection}. */
export interface ReadExecOptions {
  /** Supplies `PATH` for bare command names. */
  env: (name: string) => string | undefined;
  /** The context selecting the user, named in the permission error. */
  contextName: string;
}

/** Reads `user.exec`, and checks that this process may run the plugin. */
export async function readExecSection(
  user: Entry,
  options: ReadExecOptions,
): Promise<ExecSection> {
  const raw = user.fields["exec"];
  if (!isMapping(raw)) throw fieldError(user, "exec", "must be a mapping", raw);
  // The exec fields, keyed `exec.<field>` so that messages name the full path of the field.
  const exec: Entry = {
    ...user,
    fields: Object.fromEntries(Object.entries(raw).map(([key, value]) => [`exec.${key}`, value])),
  };

  const apiVersion = optionalString(exec, "exec.apiVersion");
  if (!(execApiVersions as readonly (string | undefined)[]).includes(apiVersion)) {
    throw fieldError(
      exec,
      "exec.apiVersion",
      `must be one of ${execApiVersions.join(", ")}`,
      apiVersion,
    );
  }
  const interactiveMode = optionalString(exec, "exec.interactiveMode");
  if (interactiveMode === undefined && apiVersion === "client.authentication.k8s.io/v1") {
    throw fieldError(exec, "exec.interactiveMode", "must be set for v1 (use Never)", undefined);
  }
  if (interactiveMode === "Always") {
    throw fieldError(
      exec,
      "exec.interactiveMode",
      "must be Never or IfAvailable, as the plugin never gets a terminal here",
      interactiveMode,
      { reason: "unsupported" },
    );
  }
  if (
    interactiveMode !== undefined && interactiveMode !== "Never" &&
    interactiveMode !== "IfAvailable"
  ) {
    throw fieldError(exec, "exec.interactiveMode", "must be Never or IfAvailable", interactiveMode);
  }

  const installHint = optionalString(exec, "exec.installHint");
  const command = await resolveCommand(exec, options.env, installHint);
  requireRunPermission(user, options.contextName, command);
  const plugin: ExecPlugin = {
    apiVersion: apiVersion as ExecApiVersion,
    command,
    args: stringList(exec, "exec.args"),
    env: readEnv(exec),
  };
  if (interactiveMode !== undefined) plugin.interactiveMode = interactiveMode;
  if (installHint !== undefined) plugin.installHint = installHint;
  return { plugin, provideClusterInfo: optionalBoolean(exec, "exec.provideClusterInfo") ?? false };
}

function requireRunPermission(user: Entry, contextName: string, command: string): void {
  if (Deno.permissions.querySync({ name: "run" }).state === "granted") return;
  throw new KubeconfigError(
    "exec-permission",
    `${errorPrefix(user.file)}user "${user.name}" of context "${contextName}" runs exec plugin ${
      JSON.stringify(command)
    }, which needs permission --allow-run (unscoped, to end its process group): run with --allow-run, or build with deno task compile:exec`,
    { file: user.file },
  );
}

function readEnv(exec: Entry): Record<string, string> {
  const result: Record<string, string> = {};
  if (!isSet(exec, "exec.env")) return result;
  const list = exec.fields["exec.env"];
  const valid = Array.isArray(list) &&
    list.every((item) =>
      isMapping(item) && typeof item["name"] === "string" && item["name"] !== "" &&
      typeof (item["value"] ?? "") === "string"
    );
  if (!valid) {
    throw fieldError(exec, "exec.env", "must be a list of {name, value} strings", list);
  }
  for (const item of list as { name: string; value?: string | null }[]) {
    result[item.name] = item.value ?? "";
  }
  return result;
}

async function resolveCommand(
  exec: Entry,
  env: (name: string) => string | undefined,
  installHint: string | undefined,
): Promise<string> {
  const command = optionalString(exec, "exec.command");
  if (command === undefined) throw fieldError(exec, "exec.command", "must be set", undefined);
  const hint = installHint ? ` (${installHint.trim()})` : "";
  if (command.includes("/")) {
    const path = entryPath(exec, command);
    const problem = await executableProblem(path);
    if (problem) {
      const { message } = fieldError(exec, "exec.command", "must name an executable file", path);
      throw new KubeconfigError("exec-command", `${message}${problem.reason}${hint}`, {
        file: exec.file,
        cause: problem.cause,
      });
    }
    return path;
  }
  const searchPath = env("PATH");
  // Without PATH there is nothing to search; the run will report what it finds.
  if (searchPath === undefined) return command;
  for (const dir of searchPath.split(":")) {
    if (!(await executableProblem(join(dir === "" ? "." : dir, command)))) return command;
  }
  const { message } = fieldError(exec, "exec.command", "must name an executable on PATH", command);
  throw new KubeconfigError("exec-command", `${message}${hint}`, {
    file: exec.file,
    cause: new Deno.errors.NotFound(`${command} not found on PATH "${searchPath}"`),
  });
}

/** Why `path` cannot be run; `undefined` when it is an executable file. */
async function executableProblem(
  path: string,
): Promise<{ reason: string; cause: unknown } | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (cause) {
    return { reason: "", cause };
  }
  if (!info.isFile) return { reason: " (not a file)", cause: undefined };
  // mode is null where the platform has no permission bits; let the run decide there.
  if (info.mode !== null && (info.mode & 0o111) === 0) {
    return { reason: " (not executable)", cause: undefined };
  }
  return undefined;
}
