/**
 * The counter behind the public endpoints' rate limits: a sliding-window estimate per bucket (the
 * current fixed window's count plus the previous window's, weighted by how much of it still
 * overlaps), the same approximation Cloudflare and nginx-style limiters use. Two numbers a bucket,
 * no timers; memory is bounded (stale buckets are swept, and past `maxBuckets` the oldest half goes).
 *
 * It counts in this process's memory: see docs/compliance.md (Hardening) for what that means when
 * several API processes share one PostgreSQL.
 */

/** One bucket's answer: allowed, or refused with the seconds to wait. */
export type RateAnswer =
  { ok: true } | { ok: false; retryAfterS: number; /** The bucket's first refusal in this window (worth a log line; the rest are not). */ first: boolean };

/** Counts hits per bucket over a sliding window. */
export interface RateLimiter {
  /** Counts a hit on `bucket` if it stays within `max` per window; a refused hit is not counted. */
  hit(bucket: string, max: number): RateAnswer;
  /** How many buckets are held (for tests and the memory bound). */
  size(): number;
}

interface Bucket {
  /** Start of the current fixed window (ms). */
  start: number;
  cur: number;
  prev: number;
  /** Refusals in the current window. */
  refused: number;
}

/** A limiter over windows of `windowMs` (default a minute), with time from `now`. */
export function createRateLimiter(now: () => number, opts: { windowMs?: number; maxBuckets?: number } = {}): RateLimiter {
  const W = opts.windowMs ?? 60_000;
  const maxBuckets = opts.maxBuckets ?? 200_000;
  const buckets = new Map<string, Bucket>();

  const sweep = (windowStart: number) => {
    for (const [k, b] of buckets) if (b.start < windowStart - W) buckets.delete(k);
    if (buckets.size < maxBuckets) return;
    // Still full of live buckets (a flood of distinct addresses): forget the older half.
    let drop = Math.floor(buckets.size / 2);
    for (const k of buckets.keys()) {
      if (drop-- <= 0) break;
      buckets.delete(k);
    }
  };

  return {
    size: () => buckets.size,
    hit(key, max) {
      const t = now();
      const start = t - (t % W);
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxBuckets) sweep(start);
        b = { start, cur: 0, prev: 0, refused: 0 };
        buckets.set(key, b);
      } else if (b.start !== start) {
        b.prev = b.start === start - W ? b.cur : 0;
        b.cur = 0;
        b.refused = 0;
        b.start = start;
      }
      const elapsed = t - start;
      const weight = 1 - elapsed / W;
      if (b.prev * weight + b.cur + 1 <= max) {
        b.cur++;
        return { ok: true };
      }
      b.refused++;
      return { ok: false, retryAfterS: retryAfter(b, max, elapsed, W), first: b.refused === 1 };
    },
  };
}

/** Seconds until one more hit fits: later in this window as the previous one fades, or in the next. */
function retryAfter(b: Bucket, max: number, elapsed: number, W: number): number {
  let waitMs: number;
  if (b.cur + 1 <= max && b.prev > 0) {
    // prev * (1 - (elapsed + t) / W) + cur + 1 <= max
    waitMs = W * (1 - (max - b.cur - 1) / b.prev) - elapsed;
  } else {
    // In the next window the current count becomes the fading previous one.
    const next = b.cur > 0 ? Math.max(0, W * (1 - (max - 1) / b.cur)) : 0;
    waitMs = W - elapsed + next;
  }
  return Math.max(1, Math.ceil(waitMs / 1000));
}
