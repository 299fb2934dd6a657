/**
 * A first-in first-out list with amortised O(1) `push` and `shift`, for the
 * queue's pending keys and its waiting `get()` callers. `Array.prototype.shift`
 * is O(n), which would make draining a long queue quadratic.
 *
 * @module
 */

/** A FIFO of `T`. Private to the workqueue. */
export class Fifo<T> {
  #items: T[] = [];
  // Index of the oldest live item; everything before it has been shifted out.
  #head = 0;

  /** The number of items. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends `item` at the tail. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Removes and returns the oldest item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#head++;
    // Compacting once the dead prefix is half the array keeps the total cost linear.
    if (this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }
}
