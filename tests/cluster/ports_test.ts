import { equal, throws } from "node:assert/strict";
import { freePorts } from "./ports.ts";

Deno.test("freePorts() returns distinct ports that can be bound", () => {
  const ports = freePorts(5);
  equal(new Set(ports).size, 5);
  for (const port of ports) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    listener.close();
  }
});

Deno.test("freePorts() throws if count is not a positive integer", () => {
  throws(() => freePorts(0), {
    name: "RangeError",
    message: "Cannot pick free ports as 'count' must be a positive integer: current value is 0",
  });
});

Deno.test("freePorts() picks ports below the kernel's ephemeral range", () => {
  const [low] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim().split(/\s+/);
  for (const port of freePorts(20)) {
    equal(port >= 10_000 && port < Number(low), true, `port ${port}`);
  }
});
