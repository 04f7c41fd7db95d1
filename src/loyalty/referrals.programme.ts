/**
 * A workspace's referral programme: on or off, what makes a referee "new", the velocity limit per
 * referrer, the reward rules and milestones, the commission window of staff codes and the KOC
 * weights. One JSON document per workspace, validated by `programmeSchema` (referrals.schemas.ts,
 * the route's body) and by `checkProgramme` (what a schema cannot say).
 */
import { parseJson } from '../platform/db/database.js';
import type { Conn } from './ledger.repo.js';
import { LoyaltyError } from './errors.js';

/** A reward: points through the ledger, a coupon of a template (id or key), or days of a tier (through the tier port). */
export type Reward = { kind: 'points'; points: number } | { kind: 'coupon'; template: string } | { kind: 'tier_days'; days: number };

/** What triggers a rule: the referral itself (registration), the referee's first purchase, or every purchase for `days` days. */
export type RewardTrigger = 'registration' | 'first_purchase' | 'purchase';

/** A reward rule: who gets what, when. */
export interface RewardRule {
  id: string;
  name?: string;
  on: RewardTrigger;
  /** purchase: orders within this many days after the attribution. */
  days?: number;
  /** Orders below this amount (fen) do not qualify; 0 by default. */
  minOrderFen?: number;
  to: 'referrer' | 'referee' | 'both';
  reward: Reward;
}

/** A milestone: a member referrer's `count`-th successful referral gives `reward`, once. */
export interface Milestone {
  id: string;
  count: number;
  reward: Reward;
}

/** The whole programme. */
export interface ReferralProgramme {
  enabled: boolean;
  /** A referee first seen longer than this before the attribution is already known: not new, no reward. */
  newWithinMinutes: number;
  /** Accepted referrals one referrer may make in 24 hours; more are rejected (velocity_limit). */
  maxPerReferrerPerDay: number;
  rules: RewardRule[];
  milestones: Milestone[];
  /** Staff codes: orders of their referees within this many days of the attribution earn commission (null: always). */
  commissionDays: number | null;
  /** KOC influence score = referrals × referral + group-buys led × groupBuy + community score × community. */
  kocWeights: { referral: number; groupBuy: number; community: number };
  /** Tracked events whose `properties.referral_code` attributes their profile at the event's time (a sign-up, a first identified event). */
  attributionEvents: string[];
  /** The share link of a code: this URL with `{code}` replaced (e.g. `https://shop.example/r/{code}`); null: no links. */
  shareUrl?: string | null;
}

/** The programme of a workspace that has not set one: off, new within an hour, 20 a day, no rewards. */
export const DEFAULT_PROGRAMME: ReferralProgramme = Object.freeze({
  enabled: false,
  newWithinMinutes: 60,
  maxPerReferrerPerDay: 20,
  rules: [],
  milestones: [],
  commissionDays: 365,
  kocWeights: { referral: 10, groupBuy: 20, community: 1 },
  attributionEvents: ['Signed Up'],
});

/** What the schema cannot say: unique ids, `days` only (and always) on purchase rules. */
export function checkProgramme(p: ReferralProgramme): void {
  const bad = (field: string, message: string) => new LoyaltyError('VALIDATION_FAILED', message, { field });
  const ids = new Set<string>();
  for (const [i, r] of [...p.rules, ...p.milestones].entries()) {
    if (ids.has(r.id))
      throw bad(
        i < p.rules.length ? `rules[${i}].id` : `milestones[${i - p.rules.length}].id`,
        `rule and milestone ids must be unique, "${r.id}" is used twice`,
      );
    ids.add(r.id);
  }
  for (const [i, r] of p.rules.entries()) {
    if (r.on === 'purchase' && r.days === undefined)
      throw bad(`rules[${i}].days`, `rule "${r.id}" rewards every purchase and needs days (for how many days after the referral)`);
    if (r.on !== 'purchase' && r.days !== undefined) throw bad(`rules[${i}].days`, `days applies only to purchase rules; rule "${r.id}" is on ${r.on}`);
  }
  const counts = new Set<number>();
  for (const [i, m] of p.milestones.entries()) {
    if (counts.has(m.count)) throw bad(`milestones[${i}].count`, `two milestones at ${m.count} referrals`);
    counts.add(m.count);
  }
}

/** The programme of a workspace (the defaults where it set none). */
export async function referralProgramme(db: Conn, ws: string): Promise<ReferralProgramme> {
  const row = await db.selectFrom('referral_programmes').select('definition').where('workspace_id', '=', ws).executeTakeFirst();
  return row ? { ...DEFAULT_PROGRAMME, ...parseJson<ReferralProgramme>(row.definition) } : DEFAULT_PROGRAMME;
}

/** Replaces a workspace's programme (validated) and answers it. */
export async function saveReferralProgramme(db: Conn, ws: string, body: ReferralProgramme, now: number): Promise<ReferralProgramme> {
  const p = { ...DEFAULT_PROGRAMME, ...body };
  checkProgramme(p);
  await db
    .insertInto('referral_programmes')
    .values({ workspace_id: ws, definition: JSON.stringify(p), updated_at: now })
    .onConflict((oc) =>
      oc.column('workspace_id').doUpdateSet((eb) => ({ definition: eb.ref('excluded.definition'), updated_at: eb.ref('excluded.updated_at') })),
    )
    .execute();
  return p;
}

/** Workspaces whose programme is on, with when it was last saved (the passes read only theirs, and events from then on). */
export async function workspacesWithProgramme(db: Conn): Promise<{ workspaceId: string; savedAt: number }[]> {
  const rows = await db.selectFrom('referral_programmes').select(['workspace_id', 'definition', 'updated_at']).execute();
  return rows.filter((r) => parseJson<ReferralProgramme>(r.definition).enabled).map((r) => ({ workspaceId: r.workspace_id, savedAt: Number(r.updated_at) }));
}
