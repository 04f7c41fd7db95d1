/**
 * Deterministic hashing and WeCom-looking ids for the fake corp.
 *
 * Customers are not stored as objects: everything about customer `i` (name, gender, unionid, ids)
 * is derived from `hash32(seed, i, …)` when asked for, and an `external_userid` encodes `i`, so
 * 200,000 customers cost no memory beyond their follow relations.
 */

/** A 32-bit finaliser (lowbias32): good avalanche for sequential inputs. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic 32-bit hash of a seed and up to three integers. */
export function hash32(seed: number, a: number, b = 0, c = 0): number {
  let h = mix32(seed ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(a + 1, 0x85ebca6b));
  h = mix32(h ^ Math.imul(b + 1, 0xc2b2ae35));
  return mix32(h ^ Math.imul(c + 1, 0x27d4eb2f));
}

/** FNV-1a of a string, for turning names (corp id, seed strings) into numbers. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A small seeded generator (mulberry32) for sequential choices at generation time. */
export function createRng(seed: number): { next(): number; int(n: number): number; pick<T>(items: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (items) => items[Math.floor(next() * items.length)] };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = ALNUM + '-_';

/** `n` characters from `alphabet`, derived from (seed, salt, index). */
export function hashChars(seed: number, salt: number, index: number, n: number, alphabet = ALNUM): string {
  let out = '';
  let h = 0;
  for (let k = 0; k < n; k++) {
    if (k % 4 === 0) h = hash32(seed, salt, index, k);
    out += alphabet[h % alphabet.length];
    h = Math.floor(h / alphabet.length);
  }
  return out;
}

/** `n` lowercase hex characters derived from (seed, salt, index). */
export function hashHex(seed: number, salt: number, index: number, n: number): string {
  let out = '';
  for (let k = 0; out.length < n; k++) out += hash32(seed, salt, index, k).toString(16).padStart(8, '0');
  return out.slice(0, n);
}

/** Salts separating the derived values of one index. */
export const SALT = {
  corpKey: 1,
  customerId: 2,
  unionid: 3,
  name: 4,
  gender: 5,
  relation: 6,
  tags: 7,
  remark: 8,
  group: 9,
  tagId: 10,
  secret: 11,
  token: 12,
  configId: 13,
  msgid: 14,
  welcome: 15,
  avatar: 16,
  customerType: 17,
  aesKey: 18,
  callbackToken: 19,
  chatId: 20,
} as const;

// An odd multiplier makes i → i * M + B a bijection on 32-bit integers, so ids look random but decode.
const SCRAMBLE = 0x9e3779b1;
const UNSCRAMBLE = (() => {
  let inv = SCRAMBLE;
  for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(SCRAMBLE, inv));
  return inv >>> 0;
})();
const BASE62_WIDTH = 6; // 62^6 > 2^32

function toBase62(n: number): string {
  let out = '';
  let x = n >>> 0;
  for (let k = 0; k < BASE62_WIDTH; k++) {
    out = ALNUM[x % 62] + out;
    x = Math.floor(x / 62);
  }
  return out;
}

function fromBase62(s: string): number | undefined {
  let n = 0;
  for (const ch of s) {
    const d = ALNUM.indexOf(ch);
    if (d < 0) return undefined;
    n = n * 62 + d;
  }
  return n <= 0xffffffff ? n : undefined;
}

/**
 * An id codec: `prefix` + 6 corp characters + 6 characters encoding the index + filler, 32
 * characters in all, like WeCom's `wm…` external userids and `wr…` chat ids.
 */
export interface IndexedIdCodec {
  encode(index: number): string;
  /** The index an id encodes, or undefined when it is not an id of this codec. */
  decode(id: string): number | undefined;
}

/** Builds the codec of one kind of id (e.g. 'wm' customers) for one corp. */
export function indexedIdCodec(seed: number, prefix: string, salt: number): IndexedIdCodec {
  const corpKey = hashChars(seed, SALT.corpKey, salt, 6);
  const offset = hash32(seed, SALT.corpKey, salt, 1);
  const fillerLength = 32 - prefix.length - 6 - BASE62_WIDTH;
  const encode = (index: number) => {
    const scrambled = (Math.imul(index, SCRAMBLE) + offset) >>> 0;
    return prefix + corpKey + toBase62(scrambled) + hashChars(seed, salt, index, fillerLength);
  };
  return {
    encode,
    decode(id) {
      if (typeof id !== 'string' || id.length !== 32 || !id.startsWith(prefix + corpKey)) return undefined;
      const scrambled = fromBase62(id.slice(prefix.length + 6, prefix.length + 6 + BASE62_WIDTH));
      if (scrambled === undefined) return undefined;
      const index = Math.imul((scrambled - offset) >>> 0, UNSCRAMBLE) >>> 0;
      return encode(index) === id ? index : undefined;
    },
  };
}

/** A WeChat-style unionid (28 characters, `o` + 27 URL-safe characters). */
export function unionidOf(seed: number, index: number): string {
  return 'o' + hashChars(seed, SALT.unionid, index, 27, URLSAFE);
}

/** An opaque cursor for paging: base64url of a few non-negative integers. */
export function encodeCursor(kind: string, values: number[]): string {
  return Buffer.from(`${kind}:${values.join('.')}`).toString('base64url');
}

/** Reads a cursor written by {@link encodeCursor} for `kind`; undefined when it is not one. */
export function decodeCursor(kind: string, cursor: string, count: number): number[] | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(kind + ':')) return undefined;
  const values = text
    .slice(kind.length + 1)
    .split('.')
    .map(Number);
  if (values.length !== count || values.some((v) => !Number.isSafeInteger(v) || v < -1)) return undefined;
  return values;
}
