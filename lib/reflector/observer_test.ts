import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { done } from "../controller/reconcile.ts";
import { fanOut, type ReflectorObserver } from "./observer.ts";

Deno.test("fanOut() tells every observer of every event, in the order given", () => {
  const told: string[] = [];
  const recording = (name: string): ReflectorObserver => ({
    onAttempt: (attempt) => told.push(`${name} attempt ${attempt.key}`),
    onWrite: (write) => told.push(`${name} ${write.verb} ${write.key}`),
    onUnowned: (key) => told.push(`${name} unowned ${key}`),
    onNamespaceMissing: (namespace, key) => told.push(`${name} waiting ${namespace} ${key}`),
    onInformerError: ({ cluster, phase }) => told.push(`${name} ${cluster} ${phase}`),
    onMode: (source, mode) => told.push(`${name} ${source} ${mode}`),
    onStopping: (phase) => told.push(`${name} stopping ${phase}`),
  });
  const observer = fanOut(recording("first"), {}, recording("second"));
  observer.onAttempt({ key: "shop/web", reconcileId: "1", outcome: done(), durationMs: 1 });
  observer.onWrite({ verb: "create", resource: "services", key: "shop/web", mirror: "shop/web" });
  observer.onUnowned("shop/taken");
  observer.onNamespaceMissing("fresh", "fresh/web");
  observer.onInformerError({ cluster: "east", phase: "discovery", error: new Error("down") });
  observer.onMode("east", "endpoints");
  observer.onStopping("workers");
  deepStrictEqual(told, [
    "first attempt shop/web",
    "second attempt shop/web",
    "first create shop/web",
    "second create shop/web",
    "first unowned shop/taken",
    "second unowned shop/taken",
    "first waiting fresh fresh/web",
    "second waiting fresh fresh/web",
    "first east discovery",
    "second east discovery",
    "first east endpoints",
    "second east endpoints",
    "first stopping workers",
    "second stopping workers",
  ]);
});

Deno.test("fanOut() calls methods on their own observer, and a throwing one stops the event there", () => {
  class Counter implements ReflectorObserver {
    count = 0;
    onUnowned(): void {
      this.count++;
    }
  }
  const counter = new Counter();
  const after: string[] = [];
  const observer = fanOut(counter, {
    onUnowned: () => {
      throw new Error("broken observer");
    },
  }, { onUnowned: (key) => after.push(key) });
  throws(() => observer.onUnowned("shop/web"), { message: "broken observer" });
  equal(counter.count, 1, "`this` is the observer");
  deepStrictEqual(after, [], "observers after the throwing one are not told");
});
