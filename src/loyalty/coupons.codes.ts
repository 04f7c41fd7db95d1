/**
 * Coupon codes: drawn from an alphabet without the characters people confuse when they read a code
 * aloud or type it from paper (no 0/O, 1/I/L), so every code a member types is either right or
 * unknown, never someone else's by a misread character.
 */
import { randomBytes } from 'node:crypto';

/** The 31 characters of a code: digits 2-9 and the letters without I, L, O. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** Random characters in a code (after the template's prefix): 31^10 ≈ 8.2·10^14 codes. */
export const CODE_LENGTH = 10;

// Bytes at or above this are rejected so each character is uniform (248 = 8 × 31).
const LIMIT = 256 - (256 % CODE_ALPHABET.length);

/** `count` new random codes, each `prefix` followed by CODE_LENGTH characters of the alphabet. */
export function randomCodes(count: number, prefix = ''): string[] {
  const out: string[] = [];
  let buf = randomBytes(count * CODE_LENGTH * 2);
  let at = 0;
  for (let i = 0; i < count; i++) {
    let code = prefix;
    while (code.length < prefix.length + CODE_LENGTH) {
      if (at === buf.length) {
        buf = randomBytes(4096);
        at = 0;
      }
      const b = buf[at++]!;
      if (b < LIMIT) code += CODE_ALPHABET[b % CODE_ALPHABET.length];
    }
    out.push(code);
  }
  return out;
}

/** A code as typed (any case, with spaces or hyphens between groups) in its stored form: upper case, separators removed. */
export function normaliseCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]+/g, '');
}
