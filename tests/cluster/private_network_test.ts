/**
 * The private network of the data-plane tests: refused outside the
 * namespace its script made, and every address and link it adds removed by
 * the last of its holders. Runs inside that namespace (`deno task test`).
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { addLocalAddress, dnsAddress, holdNodeNetwork, nodeAddress } from "./private_network.ts";

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command("ip", { args, stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(stdout);
}

Deno.test("the data plane refuses a namespace its script did not make, in one line naming the script", async () => {
  const module = new URL("./private_network.ts", import.meta.url).href;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { assertPrivateNetwork } from "${module}";
       await assertPrivateNetwork().catch((error) => { console.error(error.message); Deno.exit(3); });`,
    ],
    env: { SERVICE_REFLECTOR_NETNS: "net:[1]" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const message = new TextDecoder().decode(stderr).trim();
  equal(code, 3, message);
  equal(message.split("\n").length, 1, message);
  ok(message.includes("scripts/in_private_network.sh"), message);
});

Deno.test("the node network lives while held, and an address while its handle does", async () => {
  const first = await holdNodeNetwork("10.96.0.0/16");
  const second = await holdNodeNetwork("10.96.0.0/16");
  ok((await ip("-4", "-o", "address", "show", "dev", "sr-node")).includes(`${nodeAddress}/24`));
  ok((await ip("route", "show", "10.96.0.0/16")).includes("dev sr-node"));
  await first[Symbol.asyncDispose]();
  ok((await ip("link", "show", "sr-node")).includes("sr-node"), "released by one of two holders");
  await second[Symbol.asyncDispose]();
  equal(await ip("link", "show", "sr-node"), "", "released by the last holder");
  deepStrictEqual(await ip("route", "show", "10.96.0.0/16"), "");

  const address = await addLocalAddress(dnsAddress);
  ok((await ip("-4", "-o", "address", "show", "dev", "lo")).includes(`${dnsAddress}/32`));
  await address[Symbol.asyncDispose]();
  ok(!(await ip("-4", "-o", "address", "show", "dev", "lo")).includes(dnsAddress));
});
