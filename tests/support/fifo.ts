/**
 * Named pipes for the tests of files that must never be opened unchecked:
 * opening a FIFO for reading waits for a writer, and none comes.
 *
 * @module
 */

/** Makes a FIFO at `path` (with `mkfifo`, which Deno has no call for). */
export async function makeFifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path], stdout: "null" }).output();
  if (!made.success) {
    throw new Error(
      `Cannot make a FIFO at ${path}: mkfifo exited ${made.code}: ${
        new TextDecoder().decode(made.stderr).trim()
      }`,
    );
  }
}
