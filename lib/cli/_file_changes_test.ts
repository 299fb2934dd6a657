import { equal } from "node:assert/strict";
import { join } from "node:path";
import { configMapDir } from "../../tests/support/configmap_dir.ts";
import { makeFifo } from "../../tests/support/fifo.ts";
import { poll } from "../../tests/support/poll.ts";
import { watchFileChanges } from "./_file_changes.ts";

/** Watches `path` (no polls) until disposed; `told` counts the calls. */
function watched(path: string) {
  const stop = new AbortController();
  const counter = { told: 0 };
  const running = watchFileChanges(path, {
    signal: stop.signal,
    onChange: () => void counter.told++,
    pollMs: 3_600_000,
    checkMs: 50,
  });
  return {
    counter,
    /** Waits until the calls reach `count`. */
    told: (count: number, what: string) =>
      poll(() => counter.told >= count || undefined, { description: what }),
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
    },
  };
}

Deno.test("watchFileChanges() tells the start, then a ConfigMap's ..data swap, though the file's own symlink never changes", async () => {
  await using mounted = await configMapDir({ "sources.yaml": "a\n" });
  await using watching = watched(mounted.path("sources.yaml"));
  await watching.told(1, "the start told");
  await new Promise((resolve) => setTimeout(resolve, 200));
  equal(watching.counter.told, 1, "nothing told while nothing changes");
  await mounted.update({ "sources.yaml": "b\n" });
  await watching.told(2, "the swap told");
});

Deno.test("watchFileChanges() tells a write in place, a removal and a file made again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "file-changes-" });
  try {
    const path = join(dir, "sources.yaml");
    await Deno.writeTextFile(path, "a\n");
    await using watching = watched(path);
    await watching.told(1, "the start told");
    await Deno.writeTextFile(path, "bb\n");
    await watching.told(2, "the write told");
    await Deno.remove(path);
    await watching.told(3, "the removal told");
    await Deno.writeTextFile(path, "a\n");
    await watching.told(4, "the new file told");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchFileChanges() tells a FIFO made in the file's place without opening it, and stops at once after", async () => {
  const dir = await Deno.makeTempDir({ prefix: "file-changes-" });
  try {
    const path = join(dir, "sources.yaml");
    await Deno.writeTextFile(path, "a\n");
    {
      await using watching = watched(path);
      await watching.told(1, "the start told");
      await Deno.remove(path);
      await makeFifo(path);
      await makeFifo(join(dir, "another"));
      await watching.told(2, "the FIFO told");
      await Deno.remove(path);
      await Deno.writeTextFile(path, "b\n");
      await watching.told(3, "the file back told");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
