/**
 * What the audit log keeps of a request body or a settings snapshot: secrets replaced by
 * `[redacted]` (any key that names a secret, a password, a token or a key), phones and emails
 * masked as guides see them, and at most MAX_JSON bytes (a larger value is kept as a note of its size).
 */
import { maskDeep } from '../access/index.js';
import { maskPii } from '../platform/crypto.js';

const SECRET_KEY = /secret|password|passwd|token|aes|api_?key|credential|private|signature|cookie/i;
/** The largest JSON the log keeps of one body or snapshot. */
export const MAX_JSON = 16 * 1024;

/** Keys whose value names a person outright (a data-subject request's subject): the log keeps no trace of it. */
const PERSON_KEY = /^subject$/;

function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] =
      (SECRET_KEY.test(k) || (PERSON_KEY.test(k) && typeof v === 'string')) && v !== null && v !== undefined && typeof v !== 'boolean'
        ? '[redacted]'
        : redactSecrets(v, depth + 1);
  }
  return out;
}

/** The JSON text the log stores for `value` (undefined and non-JSON bodies: null). */
export function auditJson(value: unknown): string | null {
  if (value === undefined || value === null || typeof value !== 'object') return null;
  const text = JSON.stringify(maskDeep(redactSecrets(value)));
  return text.length <= MAX_JSON ? text : JSON.stringify({ truncated: true, bytes: text.length });
}

/** A path or id with the phone numbers (7+ digits) and emails in it masked (`/v1/profiles/phone:+86…` names a person). */
export function maskText(text: string): string {
  let s = text;
  try {
    s = decodeURIComponent(text);
  } catch {
    // not percent-encoded text: masked as it is
  }
  return s.replace(/[^\s/:,;]+@[^\s/:,;]+/g, (m) => maskPii(m)).replace(/\+?\d{7,}/g, (m) => maskPii(m));
}
