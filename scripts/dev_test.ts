import { equal, ok } from "node:assert/strict";

Deno.test("the demo mirrors a Service across two clusters, reaches its Pods by name, and follows a scale-up", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("dev.ts", import.meta.url).pathname, "--check"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).output();
  const out = new TextDecoder().decode(stdout);
  equal(code, 0, `${out}\n${new TextDecoder().decode(stderr)}`);
  ok(out.includes("Mirror in west, from source east.\n"), out);
  ok(out.includes("Mirror in west, endpoints: 10.244.1.1, 10.244.1.2\n"), out);
  ok(
    out.includes("Mirror in west, endpoints: 10.244.1.1, 10.244.1.2, 10.244.1.3, 10.244.1.4\n"),
    out,
  );
  const resolved = out.match(
    /In west, hello\.demo\.svc\.cluster\.local resolves to (10\.96\.\d+\.\d+) /g,
  );
  equal(resolved?.length, 2, out);
  const pods = (indexes: number[]) => indexes.map((index) => `east/demo/hello-${index}`).join(", ");
  const answered = (indexes: number[]) =>
    `From west, http://hello.demo.svc.cluster.local/ answered by Pods ${pods(indexes)}.\n`;
  ok(out.includes(answered([1, 2])), out);
  ok(out.includes(answered([1, 2, 3, 4])), out);
  ok(out.includes("Stopping..."), out);
});
