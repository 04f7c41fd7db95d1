/**
 * Stable assignment of a profile to an arm: the same scheme as the journeys' split step
 * (journeys/steps/split.ts, not exported by its module): md5 of `salt:profileId` into 10,000
 * buckets, the holdout first, then the arms by weight. A profile's arm never changes while the
 * salt, holdout and weights stay, and a journey split and an experiment with the same salt agree.
 */
import { createHash } from 'node:crypto';

/** The arm key of a profile, or 'holdout'. */
export function assignVariant(salt: string, holdoutPercent: number, variants: readonly { key: string; weight: number }[], profileId: string): string {
  const bucket = parseInt(createHash('md5').update(`${salt}:${profileId}`).digest('hex').slice(0, 8), 16) % 10_000;
  const hold = holdoutPercent * 100;
  if (bucket < hold) return 'holdout';
  const total = variants.reduce((a, v) => a + v.weight, 0);
  let pos = ((bucket - hold) / (10_000 - hold)) * total;
  for (const v of variants) {
    if (pos < v.weight) return v.key;
    pos -= v.weight;
  }
  return variants[variants.length - 1]!.key;
}

/** Each arm's share of profiles (holdout included when held out), the weights the sample ratio check expects. */
export function armWeights(holdoutPercent: number, variants: readonly { key: string; weight: number }[]): Map<string, number> {
  const total = variants.reduce((a, v) => a + v.weight, 0);
  const out = new Map(variants.map((v) => [v.key, ((100 - holdoutPercent) * v.weight) / total]));
  if (holdoutPercent > 0) out.set('holdout', holdoutPercent);
  return out;
}
