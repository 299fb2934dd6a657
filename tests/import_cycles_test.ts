/**
 * The house rule that imports point one way: no module of the project
 * reaches itself through its imports (type imports included), from the
 * command's entry point or the benchmarks'. Read from `deno info --json`,
 * the module graph Deno itself resolves.
 */
import { deepStrictEqual, ok } from "node:assert/strict";

const root = new URL("../", import.meta.url).href;

interface ModuleInfo {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** The project's import graph from `entry`: module path to the project paths it imports. */
async function importGraph(entry: string): Promise<Map<string, string[]>> {
  const { stdout, success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: new URL(root).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(success, new TextDecoder().decode(stderr));
  const { modules } = JSON.parse(new TextDecoder().decode(stdout)) as { modules: ModuleInfo[] };
  const local = (specifier: string | undefined) =>
    specifier?.startsWith(root) ? specifier.slice(root.length) : undefined;
  const graph = new Map<string, string[]>();
  for (const module of modules) {
    const from = local(module.specifier);
    if (!from) continue;
    const to = (module.dependencies ?? []).flatMap((each) =>
      [local(each.code?.specifier), local(each.type?.specifier)].filter((path) =>
        path !== undefined
      )
    );
    graph.set(from, [...new Set(to)]);
  }
  return graph;
}

/** The strongly connected components of more than one module (Tarjan's algorithm), sorted. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found.sort();
}

Deno.test("cycles() finds every loop of imports, and none in a tree", () => {
  deepStrictEqual(cycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", []]])), []);
  deepStrictEqual(
    cycles(new Map([["a", ["b"]], ["b", ["c", "a"]], ["c", []], ["d", ["e"]], ["e", ["d"]]])),
    [["a", "b"], ["d", "e"]],
  );
});

for (const entry of ["main.ts", "tests/bench/main.ts"]) {
  Deno.test(`no project module imports itself, through any path, from ${entry}`, async () => {
    const graph = await importGraph(entry);
    ok(graph.size > 50, `the graph was read: ${graph.size} modules`);
    deepStrictEqual(cycles(graph), []);
  });
}
