import { deepStrictEqual } from "node:assert/strict";
import type { NameClaim } from "./_name_claims.ts";
import { settleClaims } from "./_name_claims.ts";

const claim = (claimant: string, source: string, created?: string): NameClaim => ({
  claimant,
  objects: {
    source,
    service: {
      metadata: {
        name: "a-b-c",
        namespace: "shop",
        ...(created ? { creationTimestamp: created } : {}),
      },
    },
  },
});

Deno.test("settleClaims() keeps every source of one claimant: merged Services merge", () => {
  const claims = [claim("merged web", "east"), claim("merged web", "north")];
  deepStrictEqual(settleClaims(claims), {
    inputs: claims.map((each) => each.objects),
    winner: "merged web",
    losers: [],
  });
  deepStrictEqual(settleClaims([]), { inputs: [], winner: undefined, losers: [] });
});

Deno.test("settleClaims() gives a name several claimants want to the oldest, then the first by name", () => {
  const older = claim("c/a-b", "c", "2026-01-01T00:00:00Z");
  const newer = claim("b-c/a", "b-c", "2026-02-01T00:00:00Z");
  const merged = claim("merged a-b-c", "d", "2026-03-01T00:00:00Z");
  deepStrictEqual(settleClaims([newer, merged, older]), {
    inputs: [older.objects],
    winner: "c/a-b",
    losers: ["b-c/a", "merged a-b-c"],
  });
  const tie = claim("b-c/a", "b-c", "2026-01-01T00:00:00Z");
  deepStrictEqual(settleClaims([older, tie]).winner, "b-c/a", "same second: by claimant");
  deepStrictEqual(settleClaims([claim("z/x", "z"), older]).winner, "c/a-b", "no time loses");
});
