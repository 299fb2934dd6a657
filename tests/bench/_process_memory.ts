/**
 * Memory of another process, read from outside it (`/proc/<pid>/status`),
 * so that measuring costs the measured process nothing.
 *
 * @module
 */

/** `VmRSS` (resident now) or `VmHWM` (the peak resident so far) of process `pid`, in bytes. */
export async function residentBytes(
  pid: number,
  field: "VmRSS" | "VmHWM" = "VmRSS",
): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = status.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"))?.[1];
  return Number(kib) * 1024;
}
