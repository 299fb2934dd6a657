import { equal } from "node:assert/strict";
import { fileStamp, sameFileStamp } from "./file_stamp.ts";

Deno.test("fileStamp() changes when a file is rewritten or replaced", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/token`;
    await Deno.writeTextFile(path, "one");
    const first = await fileStamp(path);
    equal(sameFileStamp(first, await fileStamp(path)), true);
    await Deno.writeTextFile(path, "three");
    equal(sameFileStamp(first, await fileStamp(path)), false, "size changed");
    await Deno.writeTextFile(`${dir}/next`, "one");
    await Deno.utime(`${dir}/next`, new Date(first.mtime ?? 0), new Date(first.mtime ?? 0));
    await Deno.rename(`${dir}/next`, path);
    equal(sameFileStamp(first, await fileStamp(path)), false, "same size and time, new inode");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
