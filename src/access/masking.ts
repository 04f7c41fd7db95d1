/**
 * Guides see customers' phone numbers and emails masked (issue #16: a 导购 works from a phone in a
 * store; the number stays in WeCom). One hook over every answer, so a route added later is covered.
 */
import type { FastifyInstance } from 'fastify';
import { maskPii } from '../platform/crypto.js';

const PII_KEY = /^(phone|mobile|email|phone_number|phoneNumber)$/i;
const PII_TYPE = new Set(['phone', 'email']);

/** A copy of `value` with phones and emails masked: keys named phone/mobile/email, and `{ type: phone|email, value }` identifiers. */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const o = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const identifier = typeof o.type === 'string' && PII_TYPE.has(o.type);
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string' && (PII_KEY.test(k) || (identifier && k === 'value'))) out[k] = maskPii(v);
    else out[k] = maskDeep(v, depth + 1);
  }
  return out;
}

/** Installs the masking of every answer to a guide (call on the root app, before routes are registered). */
export function installGuideMasking(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, _reply, payload) =>
    req.principal?.kind === 'user' && req.principal.role === 'guide' ? maskDeep(payload) : payload,
  );
}
