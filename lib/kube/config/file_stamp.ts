/**
 * What identifies one version of a file without reading it, for files that
 * are re-read when they change (rotated tokens, token lists): a change of
 * modification time, size or inode means "read it again". An atomic
 * replace (a new inode) is seen even when time and size happen to match.
 *
 * @module
 */

/** A file's version marks. */
export interface FileStamp {
  /** Modification time in ms, or null where the platform has none. */
  readonly mtime: number | null;
  /** Size in bytes. */
  readonly size: number;
  /** Inode number, or null where the platform has none. */
  readonly ino: number | null;
}

/** Stats `path`; rejects with Deno's error (e.g. `Deno.errors.NotFound`). */
export async function fileStamp(path: string): Promise<FileStamp> {
  const info = await Deno.stat(path);
  return { mtime: info.mtime?.getTime() ?? null, size: info.size, ino: info.ino };
}

/** Whether two stamps name the same version. */
export function sameFileStamp(a: FileStamp, b: FileStamp): boolean {
  return a.mtime === b.mtime && a.size === b.size && a.ino === b.ino;
}
