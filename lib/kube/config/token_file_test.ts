import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { tokenFileCredentials, tokenFileRecheckMs } from "./token_file.ts";
import { FakeClock } from "../../../tests/support/fake_clock.ts";
import { withTempDir } from "../../../tests/support/kubeconfig_fixtures.ts";

/** Writes `token` to `path` and stamps it with `mtime` (seconds), so changes are exact. */
async function writeToken(path: string, token: string, mtime: number): Promise<void> {
  await Deno.writeTextFile(path, token);
  await Deno.utime(path, mtime, mtime);
}

Deno.test("tokenFileCredentials() reads the token with surrounding whitespace trimmed", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "token");
    await Deno.writeTextFile(path, "  abc.def.ghi\n");
    deepEqual(await tokenFileCredentials(path).get(), { token: "abc.def.ghi" });
  });
});

Deno.test("tokenFileCredentials() checks the file at most once per second", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "token");
    const clock = new FakeClock();
    const provider = tokenFileCredentials(path, { clock });
    await writeToken(path, "one", 1000);
    deepEqual(await provider.get(), { token: "one" });

    // Rotated, but still inside the window: the cached token is served.
    await writeToken(path, "second", 2000);
    await clock.advance(tokenFileRecheckMs - 1);
    deepEqual(await provider.get(), { token: "one" });

    await clock.advance(1);
    deepEqual(await provider.get(), { token: "second" });
  });
});

Deno.test("tokenFileCredentials() re-reads only when mtime or size changed", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "token");
    const clock = new FakeClock();
    const provider = tokenFileCredentials(path, { clock });
    await writeToken(path, "aaa", 1000);
    deepEqual(await provider.get(), { token: "aaa" });

    // Same size, same mtime: the stat says nothing changed, so the file is not read.
    await writeToken(path, "bbb", 1000);
    await clock.advance(tokenFileRecheckMs);
    deepEqual(await provider.get(), { token: "aaa" });

    // Only the mtime changed.
    await writeToken(path, "ccc", 1001);
    await clock.advance(tokenFileRecheckMs);
    deepEqual(await provider.get(), { token: "ccc" });

    // Only the size changed.
    await writeToken(path, "dddd", 1001);
    await clock.advance(tokenFileRecheckMs);
    deepEqual(await provider.get(), { token: "dddd" });
  });
});

Deno.test("tokenFileCredentials() re-reads at once after invalidate()", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "token");
    const clock = new FakeClock();
    const provider = tokenFileCredentials(path, { clock });
    await writeToken(path, "old", 1000);
    deepEqual(await provider.get(), { token: "old" });
    // Even an identical stamp does not keep the old token after a 401.
    await writeToken(path, "new", 1000);
    provider.invalidate();
    deepEqual(await provider.get(), { token: "new" });
  });
});

Deno.test("tokenFileCredentials() fails on an empty or missing file and recovers when it is fixed", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "token");
    const clock = new FakeClock();
    const provider = tokenFileCredentials(path, { clock });
    await rejects(provider.get(), (error) => {
      ok(error instanceof Error);
      equal(error.message, `Cannot read token file "${path}": file not found`);
      ok(error.cause instanceof Deno.errors.NotFound);
      return true;
    });
    await writeToken(path, "\n", 1000);
    await rejects(provider.get(), {
      name: "Error",
      message: `Cannot read token file "${path}": file is empty`,
    });
    // A failure caches nothing, so the next get() looks again without waiting for the window.
    await writeToken(path, "fixed", 1001);
    deepEqual(await provider.get(), { token: "fixed" });
  });
});

Deno.test("tokenFileCredentials() shares one check between concurrent get() calls", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "token");
    await Deno.writeTextFile(path, "t");
    const provider = tokenFileCredentials(path, { clock: new FakeClock() });
    const [a, b] = await Promise.all([provider.get(), provider.get()]);
    equal(a, b);
  });
});
