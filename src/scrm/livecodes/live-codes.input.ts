/** The fields of a live code a request may set, and their checks; every message names the field and what is accepted. */
import type { TagInput } from '../../cdp/index.js';
import { ScrmError } from '../errors.js';
import { STRATEGIES, type Strategy } from './assignment.js';
import { CHANNELS, type Channel, type LiveCode } from './live-codes.repo.js';
import { validateWelcome } from './welcome.js';

/** WeCom's limit on a contact way: ≤ 100 users. */
const MAX_STAFF = 100;
const MAX_TAGS = 20;
const MAX_CORP_TAGS = 50;

/** The fields of a live code a request may set (all optional on update). */
export interface LiveCodeInput {
  name?: unknown;
  channel?: unknown;
  staff?: unknown;
  strategy?: unknown;
  dailyCap?: unknown;
  overflowUserid?: unknown;
  tags?: unknown;
  corpTagIds?: unknown;
  welcome?: unknown;
  skipVerify?: unknown;
  expiresAt?: unknown;
}

/** The fields a request set, checked. */
export type Valid = Partial<
  Pick<LiveCode, 'name' | 'channel' | 'staff' | 'strategy' | 'dailyCap' | 'overflowUserid' | 'tags' | 'corpTagIds' | 'welcome' | 'skipVerify' | 'expiresAt'>
>;

/** Throws VALIDATION_FAILED naming the field and what is wrong with it. */
export const invalid = (field: string, what: string): never => {
  throw new ScrmError('VALIDATION_FAILED', `${field}: ${what}`);
};

function userid(v: unknown, field: string): string {
  if (typeof v !== 'string' || !v.trim() || v.length > 64) invalid(field, `must be a WeCom userid (1 to 64 characters); got ${JSON.stringify(v)}`);
  return (v as string).trim();
}

function tagInput(v: unknown, field: string): TagInput {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return invalid(field, 'must be { "id": "tag_..." } or { "group"?: "...", "name": "..." }');
  const t = v as Record<string, unknown>;
  const extra = Object.keys(t).filter((k) => !['id', 'group', 'name'].includes(k));
  if (extra.length) invalid(field, `unknown field ${extra.join(', ')}; accepted: id, or group and name`);
  const text = (k: string) => {
    const s = t[k];
    if (typeof s !== 'string' || !s.trim() || s.trim().length > 64) invalid(`${field}.${k}`, 'must be 1 to 64 characters');
    return (s as string).trim();
  };
  if (t.id !== undefined) {
    if (t.name !== undefined || t.group !== undefined) invalid(field, 'give either id, or name (and optionally group), not both');
    return { id: text('id') };
  }
  if (t.name === undefined) invalid(field, 'needs id, or name (and optionally group)');
  return t.group === undefined ? { name: text('name') } : { group: text('group'), name: text('name') };
}

/** Checks a request's fields; `partial` for updates, where absent fields stay as they are. */
export function validateLiveCodeInput(raw: LiveCodeInput, partial: boolean): Valid {
  const out: Valid = {};
  const need = (k: keyof LiveCodeInput) => {
    if (!partial && raw[k] === undefined) invalid(k, 'is required');
    return raw[k] !== undefined;
  };
  if (need('name')) {
    if (typeof raw.name !== 'string' || !raw.name.trim() || raw.name.trim().length > 64) invalid('name', 'must be 1 to 64 characters');
    out.name = (raw.name as string).trim();
  }
  if (need('channel')) {
    if (!CHANNELS.includes(raw.channel as Channel)) invalid('channel', `is ${JSON.stringify(raw.channel)}; accepted: ${CHANNELS.join(', ')}`);
    out.channel = raw.channel as Channel;
  }
  if (need('staff')) {
    if (!Array.isArray(raw.staff) || raw.staff.length === 0 || raw.staff.length > MAX_STAFF)
      invalid('staff', `must list 1 to ${MAX_STAFF} staff userids (WeCom's limit on a contact way)`);
    const staff = (raw.staff as unknown[]).map((u, i) => userid(u, `staff[${i}]`));
    const dup = staff.find((u, i) => staff.indexOf(u) !== i);
    if (dup) invalid('staff', `lists ${dup} twice`);
    out.staff = staff;
  }
  if (raw.strategy !== undefined || !partial) {
    const s = raw.strategy ?? 'least_load';
    if (!STRATEGIES.includes(s as Strategy)) invalid('strategy', `is ${JSON.stringify(s)}; accepted: ${STRATEGIES.join(', ')}`);
    out.strategy = s as Strategy;
  }
  if (raw.dailyCap !== undefined || !partial) {
    const c = raw.dailyCap ?? null;
    if (c !== null && (!Number.isInteger(c) || (c as number) < 1 || (c as number) > 100_000))
      invalid('dailyCap', 'must be null (no cap) or an integer from 1 to 100000');
    out.dailyCap = c as number | null;
  }
  if (raw.overflowUserid !== undefined || !partial) out.overflowUserid = raw.overflowUserid == null ? null : userid(raw.overflowUserid, 'overflowUserid');
  if (raw.tags !== undefined || !partial) {
    const tags = raw.tags ?? [];
    if (!Array.isArray(tags) || tags.length > MAX_TAGS) invalid('tags', `must be a list of at most ${MAX_TAGS} Siyu tags`);
    out.tags = (tags as unknown[]).map((t, i) => tagInput(t, `tags[${i}]`));
  }
  if (raw.corpTagIds !== undefined || !partial) {
    const ids = raw.corpTagIds ?? [];
    if (!Array.isArray(ids) || ids.length > MAX_CORP_TAGS || ids.some((t) => typeof t !== 'string' || !t))
      invalid('corpTagIds', `must be a list of at most ${MAX_CORP_TAGS} WeCom corp tag ids`);
    out.corpTagIds = [...new Set(ids as string[])];
  }
  if (raw.welcome !== undefined || !partial) out.welcome = validateWelcome(raw.welcome ?? null);
  if (raw.skipVerify !== undefined || !partial) {
    const s = raw.skipVerify ?? true;
    if (typeof s !== 'boolean') invalid('skipVerify', 'must be true or false');
    out.skipVerify = s as boolean;
  }
  if (raw.expiresAt !== undefined || !partial) {
    const e = raw.expiresAt ?? null;
    if (e === null) out.expiresAt = null;
    else {
      const ms = typeof e === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(e) ? Date.parse(e) : NaN;
      if (Number.isNaN(ms)) invalid('expiresAt', `must be an ISO-8601 date-time such as 2026-12-31T23:59:59+08:00, or null; got ${JSON.stringify(e)}`);
      out.expiresAt = ms;
    }
  }
  return out;
}
