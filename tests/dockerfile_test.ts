/**
 * The Dockerfile without a Docker engine (none runs here): linted with
 * dockerfile-utils (the linter of VS Code's Dockerfile language server),
 * read instruction by instruction with dockerfile-ast and held to what the
 * rest of the project says (the pinned Deno, the compile task's output and
 * writable paths, the default ports), and its build context computed with
 * Docker's own `.dockerignore` matching to hold every local module
 * `main.ts` imports and nothing else.
 *
 * @module
 */

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import dockerignore from "@balena/dockerignore";
import { DockerfileParser, type Instruction, ModifiableInstruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { parseFlags } from "../lib/cli/flags.ts";

// A CommonJS module whose export is the factory; its types declare it as `default`.
const ignore = dockerignore as unknown as (typeof dockerignore)["default"];
const root = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, root));

/** deno.json's `compile` task, split into words. */
async function compileTask(): Promise<string[]> {
  const config = JSON.parse(await read("deno.json")) as { tasks: Record<string, string> };
  return (config.tasks["compile"] ?? "").split(/\s+/);
}

/** The stages of the Dockerfile: each FROM with the instructions up to the next. */
async function stages(): Promise<{ from: string; name?: string; body: Instruction[] }[]> {
  const dockerfile = DockerfileParser.parse(await read("Dockerfile"));
  const result: { from: string; name?: string; body: Instruction[] }[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const [image = "", , name] = instruction.getArgumentsContent()?.split(/\s+/) ?? [];
      result.push({ from: image, ...(name ? { name } : {}), body: [] });
    } else {
      result.at(-1)?.body.push(instruction);
    }
  }
  return result;
}

const argumentsOf = (instruction: Instruction | undefined) =>
  instruction?.getArgumentsContent() ?? "";

/** A COPY's flags (`--from=...`, `--chown=...`) and its arguments, as one line. */
const copyLine = (instruction: Instruction) =>
  instruction instanceof ModifiableInstruction
    ? [...instruction.getFlags().map(String), argumentsOf(instruction)].join(" ")
    : argumentsOf(instruction);

Deno.test("the Dockerfile passes the Dockerfile linter with no diagnostic", async () => {
  deepStrictEqual(validate(await read("Dockerfile")), []);
});

Deno.test("the Dockerfile compiles with the pinned Deno and the compile task", async () => {
  const [build, runtime] = await stages();
  ok(build && runtime, "two stages");
  const pinned = /^version="([^"]+)"$/m.exec(await read("scripts/ensure_deno.sh"))?.[1];
  equal(build.from, `denoland/deno:${pinned}`, "the Deno every other command uses");
  const runs = build.body.filter((each) => each.getKeyword() === "RUN").map(argumentsOf);
  ok(runs.includes("deno install --frozen"), "dependencies from deno.lock only");
  ok(runs.includes("deno task compile"), "the compile task, so its permissions are the image's");
});

Deno.test("the runtime stage is distroless, non-root and runs the compiled binary", async () => {
  const [build, runtime] = await stages();
  ok(build && runtime);
  equal(runtime.from, "gcr.io/distroless/cc-debian12:nonroot");
  const keywords = runtime.body.map((each) => each.getKeyword());
  ok(!keywords.includes("RUN") && !keywords.includes("SHELL"), "no shell in the runtime stage");
  const user = runtime.body.filter((each) => each.getKeyword() === "USER").map(argumentsOf);
  deepStrictEqual(user, ["65532:65532"], "distroless's nonroot user, numeric for runAsNonRoot");

  const task = await compileTask();
  const output = task[task.indexOf("--output") + 1];
  const copies = runtime.body.filter((each) => each.getKeyword() === "COPY").map(copyLine);
  const binary = copies.map((copy) => copy.split(/\s+/))
    .find((words) => words[0] === `--from=${build.name}` && words[1] === `/src/${output}`)?.[2];
  ok(binary, `the compile task's output (${output}) is copied from the build stage`);
  const entrypoint = runtime.body.find((each) => each.getKeyword() === "ENTRYPOINT");
  deepStrictEqual(JSON.parse(argumentsOf(entrypoint)), [binary], "exec form, the binary alone");

  // The directory the binary may write (besides /tmp) exists and belongs to the runtime user.
  const writable = (task.find((word) => word.startsWith("--allow-write=")) ?? "")
    .slice("--allow-write=".length).split(",").filter((path) => path !== "/tmp");
  deepStrictEqual(writable, ["/var/lib/service-reflector"]);
  ok(
    copies.some((copy) =>
      copy.startsWith(`--from=${build.name} --chown=65532:65532 `) &&
      copy.endsWith(` ${writable[0]}`)
    ),
    `${writable[0]} is created owned by 65532`,
  );

  const exposed = runtime.body.filter((each) => each.getKeyword() === "EXPOSE")
    .flatMap((each) => argumentsOf(each).split(/\s+/)).map(Number);
  const parsed = parseFlags([], { env: () => undefined });
  if (parsed.kind !== "run") throw new Error(parsed.output);
  const { emitter, listen } = parsed.config;
  deepStrictEqual(exposed, [emitter.insecurePort, emitter.securePort, listen.port]);
});

Deno.test(".dockerignore sends every module main.ts imports, and no tests, caches or tools", async () => {
  const filter = ignore().add((await read(".dockerignore")).split("\n"));
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("main.ts", root).pathname],
    stdout: "piped",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  const local = graph.modules.map((module) => module.specifier)
    .filter((specifier) => specifier.startsWith(root.href))
    .map((specifier) => specifier.slice(root.href.length));
  ok(local.includes("main.ts") && local.some((path) => path.startsWith("lib/")), local.join());
  const missing = [...local, "deno.json", "deno.lock"].filter((path) => filter.ignores(path));
  deepStrictEqual(missing, [], "the build context holds every module the binary is built from");

  const { stdout: listed } = await new Deno.Command("git", {
    args: ["ls-files"],
    cwd: root,
    stdout: "piped",
  }).output();
  const sent = new TextDecoder().decode(listed).trim().split("\n").filter((path) =>
    !filter.ignores(path)
  );
  // The library's barrels (lib/**/mod.ts) are its public entry points, tiny and harmless.
  const unused = sent.filter((path) =>
    !local.includes(path) && !path.startsWith("deno.") && !path.endsWith("/mod.ts")
  );
  deepStrictEqual(unused, [], "nothing in the build context that the binary does not use");
  for (const path of [".cache/cluster/x", ".tools/deno/bin/deno", "node_modules/x", "dist/x"]) {
    ok(filter.ignores(path), path);
  }
});
