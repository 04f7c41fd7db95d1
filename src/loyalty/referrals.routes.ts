import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { LoyaltyDeps } from './deps.js';
import { notFound } from './coupons.templates.js';
import { findTemplate } from './coupons.repo.js';
import { LoyaltyError } from './errors.js';
import { kocLeaderboard } from './koc.service.js';
import { listCommissions, listDecisions, listRewards } from './referrals.lists.js';
import { type ReferralProgramme, referralProgramme, saveReferralProgramme } from './referrals.programme.js';
import {
  attributeBody,
  attributionSchema,
  codeSchema,
  commissionsPage,
  commissionsQuery,
  decisionsPage,
  decisionsQuery,
  kocPage,
  kocQuery,
  memberCodeBody,
  programmeAnswer,
  programmeSchema,
  rewardsPage,
  rewardsQuery,
  staffCodeBody,
} from './referrals.schemas.js';
import { tierProgram } from './tiers.service.js';
import { attributeReferral, referralCodeOf, type StaffCodeBody, staffReferralCode } from './referrals.service.js';

const doc = (summary: string, response: object, extra: object = {}) => ({
  ...secured('loyalty', summary),
  ...extra,
  response: { 200: response, ...errorResponses },
});

type Paged = { limit: number; cursor?: string };

/** TIER_DAYS_UNAVAILABLE for a programme that rewards in tier days while no tier module is wired in, or the workspace has no tiers. */
async function checkTierDays(deps: LoyaltyDeps, ws: string, p: ReferralProgramme): Promise<void> {
  const uses = [...p.rules, ...p.milestones].find((r) => r.reward.kind === 'tier_days');
  if (!uses) return;
  if (!deps.tierDays)
    throw new LoyaltyError('TIER_DAYS_UNAVAILABLE', `"${uses.id}" rewards tier days, and no tier module is wired in: reward points or a coupon instead`, {
      rule: uses.id,
    });
  if ((await tierProgram(deps.database.db, ws)).program.tiers.length === 0)
    throw new LoyaltyError('TIER_DAYS_UNAVAILABLE', `"${uses.id}" rewards tier days, and the workspace has no tiers: add tiers to the tier program first`, {
      rule: uses.id,
    });
}

/**
 * Every coupon a rule or milestone rewards names a template of the workspace: one of another
 * workspace's would be saved and fail at each reward (the isolation suite, issue #19, found it).
 */
async function checkCouponTemplates(deps: LoyaltyDeps, ws: string, p: ReferralProgramme): Promise<void> {
  for (const r of [...p.rules, ...p.milestones]) {
    if (r.reward.kind === 'coupon' && !(await findTemplate(deps.database.db, deps.database.dialect, ws, r.reward.template))) throw notFound(r.reward.template);
  }
}

/** Registers the referral and KOC API (secret key): programme, codes, attribution, decisions, rewards, commissions, leaderboard. */
export async function referralRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const base = '/v1/loyalty/referrals';
  app.get(
    `${base}/settings`,
    { preHandler, schema: doc('The referral programme: reward rules, milestones, anti-fraud limits, KOC weights', programmeAnswer) },
    async (req) => referralProgramme(deps.database.db, req.workspaceId),
  );
  app.put<{ Body: ReferralProgramme }>(
    `${base}/settings`,
    {
      preHandler,
      schema: doc('Replace the referral programme (rules and milestones are created, changed and removed by this)', programmeAnswer, { body: programmeSchema }),
    },
    async (req) => {
      await checkTierDays(deps, req.workspaceId, req.body);
      await checkCouponTemplates(deps, req.workspaceId, req.body);
      return saveReferralProgramme(deps.database.db, req.workspaceId, req.body, deps.now());
    },
  );
  app.post<{ Body: { profile: string } }>(
    `${base}/codes`,
    { preHandler, schema: doc("A member's referral code and share link (created on first ask)", codeSchema, { body: memberCodeBody }) },
    async (req) => referralCodeOf(deps, req.workspaceId, req.body.profile),
  );
  app.post<{ Body: StaffCodeBody }>(
    `${base}/staff-codes`,
    { preHandler, schema: doc("A staff member's distribution code (created on first ask) and its commission rate", codeSchema, { body: staffCodeBody }) },
    async (req) => staffReferralCode(deps, req.workspaceId, req.body),
  );
  app.post<{ Body: { code: string; profile: string } }>(
    `${base}/attribute`,
    {
      preHandler,
      schema: doc('Attribute a referee to the owner of a code: accepted (rewards given) or rejected with its reason', attributionSchema, {
        body: attributeBody,
      }),
    },
    async (req, reply) => {
      const { replayed, ...rest } = await attributeReferral(deps, req.workspaceId, req.body);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return rest;
    },
  );
  app.get<{ Querystring: Paged & { outcome?: 'accepted' | 'rejected'; reason?: string; referrer?: string } }>(
    `${base}/decisions`,
    { preHandler, schema: doc('Referral decisions with their reasons, newest first', decisionsPage, { querystring: decisionsQuery }) },
    async (req) => listDecisions(deps, req.workspaceId, req.query),
  );
  app.get<{ Querystring: Paged & { profile?: string; referee?: string } }>(
    `${base}/rewards`,
    { preHandler, schema: doc('Referral rewards, newest first', rewardsPage, { querystring: rewardsQuery }) },
    async (req) => listRewards(deps, req.workspaceId, req.query),
  );
  app.get<{ Querystring: Paged & { staff?: string } }>(
    `${base}/commissions`,
    { preHandler, schema: doc('Staff commissions per order, newest first', commissionsPage, { querystring: commissionsQuery }) },
    async (req) => listCommissions(deps, req.workspaceId, req.query),
  );
  app.get<{ Querystring: Paged }>(
    '/v1/loyalty/koc',
    {
      preHandler,
      schema: doc('The KOC leaderboard: members by influence score (referrals, group-buys led, community score)', kocPage, { querystring: kocQuery }),
    },
    async (req) => kocLeaderboard(deps, req.workspaceId, req.query),
  );
}
