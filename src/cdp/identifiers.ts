import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { CdpError } from './errors.js';

/** A typed identifier with its normalised value, e.g. `{ type: 'phone', value: '+8613800138000' }`. */
export interface Identifier {
  type: string;
  value: string;
}

/**
 * How one identifier type links profiles. `type` may end in `:*` to cover a family such as
 * `openid:*` (each app id is its own type with its own limit).
 */
export interface IdentifierRule {
  type: string;
  /** Higher wins: on a conflict the lower-priority identifier is detached. */
  priority: number;
  /** Most values of this type one profile may hold. */
  maxPerProfile: number;
  /** Stored as a keyed hash plus ciphertext, never in clear. */
  pii?: boolean;
}

/** The default One ID rules (see docs/identity-resolution.md). */
export const DEFAULT_IDENTIFIER_RULES: readonly IdentifierRule[] = Object.freeze([
  { type: 'user_id', priority: 100, maxPerProfile: 1 },
  { type: 'member_id', priority: 90, maxPerProfile: 1 },
  { type: 'unionid', priority: 80, maxPerProfile: 1 },
  { type: 'external_userid:*', priority: 70, maxPerProfile: 1 },
  { type: 'openid:*', priority: 60, maxPerProfile: 1 },
  { type: 'phone', priority: 50, maxPerProfile: 1, pii: true },
  { type: 'email', priority: 40, maxPerProfile: 3, pii: true },
  { type: 'device_id', priority: 20, maxPerProfile: 10 },
  { type: 'anonymous_id', priority: 10, maxPerProfile: 100 },
]);

/** Looks up the rule for a concrete type such as `openid:wx123`. */
export interface RuleBook {
  rule(type: string): IdentifierRule | undefined;
  readonly rules: readonly IdentifierRule[];
}

/** Validates identifier rules (from config or workspace settings) and indexes them. */
export function createRuleBook(rules: readonly IdentifierRule[] = DEFAULT_IDENTIFIER_RULES): RuleBook {
  const exact = new Map<string, IdentifierRule>();
  const families: IdentifierRule[] = [];
  for (const [i, r] of rules.entries()) {
    if (!r || typeof r.type !== 'string' || !/^[a-z_]+(:\*)?$/.test(r.type)) {
      throw new CdpError('VALIDATION_FAILED', `identifierRules[${i}].type must look like "user_id" or "openid:*"`);
    }
    if (!Number.isInteger(r.priority)) throw new CdpError('VALIDATION_FAILED', `identifierRules[${i}].priority must be an integer`);
    if (!Number.isInteger(r.maxPerProfile) || r.maxPerProfile < 1) {
      throw new CdpError('VALIDATION_FAILED', `identifierRules[${i}].maxPerProfile must be a whole number of at least 1`);
    }
    if (r.type.endsWith(':*')) families.push(r);
    else exact.set(r.type, r);
  }
  return {
    rules,
    rule(type) {
      const hit = exact.get(type);
      if (hit) return hit;
      const colon = type.indexOf(':');
      if (colon > 0) {
        const fam = type.slice(0, colon) + ':*';
        return families.find((f) => f.type === fam);
      }
      return undefined;
    },
  };
}

const JUNK = new Set(['', 'null', 'undefined', 'nil', 'none', 'nan', 'anonymous', 'unknown', '0', '-1', 'false', 'true', '[object object]']);

/** True for values that must never link profiles: placeholders, empty strings and all-zero ids. */
export function isJunkValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value !== 'string' && typeof value !== 'number') return true;
  const s = String(value).trim().toLowerCase();
  if (JUNK.has(s)) return true;
  // All zeros with separators: 00000000-0000-0000-0000-000000000000, 0000, 0.0
  return /^[0\-_.:]+$/.test(s);
}

/**
 * Normalises a raw identifier value for its type: phones to E.164 (default region from config),
 * emails to lower case; returns undefined for junk or unparseable values.
 */
export function normaliseIdentifier(type: string, raw: unknown, defaultRegion: string): string | undefined {
  if (isJunkValue(raw)) return undefined;
  const s = String(raw).trim();
  if (s.length > 512) return undefined;
  if (type === 'phone') return normalisePhone(s, defaultRegion);
  if (type === 'email') {
    const e = s.toLowerCase();
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e) ? e : undefined;
  }
  return s;
}

/** E.164 for a phone number, or undefined if it is not a possible number. */
export function normalisePhone(raw: string, defaultRegion: string): string | undefined {
  const cleaned = raw.replace(/[\s()-]/g, '');
  const p = parsePhoneNumberFromString(cleaned.startsWith('00') ? '+' + cleaned.slice(2) : cleaned, defaultRegion as CountryCode);
  if (!p || !p.isPossible()) return undefined;
  return p.number;
}

const TRAIT_IDENTIFIERS: Record<string, string> = {
  email: 'email',
  phone: 'phone',
  mobile: 'phone',
  member_id: 'member_id',
  memberId: 'member_id',
  unionid: 'unionid',
  unionId: 'unionid',
};

/** An identifier as found in a payload, before normalisation. */
export interface RawIdentifier {
  type: string;
  value: unknown;
  /** Where the value was found (`traits.phone`, `context.externalIds[0].id`), for messages. */
  field?: string;
}

/**
 * Collects identifiers from a Segment-shaped message: `userId`, `anonymousId`, identity traits
 * (`traits` and `context.traits`), `context.device.id` and `context.externalIds`.
 */
export function extractIdentifiers(msg: {
  userId?: unknown;
  anonymousId?: unknown;
  traits?: Record<string, unknown> | null;
  context?: Record<string, any> | null;
}): RawIdentifier[] {
  const out: RawIdentifier[] = [];
  if (msg.userId !== undefined) out.push({ type: 'user_id', value: msg.userId, field: 'userId' });
  if (msg.anonymousId !== undefined) out.push({ type: 'anonymous_id', value: msg.anonymousId, field: 'anonymousId' });
  for (const [at, traits] of [
    ['traits', msg.traits],
    ['context.traits', msg.context?.traits],
  ] as const) {
    if (!traits || typeof traits !== 'object') continue;
    for (const [k, t] of Object.entries(TRAIT_IDENTIFIERS)) {
      if (traits[k] !== undefined) out.push({ type: t, value: traits[k], field: `${at}.${k}` });
    }
  }
  const device = msg.context?.device;
  if (device && typeof device === 'object' && device.id !== undefined) out.push({ type: 'device_id', value: device.id, field: 'context.device.id' });
  const ext = msg.context?.externalIds;
  if (Array.isArray(ext)) {
    ext.forEach((e, i) => {
      if (e && typeof e === 'object' && typeof e.type === 'string') out.push({ type: e.type, value: e.id, field: `context.externalIds[${i}].id` });
    });
  }
  return out;
}

/**
 * Normalises raw identifiers against the rule book: unknown types and junk values are dropped,
 * duplicates removed. Returns the identifiers in priority order (highest first, then type, value).
 */
export function normaliseIdentifiers(raw: RawIdentifier[], rules: RuleBook, defaultRegion: string): Identifier[] {
  const seen = new Set<string>();
  const out: Identifier[] = [];
  for (const r of raw) {
    if (!rules.rule(r.type)) continue;
    const value = normaliseIdentifier(r.type, r.value, defaultRegion);
    if (value === undefined) continue;
    const k = r.type + '\u0000' + value;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ type: r.type, value });
  }
  return sortByPriority(out, rules);
}

/** Sorts identifiers highest priority first; ties by type then value, so the order is deterministic. */
export function sortByPriority<T extends { type: string; value: string }>(ids: T[], rules: RuleBook): T[] {
  return ids.sort((a, b) => {
    const pa = rules.rule(a.type)?.priority ?? 0;
    const pb = rules.rule(b.type)?.priority ?? 0;
    if (pa !== pb) return pb - pa;
    if (a.type !== b.type) return a.type < b.type ? -1 : 1;
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  });
}

/** Parses `type:value` (e.g. `phone:+8613800138000`, `openid:wxapp:o6_b...`) against the rule book. */
export function parseIdentifierRef(ref: string, rules: RuleBook): { type: string; rawValue: string } | undefined {
  // Families carry a second segment (openid:<appid>:<value>).
  const parts = ref.split(':');
  if (parts.length >= 3 && rules.rule(`${parts[0]}:${parts[1]}`) && parts[1] !== '') {
    return { type: `${parts[0]}:${parts[1]}`, rawValue: parts.slice(2).join(':') };
  }
  if (parts.length >= 2 && rules.rule(parts[0]!) && !rules.rule(parts[0]!)!.type.endsWith(':*')) {
    return { type: parts[0]!, rawValue: parts.slice(1).join(':') };
  }
  return undefined;
}

/**
 * The stored form of an identifier value: the value itself, or a keyed hash of it for types whose
 * rule is marked `pii` (phone and email by default), so personal data is looked up, never stored.
 */
export function storedKey(rules: RuleBook, cipher: { lookupKey(type: string, value: string): string }, type: string, value: string): string {
  return rules.rule(type)?.pii ? cipher.lookupKey(type, value) : value;
}
