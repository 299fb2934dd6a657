import { equal, ok, rejects } from "node:assert/strict";
import { Component } from "./component.ts";
import { poll } from "../support/poll.ts";

Deno.test("Component logs both streams, stops with SIGTERM and appends across restarts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const component = new Component("talker", {
      binary: "bash",
      args: ["-c", 'echo "out $RUN"; echo "err $RUN" >&2; exec sleep 60'],
      logPath: `${dir}/talker.log`,
      env: { RUN: "first" },
    });
    await component.start();
    await rejects(component.start(), { message: "Cannot start talker: it is already running" });
    await poll(async () => {
      const log = await Deno.readTextFile(component.logPath);
      return log.includes("out first") && log.includes("err first") ? true : undefined;
    }, { description: "both lines in the log" });
    await component.stop();
    equal((await component.exited).signal, "SIGTERM");

    await component.start();
    await poll(async () => {
      const log = await Deno.readTextFile(component.logPath);
      return log.split("out first").length === 3 ? true : undefined;
    }, { description: "the second run's lines appended" });
    await component.stop();
    const tail = await component.tail(2);
    ok(tail.includes("first"), tail);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Component.stop() reaps a process that already exited", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const component = new Component("quitter", {
      binary: "bash",
      args: ["-c", "exit 3"],
      logPath: `${dir}/quitter.log`,
    });
    await component.start();
    equal((await component.exited).code, 3);
    await component.stop();
    await component.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Component.start() fails on a missing binary and closes its log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const component = new Component("ghost", {
      binary: `${dir}/no-such-binary`,
      args: [],
      logPath: `${dir}/ghost.log`,
    });
    await rejects(component.start(), { name: "NotFound" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
