/**
 * Remembers accepted (workspace, msg_signature, timestamp, nonce) triples until their timestamp
 * leaves the window, so an exact replay is refused. In memory and bounded: a replay reaching
 * another process, or one arriving after a restart, gets past it, but still writes nothing, since
 * the inbox's dedup key (derived from the decrypted event) makes it land on the row it already has.
 */
export interface ReplayGuard {
  /** Records the triple; false if it was already recorded and has not expired. */
  claim(key: string, expiresAt: number, now: number): boolean;
  /** Forgets a triple (its request failed before being queued, so WeCom's retry must pass). */
  release(key: string): void;
  readonly size: number;
}

/** A bounded replay record; past `maxEntries`, expired entries go first, then the oldest. */
export function createReplayGuard(opts: { maxEntries?: number } = {}): ReplayGuard {
  const max = opts.maxEntries ?? 100_000;
  const seen = new Map<string, number>();
  const prune = (now: number) => {
    for (const [k, exp] of seen) if (exp <= now) seen.delete(k);
    // Still full: drop the oldest; the dedup key still stops them from writing anything.
    for (const k of seen.keys()) {
      if (seen.size <= max * 0.9) break;
      seen.delete(k);
    }
  };
  return {
    claim(key, expiresAt, now) {
      const exp = seen.get(key);
      if (exp !== undefined && exp > now) return false;
      seen.delete(key);
      seen.set(key, expiresAt);
      if (seen.size > max) prune(now);
      return true;
    },
    release: (key) => void seen.delete(key),
    get size() {
      return seen.size;
    },
  };
}
