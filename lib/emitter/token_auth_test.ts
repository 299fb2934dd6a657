import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { withTempDir } from "../../tests/support/kubeconfig_fixtures.ts";
import { tokenAuthenticator, tokenAuthRecheckMs } from "./token_auth.ts";

/** Writes `text` to `path` and stamps it with `mtime` (seconds), so changes are exact. */
async function writeTokens(path: string, text: string, mtime: number): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.utime(path, mtime, mtime);
}

/** A request carrying `authorization`, if given. */
function request(authorization?: string): Request {
  const headers: HeadersInit = authorization === undefined ? {} : { authorization };
  return new Request("http://emitter.test/api/v1/services", { headers });
}

Deno.test("tokenAuthenticator() accepts exactly `Bearer <token>` for a listed token", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "tokens");
    await writeTokens(path, "alpha\nbeta\n", 1000);
    const authenticate = await tokenAuthenticator(path, { clock: new FakeClock() });
    for (const header of ["Bearer alpha", "bearer beta", "BEARER alpha"]) {
      equal(await authenticate(request(header)), true, header);
    }
    const refused = [
      undefined,
      "Bearer gamma",
      "Bearer alph",
      "Bearer alphaa",
      "Bearer  alpha",
      "Bearer ",
      "Bearer",
      "Basic alpha",
      "alpha",
      "Bearer alpha,beta",
    ];
    for (const header of refused) equal(await authenticate(request(header)), false, header);
  });
});

Deno.test("tokenAuthenticator() takes the first field of CSV lines and skips comments and blank lines", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "tokens");
    await writeTokens(
      path,
      [
        "# readers of the Emitter",
        "",
        "   ",
        "  plain-token  ",
        'csv-token,reader,uid-1,"group1,group2"',
        '"quoted""token",reader,uid-2',
        "#commented-token",
        ",nobody,uid-3",
        "crlf-token\r",
      ].join("\n"),
      1000,
    );
    const authenticate = await tokenAuthenticator(path, { clock: new FakeClock() });
    for (const token of ["plain-token", "csv-token", 'quoted"token', "crlf-token"]) {
      equal(await authenticate(request(`Bearer ${token}`)), true, token);
    }
    const refused = [
      "#commented-token",
      "commented-token",
      "reader",
      "uid-1",
      "group1",
      "nobody",
      '"quoted""token"',
      'csv-token,reader,uid-1,"group1,group2"',
    ];
    for (const token of refused) {
      equal(await authenticate(request(`Bearer ${token}`)), false, token);
    }
  });
});

Deno.test("tokenAuthenticator() picks up a rotation at the first check after the 1 s window", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "tokens");
    const clock = new FakeClock();
    await writeTokens(path, "old\n", 1000);
    const authenticate = await tokenAuthenticator(path, { clock });
    await writeTokens(path, "new\n", 2000);

    // Inside the window the file is not looked at.
    await clock.advance(tokenAuthRecheckMs - 1);
    equal(await authenticate(request("Bearer old")), true);
    equal(await authenticate(request("Bearer new")), false);

    await clock.advance(1);
    equal(await authenticate(request("Bearer new")), true);
    equal(await authenticate(request("Bearer old")), false);
  });
});

Deno.test("tokenAuthenticator() keeps the last good tokens through a broken edit and reports it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "tokens");
    const clock = new FakeClock();
    const errors: string[] = [];
    await writeTokens(path, "old\n", 1000);
    const authenticate = await tokenAuthenticator(path, {
      clock,
      onReloadError: (error) => errors.push(error instanceof Error ? error.message : `${error}`),
    });

    await writeTokens(path, "# everything commented out\n", 2000);
    await clock.advance(tokenAuthRecheckMs);
    equal(await authenticate(request("Bearer old")), true, "not locked out");
    equal(await authenticate(request("Bearer ")), false, "not opened");
    deepStrictEqual(errors, [`Cannot read token file "${path}": file holds no token`]);

    // The same broken version is not read, nor reported, again.
    await clock.advance(tokenAuthRecheckMs);
    equal(await authenticate(request("Bearer old")), true);
    equal(errors.length, 1);

    await Deno.remove(path);
    await clock.advance(tokenAuthRecheckMs);
    equal(await authenticate(request("Bearer old")), true, "a deleted file keeps the tokens");
    deepStrictEqual(errors.slice(1), [`Cannot read token file "${path}": file not found`]);

    await writeTokens(path, "fixed\n", 3000);
    await clock.advance(tokenAuthRecheckMs);
    equal(await authenticate(request("Bearer fixed")), true);
    equal(await authenticate(request("Bearer old")), false);
    equal(errors.length, 2);
  });
});

Deno.test("tokenAuthenticator() throws at start on a file without a token", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "tokens");
    for (const text of ["", "\n\n", "# only a comment\n", ",user,uid\n"]) {
      await Deno.writeTextFile(path, text);
      await rejects(tokenAuthenticator(path), {
        name: "Error",
        message: `Cannot read token file "${path}": file holds no token`,
      }, JSON.stringify(text));
    }
  });
});

Deno.test("tokenAuthenticator() throws at start on a missing file or an empty path", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "absent");
    await rejects(tokenAuthenticator(path), (error) => {
      ok(error instanceof Error);
      equal(error.message, `Cannot read token file "${path}": file not found`);
      ok(error.cause instanceof Deno.errors.NotFound);
      return true;
    });
  });
  await rejects(tokenAuthenticator(""), {
    name: "TypeError",
    message: `Cannot read token file as 'path' must be a non-empty string: current value is ""`,
  });
});
