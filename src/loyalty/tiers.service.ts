/**
 * The workspace's tier program: how members qualify (points earned or net spend, in a rolling
 * window or for life), when downgrades are decided (evaluation dates, a grace period) and the tiers
 * with their benefits. Every change is a new version (`loyalty_tier_programs`); the highest is in
 * force. The JSON schema (tiers.schemas.ts) is checked at the API; what it cannot say is checked
 * here (`TIER_PROGRAM_INVALID`).
 */
import { parseJson } from '../platform/db/database.js';
import { localParts, zonedToUtc } from '../platform/time.js';
import { LoyaltyError } from './errors.js';
import type { Conn } from './ledger.repo.js';

/** What a tier gives (the shop applies it). */
export interface Benefits {
  discountPercent: number;
  pointsMultiplier: number;
  freeShipping: boolean;
  birthdayGift: string | null;
  memberDayPrice: boolean;
  priorityService: boolean;
  earlyAccess: boolean;
}

/** One tier. */
export interface Tier {
  key: string;
  name: string;
  threshold: number;
  paidOnly?: boolean;
  price?: { amountFen: number; periodDays: number };
  benefits?: Partial<Benefits>;
}

/** A workspace's tier program. */
export interface TierProgram {
  basis: 'points' | 'spend';
  window: { kind: 'rolling' | 'lifetime'; months?: number };
  evaluation?: { every: 'month' | 'quarter' | 'year' };
  graceDays?: number;
  tiers: Tier[];
}

/** A version of a program. */
export interface ProgramVersion {
  version: number;
  createdAt: string | null;
  program: TierProgram;
}

/** The benefits of no tier. */
export const NO_BENEFITS: Benefits = Object.freeze({
  discountPercent: 0,
  pointsMultiplier: 1,
  freeShipping: false,
  birthdayGift: null,
  memberDayPrice: false,
  priorityService: false,
  earlyAccess: false,
});

/** The program of a workspace that has none: points for life, no tiers. */
export const EMPTY_PROGRAM: TierProgram = { basis: 'points', window: { kind: 'lifetime' }, evaluation: { every: 'month' }, graceDays: 30, tiers: [] };

/** The program in force (version 0, empty, where the workspace has none). */
export async function tierProgram(db: Conn, ws: string): Promise<ProgramVersion> {
  const row = await db.selectFrom('loyalty_tier_programs').selectAll().where('workspace_id', '=', ws).orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (!row) return { version: 0, createdAt: null, program: EMPTY_PROGRAM };
  return { version: Number(row.version), createdAt: new Date(Number(row.created_at)).toISOString(), program: parseJson<TierProgram>(row.definition) };
}

/** Checks what the schema cannot: unique keys, rising thresholds of the tiers reached by qualification, a rolling window's months. */
export function checkProgram(p: TierProgram): void {
  const bad = (message: string) => {
    throw new LoyaltyError('TIER_PROGRAM_INVALID', message);
  };
  if (p.window.kind === 'rolling' && !p.window.months) bad('window: a rolling window needs months (1-120)');
  if (p.window.kind === 'lifetime' && p.window.months !== undefined) bad('window: months apply to a rolling window only');
  const keys = new Set<string>();
  let last = -1;
  p.tiers.forEach((t, i) => {
    if (keys.has(t.key)) bad(`tiers/${i}: key "${t.key}" appears twice`);
    keys.add(t.key);
    if (t.paidOnly) return;
    if (t.threshold <= last) bad(`tiers/${i} ("${t.key}"): threshold ${t.threshold} must be above the previous tier's ${last} (tiers are listed lowest first)`);
    last = t.threshold;
  });
}

/** Saves the program as the next version (checked first); answers the version saved. */
export async function saveTierProgram(db: Conn, ws: string, program: TierProgram, now: number): Promise<ProgramVersion> {
  checkProgram(program);
  return db.transaction().execute(async (trx) => {
    const current = await tierProgram(trx, ws);
    const version = current.version + 1;
    // Two saves at once: the primary key lets one through; the other fails and is retried by the caller.
    await trx
      .insertInto('loyalty_tier_programs')
      .values({ workspace_id: ws, version, definition: JSON.stringify(program), created_at: now })
      .execute();
    return { version, createdAt: new Date(now).toISOString(), program };
  });
}

/** The rank of a tier key in the program (its position, lowest 0); -1 for none or a key no longer in it. */
export function rankOf(p: TierProgram, key: string | null): number {
  return key === null ? -1 : p.tiers.findIndex((t) => t.key === key);
}

/** The highest tier reached by qualification with `value` (paid-only tiers are never reached so); null below the lowest. */
export function qualifyingTier(p: TierProgram, value: number): Tier | null {
  let out: Tier | null = null;
  for (const t of p.tiers) if (!t.paidOnly && t.threshold <= value) out = t;
  return out;
}

/** The next tier above `value` by qualification, with the value still missing. */
export function nextTier(p: TierProgram, value: number): { key: string; name: string; threshold: number; remaining: number } | null {
  const t = p.tiers.find((x) => !x.paidOnly && x.threshold > value);
  return t ? { key: t.key, name: t.name, threshold: t.threshold, remaining: t.threshold - value } : null;
}

/** The higher of two tier keys (the tier in force of a member with a qualified and a paid tier). */
export function higher(p: TierProgram, a: string | null, b: string | null): string | null {
  const ra = rankOf(p, a);
  const rb = rankOf(p, b);
  if (ra < 0 && rb < 0) return null;
  return ra >= rb ? a : b;
}

/** A tier's benefits with the defaults filled in (none for no tier). */
export function benefitsOf(p: TierProgram, key: string | null): Benefits {
  const t = key === null ? undefined : p.tiers.find((x) => x.key === key);
  return { ...NO_BENEFITS, ...(t?.benefits ?? {}) };
}

/** The start of the qualification window at `now` (a rolling window: the same instant N calendar months before, UTC). */
export function windowStart(p: TierProgram, now: number): number {
  if (p.window.kind === 'lifetime') return 0;
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - (p.window.months ?? 12));
  return d.getTime();
}

/** The latest evaluation date at or before `now`: the local start of the month, quarter or year in `tz`. */
export function lastEvaluationDate(p: TierProgram, now: number, tz: string): number {
  const l = localParts(now, tz);
  const every = p.evaluation?.every ?? 'month';
  const month = every === 'month' ? l.month : every === 'quarter' ? l.month - ((l.month - 1) % 3) : 1;
  return zonedToUtc(l.year, month, 1, 0, 0, tz);
}

/** Adds a tier (in rank order by threshold, paid-only tiers last) as a new version. */
export async function addTier(db: Conn, ws: string, tier: Tier, now: number): Promise<ProgramVersion> {
  const { program } = await tierProgram(db, ws);
  if (program.tiers.some((t) => t.key === tier.key)) throw new LoyaltyError('TIER_KEY_TAKEN', `a tier with key "${tier.key}" exists`, { key: tier.key });
  const tiers = [...program.tiers];
  const at = tier.paidOnly ? tiers.length : tiers.findIndex((t) => t.paidOnly || t.threshold > tier.threshold);
  tiers.splice(at < 0 ? tiers.length : at, 0, tier);
  return saveTierProgram(db, ws, { ...program, tiers }, now);
}

/** Replaces a tier (same key, same place) as a new version. */
export async function replaceTier(db: Conn, ws: string, key: string, tier: Tier, now: number): Promise<ProgramVersion> {
  const { program } = await tierProgram(db, ws);
  const i = program.tiers.findIndex((t) => t.key === key);
  if (i < 0) throw new LoyaltyError('TIER_NOT_FOUND', `no tier "${key}" in this workspace`, { key });
  if (tier.key !== key) throw new LoyaltyError('TIER_PROGRAM_INVALID', `a tier's key cannot change ("${key}" to "${tier.key}"): add a new tier instead`);
  const tiers = program.tiers.map((t, j) => (j === i ? tier : t));
  return saveTierProgram(db, ws, { ...program, tiers }, now);
}

/** Removes a tier nobody holds as a new version. */
export async function removeTier(db: Conn, ws: string, key: string, now: number): Promise<ProgramVersion> {
  const { program } = await tierProgram(db, ws);
  if (!program.tiers.some((t) => t.key === key)) throw new LoyaltyError('TIER_NOT_FOUND', `no tier "${key}" in this workspace`, { key });
  const held = await db
    .selectFrom('loyalty_members')
    .select(({ fn }) => fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .where((eb) => eb.or([eb('tier_key', '=', key), eb('qualified_key', '=', key), eb('paid_key', '=', key)]))
    .executeTakeFirstOrThrow();
  if (Number(held.n) > 0) throw new LoyaltyError('TIER_IN_USE', `${Number(held.n)} member(s) hold tier "${key}"`, { key, members: Number(held.n) });
  return saveTierProgram(db, ws, { ...program, tiers: program.tiers.filter((t) => t.key !== key) }, now);
}
