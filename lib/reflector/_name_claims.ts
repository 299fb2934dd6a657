/**
 * Who gets a mirror name that several source Services render to
 * (`mirror_names.ts`). A claimant is either every source's merged Service
 * of one name (they merge into one mirror, as they should) or one source's
 * per-source Service. When more than one claimant wants a name, the oldest
 * has it: the one whose oldest Service has the earliest creationTimestamp,
 * then the first claimant by name; a name never mixes claimants, so the
 * others are not mirrored under it, and are reported.
 *
 * The decision is a pure function of the claims, so every reconcile of the
 * name decides the same while the claims stay as they are.
 *
 * @module
 */

import type { SourceObjects } from "./_desired_inputs.ts";

/** One source Service's claim to a mirror name. */
export interface NameClaim {
  /** Who claims (see the module doc), e.g. `merged web` or `east/web`. */
  readonly claimant: string;
  /** What it would be mirrored from, already carrying the mirror's name. */
  readonly objects: SourceObjects;
}

/** What {@linkcode settleClaims} decided. */
export interface SettledClaims {
  /** The winner's objects, which make the mirror. */
  readonly inputs: SourceObjects[];
  /** The claimant that has the name; undefined without claims. */
  readonly winner: string | undefined;
  /** Every other claimant, sorted. */
  readonly losers: string[];
}

/** The oldest claimant of `claims` and its objects (see the module doc). */
export function settleClaims(claims: readonly NameClaim[]): SettledClaims {
  const byClaimant = new Map<string, SourceObjects[]>();
  for (const { claimant, objects } of claims) {
    byClaimant.set(claimant, [...byClaimant.get(claimant) ?? [], objects]);
  }
  if (byClaimant.size <= 1) {
    const [only] = byClaimant.keys();
    return { inputs: claims.map((claim) => claim.objects), winner: only, losers: [] };
  }
  const oldest = (inputs: SourceObjects[]) =>
    Math.min(
      ...inputs.map(({ service }) => {
        const ms = Date.parse(service.metadata?.creationTimestamp ?? "");
        return Number.isNaN(ms) ? Infinity : ms;
      }),
    );
  const ranked = [...byClaimant.entries()]
    .map(([claimant, inputs]) => ({ claimant, inputs, since: oldest(inputs) }))
    .sort((a, b) =>
      a.since - b.since || (a.claimant < b.claimant ? -1 : a.claimant > b.claimant ? 1 : 0)
    );
  const [first, ...rest] = ranked;
  return {
    inputs: first?.inputs ?? [],
    winner: first?.claimant,
    losers: rest.map((each) => each.claimant).sort(),
  };
}
