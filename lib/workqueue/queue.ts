/**
 * A work queue of string keys with client-go's workqueue properties:
 *
 * - Fair: keys are handed out in the order they were added (FIFO), and
 *   concurrent `get()` callers are served in the order they called.
 * - Stingy: a key added several times before it is handed out is queued once.
 * - Exclusive: a key is held by at most one caller between `get()` and
 *   `done()`. Adding it meanwhile marks it dirty; `done()` then queues it again,
 *   exactly once, so the change that caused the add is never lost.
 * - Shutdown: adds are ignored once shutting down. `shutDown()` stops handing
 *   out keys at once; `shutDownWithDrain()` keeps handing out what is queued
 *   and resolves when everything has been processed.
 *
 * The caller's duty: call `done(key)` for every key `get()` returned, in a
 * `finally`, or the key is never handed out again.
 *
 * @module
 */

import { Fifo } from "./_fifo.ts";

/**
 * A fair, stingy work queue: see the module doc for its properties.
 *
 * @example Process keys until the queue is shut down
 * ```ts
 * import { Queue } from "./queue.ts";
 *
 * const queue = new Queue();
 * queue.add("default/web");
 * queue.add("default/web"); // already queued: no-op
 * const drained = queue.shutDownWithDrain();
 * for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
 *   try {
 *     // reconcile(key)
 *   } finally {
 *     queue.done(key);
 *   }
 * }
 * await drained;
 * ```
 */
export class Queue {
  // Invariants:
  // - #queue holds distinct keys; each is in #dirty and not in #processing.
  // - #dirty holds every key that needs processing: those in #queue, plus
  //   those added while in #processing, which `done()` moves into #queue.
  // - #processing holds the keys handed out and not yet done.
  // - #waiters is non-empty only while #queue is empty and not shutting down.
  #queue = new Fifo<string>();
  #dirty = new Set<string>();
  #processing = new Set<string>();
  #waiters = new Fifo<(key: string | undefined) => void>();
  #shuttingDown = false;
  #draining = false;
  #drained: PromiseWithResolvers<void> | undefined;

  /**
   * Marks `key` as needing processing. No-op if it is already queued, or if
   * the queue is shutting down. If `key` is being processed, it is queued
   * again when `done(key)` is called.
   */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /**
   * Waits for a key and hands it out; the caller must call `done(key)` once
   * it has processed it. Resolves `undefined` once the queue is shut down:
   * at once after `shutDown()`, and after `shutDownWithDrain()` as soon as
   * nothing is left queued.
   */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown && !this.#draining) return Promise.resolve(undefined);
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#handOut(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Marks `key` as processed. If it was added again while being processed,
   * it is queued again now. No-op for a key that is not being processed.
   */
  done(key: string): void {
    if (!this.#processing.delete(key)) return;
    if (this.#dirty.has(key)) this.#enqueue(key);
    this.#settleDrain();
  }

  /**
   * The number of keys waiting to be handed out, excluding those being
   * processed. Informational only: it may change before the caller acts on it.
   */
  len(): number {
    return this.#queue.length;
  }

  /**
   * Stops the queue now: adds are ignored, `get()` resolves `undefined`
   * (pending calls included), and keys still queued are never handed out.
   * A pending `shutDownWithDrain()` resolves without waiting any longer.
   */
  shutDown(): void {
    this.#shuttingDown = true;
    this.#draining = false;
    this.#releaseWaiters();
    this.#drained?.resolve();
  }

  /**
   * Stops accepting adds but keeps handing out queued keys, including keys
   * that `done()` queues again. Resolves once nothing is queued and every key
   * handed out has been marked done. Workers must keep calling `get()` until
   * it resolves `undefined`, or this never resolves; `shutDown()` abandons
   * the drain.
   */
  shutDownWithDrain(): Promise<void> {
    if (this.#shuttingDown && !this.#draining) return Promise.resolve();
    this.#shuttingDown = true;
    this.#draining = true;
    this.#drained ??= Promise.withResolvers<void>();
    this.#releaseWaiters();
    this.#settleDrain();
    return this.#drained.promise;
  }

  /** Whether `shutDown()` or `shutDownWithDrain()` has been called. */
  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #enqueue(key: string): void {
    const waiter = this.#waiters.shift();
    // A waiter exists only while the queue is empty, so handing the key
    // straight to the longest waiter keeps FIFO order.
    if (waiter) waiter(this.#handOut(key));
    else this.#queue.push(key);
  }

  #handOut(key: string): string {
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #releaseWaiters(): void {
    // Waiters exist only while the queue is empty, so none of them is owed a key.
    for (const waiter of this.#waiters.drain()) waiter(undefined);
  }

  #settleDrain(): void {
    if (this.#draining && this.#processing.size === 0 && this.#queue.length === 0) {
      this.#drained?.resolve();
    }
  }
}
