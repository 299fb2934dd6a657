import { equal, ok } from "node:assert/strict";

Deno.test("the demo mirrors a Service across two clusters and follows a scale-up", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("dev.ts", import.meta.url).pathname, "--check"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).output();
  const out = new TextDecoder().decode(stdout);
  equal(code, 0, `${out}\n${new TextDecoder().decode(stderr)}`);
  ok(out.includes("Mirror in west, from source east.\n"), out);
  ok(out.includes("Mirror in west, endpoints: 10.1.0.1, 10.1.0.2\n"), out);
  ok(out.includes("Mirror in west, endpoints: 10.1.0.1, 10.1.0.2, 10.1.0.3, 10.1.0.4\n"), out);
  ok(out.includes("Stopping..."), out);
});
