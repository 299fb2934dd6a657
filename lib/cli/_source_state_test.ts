import { equal } from "node:assert/strict";
import { sourceState } from "../../tests/support/source_states.ts";
import { describeSource } from "./_source_state.ts";

const url = "https://east.example:6443/";
const state = sourceState;

Deno.test("describeSource() says whether a source is reached, since when, and whether it synced", () => {
  const now = 1_000_000;
  equal(
    describeSource(
      state({
        synced: true,
        stale: false,
        removing: false,
        connected: true,
        lastContactMs: now - 2_400,
      }),
      now,
    ),
    `up, last contact 2s ago, synced, ${url}`,
  );
  equal(
    describeSource(
      state({
        synced: true,
        stale: false,
        removing: false,
        connected: false,
        lastContactMs: now - 40_000,
      }),
      now,
    ),
    `down (last contact 40s ago), synced (its last state is kept), ${url}`,
  );
  equal(
    describeSource(
      state({
        synced: false,
        stale: false,
        removing: false,
        connected: false,
        lastContactMs: undefined,
        lostSinceMs: now - 4_000,
      }),
      now,
    ),
    `down (never reached), not synced, ${url}`,
  );
  equal(
    describeSource(
      state({
        synced: true,
        stale: true,
        removing: false,
        connected: false,
        lastContactMs: now - 90_000,
      }),
      now,
    ),
    `down (last contact 90s ago), synced, stale (its endpoints are withdrawn), ${url}`,
  );
  equal(
    describeSource(
      state({
        synced: true,
        stale: false,
        removing: true,
        connected: false,
        lastContactMs: now - 1_000,
      }),
      now,
    ),
    `removed, stopped; its part of the host goes after the grace, ${url}`,
  );
});

Deno.test("describeSource() tells since when contact with a source that is down is lost", () => {
  const now = 1_000_000;
  equal(
    describeSource(
      state({ synced: true, lastContactMs: now - 9_000, lostSinceMs: now - 4_200 }),
      now,
    ),
    `down (last contact 9s ago, contact lost 4s ago), synced (its last state is kept), ${url}`,
  );
});
