import { equal, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { configMapDir } from "../../tests/support/configmap_dir.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { makeFifo } from "../../tests/support/fifo.ts";
import { poll } from "../../tests/support/poll.ts";
import { BoundedReader, UnreadableFileError } from "./_bounded_read.ts";

const reader = new BoundedReader({ maxBytes: 64, timeoutMs: 5_000 });

/** Rejects with an {@linkcode UnreadableFileError} of `path` whose message is `message`. */
async function refuses(read: Promise<string>, path: string, problem: string): Promise<void> {
  await rejects(read, (error: unknown) => {
    equal(error instanceof UnreadableFileError, true, String(error));
    equal((error as UnreadableFileError).message, `Cannot read ${path}: ${problem}`);
    return true;
  });
}

Deno.test("BoundedReader.read() reads a regular file through a ConfigMap's symlinks", async () => {
  await using mounted = await configMapDir({ "sources.yaml": "sources: []\n" });
  equal(await reader.read(mounted.path("sources.yaml")), "sources: []\n");
  await mounted.update({ "sources.yaml": "sources: [] # two\n" });
  equal(await reader.read(mounted.path("sources.yaml")), "sources: [] # two\n");
});

Deno.test("BoundedReader.read() refuses a FIFO, a character device, a symlink to one and a directory without reading them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bounded-read-" });
  try {
    const fifo = join(dir, "fifo");
    await makeFifo(fifo);
    // Opening it would wait for a writer that never comes.
    await refuses(reader.read(fifo), fifo, "it is a FIFO, not a regular file");
    await refuses(
      reader.read("/dev/zero"),
      "/dev/zero",
      "it is a character device, not a regular file",
    );
    const zero = join(dir, "zero");
    await Deno.symlink("/dev/zero", zero);
    await refuses(reader.read(zero), zero, "it is a character device, not a regular file");
    await refuses(reader.read(dir), dir, "it is a directory, not a regular file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BoundedReader.read() counts the bytes it reads, not the size a stat tells", async () => {
  // procfs files stat as regular files of size 0 and hold more than 64 bytes.
  equal((await Deno.stat("/proc/self/mountinfo")).size, 0);
  await refuses(
    reader.read("/proc/self/mountinfo"),
    "/proc/self/mountinfo",
    "it holds more than 64 bytes",
  );
  const dir = await Deno.makeTempDir({ prefix: "bounded-read-" });
  try {
    const path = join(dir, "exact");
    await Deno.writeTextFile(path, "x".repeat(64));
    equal(await reader.read(path), "x".repeat(64));
    await Deno.writeTextFile(path, "x".repeat(65));
    await refuses(reader.read(path), path, "it holds more than 64 bytes");
    await refuses(
      reader.read(join(dir, "missing")),
      join(dir, "missing"),
      `it cannot be read: No such file or directory (os error 2): realpath '${
        join(dir, "missing")
      }'`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BoundedReader.read() abandons a read past its bound and reads again once the abandoned one returned", async () => {
  await using mounted = await configMapDir({ "sources.yaml": "sources: []\n" });
  const path = mounted.path("sources.yaml");
  const clock = new FakeClock(1_000);
  const timed = new BoundedReader({ maxBytes: 64, timeoutMs: 2_000, clock });
  // The bound passes before the file system has answered even the first look at the path:
  // until the next turn of the event loop, nothing the read asked of it has returned.
  const first = refuses(
    timed.read(path),
    path,
    "it was not read within 2s: the read was abandoned",
  );
  const moved = clock.advance(2_000);
  await first;
  await refuses(
    timed.read(path),
    path,
    "an earlier read of it was abandoned 0s ago and has not returned: it is not read again until it does",
  );
  await moved;
  const text = await poll(() => timed.read(path).catch(() => undefined), {
    description: "a read after the abandoned one returned",
  });
  equal(text, "sources: []\n");
});

Deno.test("BoundedReader refuses bounds that are not positive integers", () => {
  throws(() => new BoundedReader({ maxBytes: 0, timeoutMs: 1 }), {
    name: "RangeError",
    message: "Cannot read files as 'maxBytes' must be a positive integer: current value is 0",
  });
  throws(() => new BoundedReader({ maxBytes: 1, timeoutMs: 1.5 }), {
    name: "RangeError",
    message: "Cannot read files as 'timeoutMs' must be a positive integer: current value is 1.5",
  });
});
