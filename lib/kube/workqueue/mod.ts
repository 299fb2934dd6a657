/**
 * The controller's work queue, with client-go's workqueue semantics: keys
 * are deduplicated, never processed by two workers at once, never lost when
 * re-added during processing, and retried with rate-limited backoff for as
 * long as they fail.
 *
 * - {@linkcode Queue}: the fair, stingy queue and its invariants.
 * - {@linkcode DelayingQueue}: adds `addAfter(key, ms)`.
 * - {@linkcode RateLimitingQueue}: adds `addRateLimited(key)`.
 * - Rate limiters: {@linkcode ExponentialFailureRateLimiter},
 *   {@linkcode BucketRateLimiter}, {@linkcode MaxOfRateLimiter},
 *   {@linkcode defaultControllerRateLimiter}.
 * - {@linkcode runWorkers}: N worker loops that drain on abort.
 *
 * @module
 */

export * from "./queue.ts";
export * from "./delaying_queue.ts";
export * from "./rate_limiters.ts";
export * from "./rate_limiting_queue.ts";
export * from "./run_workers.ts";
