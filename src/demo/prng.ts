/**
 * A small seeded pseudo-random generator for the demo brand: the same seed gives the same
 * customers, orders and tags on every machine (Math.random cannot be seeded).
 */

/** A seeded random source with the few draws the demo generator needs. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max] (both included). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T;
  /** One element of a non-empty list, drawn by the weights given beside it. */
  weighted<T>(list: readonly (readonly [T, number])[]): T;
}

/** Mulberry32 (public domain): 32-bit state, full period, good enough for demo data and fast. */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)]!,
    weighted: (list) => {
      const total = list.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [v, w] of list) {
        r -= w;
        if (r < 0) return v;
      }
      return list[list.length - 1]![0];
    },
  };
}

/** A seed for one customer: the run's seed mixed with the customer's index, so customer i is the same whatever the scale. */
export function childSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
