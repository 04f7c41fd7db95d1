import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Random bytes drawn from a pool: one randomBytes call per 4 KB instead of one per id
// (randomBytes(10) per id was 4% of ingest CPU in a profile).
let pool = Buffer.alloc(0);
let poolAt = 0;
function randomChunk(n: number): Buffer {
  if (poolAt + n > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  poolAt += n;
  return pool.subarray(poolAt - n, poolAt);
}

/**
 * A new id: `prefix_` followed by a 26-character ULID (48-bit millisecond time, 80 random bits),
 * so ids sort by creation time and the oldest of two profiles is the smaller id.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let out = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  const rnd = randomChunk(10);
  // 80 bits -> 16 base32 characters, 5 bits at a time.
  let acc = 0;
  let bits = 0;
  for (const byte of rnd) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return `${prefix}_${out}`;
}

/** A random secret token with a readable prefix, e.g. `sk_live_...` (32 random bytes, base64url). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}
