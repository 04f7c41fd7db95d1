/** A small seeded PRNG, so every run (and the baseline beside it) sees the same data. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** `n` lowercase hex characters. */
  hex(n: number): string;
}

/** mulberry32: fast, 32-bit state, good enough for test data (not for anything secret). */
export function createRandom(seed: number): Random {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!,
    hex(n) {
      let out = '';
      while (out.length < n) out += ((next() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
      return out.slice(0, n);
    },
  };
}

/** A UUID-shaped string (8-4-4-4-12 hex), as Segment libraries use for anonymousId and messageId. */
export function uuidLike(r: Random): string {
  const h = r.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}
