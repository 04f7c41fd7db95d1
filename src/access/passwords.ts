/**
 * Console passwords: scrypt from node:crypto (memory-hard; no native dependency to build), with a
 * random salt per password and the parameters stored in the hash so they can be raised later.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AccessError } from './errors.js';

/** The shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 10;

// N = 2^15, r = 8, p = 1: 32 MiB and ~60 ms per hash on this project's 2-core CI machine; OWASP's
// floor for scrypt is N = 2^17 with r = 8 at 128 MiB, which we trade for sign-in latency under
// login throttling (5 failures per email per 15 minutes make guessing online pointless).
const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Throws PASSWORD_TOO_WEAK unless the password is long enough (and not absurdly long). */
export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > 1024) {
    throw new AccessError('PASSWORD_TOO_WEAK', `a password must be ${MIN_PASSWORD_LENGTH} to 1024 characters long`, { minLength: MIN_PASSWORD_LENGTH });
  }
}

/** The stored form of a password: `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, LOG_N, R, P);
  return ['scrypt', LOG_N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` matches a stored hash (constant-time comparison; a malformed hash never matches). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![logN, r, p].every((n) => Number.isInteger(n) && n > 0) || logN > 20) return false;
  const want = Buffer.from(parts[5]!, 'base64');
  const got = await scrypt(password, Buffer.from(parts[4]!, 'base64'), logN, r, p);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** A hash no password matches, verified against for unknown emails so both answers take as long. */
export const DUMMY_HASH = `scrypt$${LOG_N}$${R}$${P}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_LENGTH).toString('base64')}`;
