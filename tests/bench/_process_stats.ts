/**
 * Memory and CPU of another process, read from outside it (`/proc/<pid>`),
 * so that measuring costs the measured process nothing.
 *
 * @module
 */

/**
 * A resident-memory field of process `pid`, in bytes: `VmRSS` (now),
 * `VmHWM` (the peak so far), or the part of `VmRSS` that is anonymous
 * (`RssAnon`: heaps, stacks, buffers) or mapped from files (`RssFile`:
 * mostly the executable's code, shared and reclaimable).
 */
export async function residentBytes(
  pid: number,
  field: "VmRSS" | "VmHWM" | "RssAnon" | "RssFile" = "VmRSS",
): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = status.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"))?.[1];
  return Number(kib) * 1024;
}

/**
 * The resident bytes of process `pid`'s `[heap]` mapping: the C
 * allocator's main arena, where V8's array buffers and the runtime's own
 * allocations live (the V8 heap has mappings of its own).
 */
export async function mallocHeapBytes(pid: number): Promise<number> {
  const smaps = await Deno.readTextFile(`/proc/${pid}/smaps`);
  let inHeap = false;
  let kib = 0;
  for (const line of smaps.split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inHeap = line.endsWith("[heap]");
    else if (inHeap && line.startsWith("Rss:")) kib += Number(line.split(/\s+/)[1]);
  }
  return kib * 1024;
}

/** CPU seconds (user and system) process `pid` used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1]?.split(" ") ?? [];
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds used so far by every process whose command line names
 * `text`, e.g. a test cluster's directory, which its etcd, kube-apiserver
 * and controller-manager are all given.
 */
export async function cpuSecondsOfProcessesNaming(text: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    try {
      const commandLine = await Deno.readTextFile(`/proc/${pid}/cmdline`);
      if (commandLine.includes(text)) total += await cpuSeconds(pid);
    } catch (error) {
      // The process ended while being read.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return total;
}
