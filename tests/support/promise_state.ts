/**
 * Test helpers that observe whether a promise has
 * settled without awaiting it.
 *
 * @module
 */

/** Lets every pending promise callback chain of a few links run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A live view of a promise's outcome. */
export interface Tracked<T> {
  settled: boolean;
  value: T | undefined;
}

/** Records `promise`'s value in the returned object once it resolves. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { settled: false, value: undefined };
  promise.then((value) => {
    tracked.settled = true;
    tracked.value = value;
  });
  return tracked;
}
