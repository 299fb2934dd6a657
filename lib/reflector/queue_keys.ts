/**
 * The keys of the Reflector's one queue: a host key qualified by the model
 * it is of (`mirror:shop/web`), so that one queue and one worker pool serve
 * every host model, and two models' objects of one host key never share a
 * reconcile. A Kubernetes name holds no `:`, nor does a model's name.
 *
 * @module
 */

/** A model's host key, as queued. */
export interface QueueKey {
  /** The model's name. */
  readonly model: string;
  /** The host key, `namespace/name`. */
  readonly key: string;
}

/** The queue key of `key` of `model`. */
export function queueKey(model: string, key: string): string {
  return `${model}:${key}`;
}

/** The model and host key of `queued`; a key without a model is nobody's (empty model). */
export function parseQueueKey(queued: string): QueueKey {
  const at = queued.indexOf(":");
  return at < 0
    ? { model: "", key: queued }
    : { model: queued.slice(0, at), key: queued.slice(at + 1) };
}
