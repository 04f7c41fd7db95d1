/**
 * The member-facing API (`/v1/member/…`) for a mini program or app, authenticated only by a member
 * token (member-api.tokens.ts), and the route that mints tokens (secret key). Every member route
 * acts on the token's member: no route takes a profile.
 */
import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { catalogueRoutes, replayed } from './catalogue.routes.js';
import { idParams, itemsPage, redemptionAnswer } from './catalogue.schemas.js';
import { listItems, redeemItem } from './catalogue.service.js';
import { checkIn } from './checkins.service.js';
import { couponsPage, profileCouponsQuery } from './coupons.schemas.js';
import { profileCoupons } from './coupons.service.js';
import type { CouponStatus } from './coupons.tables.js';
import type { LoyaltyDeps } from './deps.js';
import { joinGroup, memberGroup, openGroup } from './group-buys.join.js';
import { groupBuyRoutes } from './group-buys.routes.js';
import { groupSchema } from './group-buys.schemas.js';
import { drawLottery } from './lottery.draw.js';
import { lotteryRoutes } from './lottery.routes.js';
import { drawAnswer, lotterySchema } from './lottery.schemas.js';
import { getLottery } from './lottery.service.js';
import { codeParams, keyBody, meSchema, memberErrors, memberSecured, mintBody, openBody, tokenSchema } from './member-api.schemas.js';
import { mintMemberToken, requireMember } from './member-api.tokens.js';
import { historyQuery, historySchema, summaryQuery, summarySchema } from './points.schemas.js';
import { pointsHistory, pointsSummary } from './points.service.js';
import { codeSchema } from './referrals.schemas.js';
import { referralCodeOf } from './referrals.service.js';
import { checkinSchema } from './rules.schemas.js';

type Id = { Params: { id: string } };
const doc = (summary: string, response: object, extra: object = {}) => ({ ...memberSecured(summary), ...extra, response: { 200: response, ...memberErrors } });
/** A member's own idempotency key, stored scoped to the member (keys are unique per workspace; two members may pick the same). */
const memberKey = (profileId: string, key: string) => `member:${profileId}:${key}`;

/** Registers the member token route, the member routes, and the admin API of the catalogue, checkout, lotteries and group-buys. */
export async function memberApiRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  await catalogueRoutes(app, deps);
  await lotteryRoutes(app, deps);
  await groupBuyRoutes(app, deps);
  app.post<{ Body: { profile: string; ttlSeconds?: number } }>(
    '/v1/loyalty/member-tokens',
    {
      preHandler: requireKey(deps.keys, 'secret'),
      schema: {
        ...secured('loyalty', "Mint a short-lived member token for a profile (the brand's backend, for its mini program or app)"),
        body: mintBody,
        response: { 200: tokenSchema, ...errorResponses },
      },
    },
    async (req) => mintMemberToken(deps, req.workspaceId, req.body),
  );
  await memberRoutes(app, deps);
}

/** Registers the member routes (`/v1/member/…`, member token only). */
async function memberRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireMember(deps);
  const me = (req: { member?: { profileId: string } }) => req.member!.profileId;
  app.get('/v1/member/me', { preHandler, schema: doc('Who the token is for', meSchema) }, async (req) => ({
    profileId: me(req),
    workspaceId: req.workspaceId,
    tokenExpiresAt: new Date(req.member!.expiresAt).toISOString(),
  }));
  app.get<{ Querystring: { days: number } }>(
    '/v1/member/points',
    { preHandler, schema: doc('My points: balance, pending, expiring soon', summarySchema, { querystring: summaryQuery }) },
    async (req) => pointsSummary(deps, req.workspaceId, me(req), req.query.days),
  );
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/member/points/history',
    { preHandler, schema: doc('My ledger entries, newest first', historySchema, { querystring: historyQuery }) },
    async (req) => pointsHistory(deps, req.workspaceId, me(req), req.query),
  );
  app.post('/v1/member/checkins', { preHandler, schema: doc('Check in for today (once a day; streak bonuses)', checkinSchema) }, async (req) =>
    checkIn(deps, req.workspaceId, me(req)),
  );
  app.get<{ Querystring: { limit: number; cursor?: string; status?: CouponStatus } }>(
    '/v1/member/coupons',
    { preHandler, schema: doc('My coupons, newest first', couponsPage, { querystring: profileCouponsQuery }) },
    async (req) => profileCoupons(deps, req.workspaceId, me(req), req.query),
  );
  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/v1/member/catalogue',
    {
      preHandler,
      schema: doc('The rewards I can redeem (active items), newest first', itemsPage, {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 }, cursor: { type: 'string', maxLength: 512 } },
        },
      }),
    },
    async (req) => listItems(deps, req.workspaceId, { limit: req.query.limit ?? 50, cursor: req.query.cursor, status: 'active' }),
  );
  app.post<Id & { Body: { idempotencyKey: string } }>(
    '/v1/member/catalogue/:id/redeem',
    { preHandler, schema: doc('Redeem a reward with my points', redemptionAnswer, { params: idParams, body: keyBody }) },
    async (req, reply) =>
      replayed(
        reply,
        await redeemItem(deps, req.workspaceId, { profileId: me(req), itemId: req.params.id, idempotencyKey: memberKey(me(req), req.body.idempotencyKey) }),
      ),
  );
  await memberSpendRoutes(app, deps, preHandler);
}

/** Registers the member routes that spend or join: lotteries and group-buys. */
async function memberSpendRoutes(app: FastifyInstance, deps: LoyaltyDeps, preHandler: ReturnType<typeof requireMember>): Promise<void> {
  const me = (req: { member?: { profileId: string } }) => req.member!.profileId;
  app.get<Id>(
    '/v1/member/lotteries/:id',
    { preHandler, schema: doc('A lottery: its cost, limit and prize table', lotterySchema, { params: idParams }) },
    async (req) => getLottery(deps, req.workspaceId, req.params.id),
  );
  app.post<Id & { Body: { idempotencyKey: string } }>(
    '/v1/member/lotteries/:id/draws',
    { preHandler, schema: doc('Draw once (spends the cost; daily limit)', drawAnswer, { params: idParams, body: keyBody }) },
    async (req, reply) =>
      replayed(
        reply,
        await drawLottery(deps, req.workspaceId, { profileId: me(req), lotteryId: req.params.id, idempotencyKey: memberKey(me(req), req.body.idempotencyKey) }),
      ),
  );
  app.get('/v1/member/referral-code', { preHandler, schema: doc('My referral code and share link (created on first ask)', codeSchema) }, async (req) =>
    referralCodeOf(deps, req.workspaceId, me(req)),
  );
  app.post<{ Body: { campaignId: string } }>(
    '/v1/member/group-buys',
    { preHandler, schema: doc('Open a group of a campaign (share its code)', groupSchema, { body: openBody }) },
    async (req) => openGroup(deps, req.workspaceId, me(req), req.body.campaignId),
  );
  app.get<{ Params: { code: string } }>(
    '/v1/member/group-buys/:code',
    { preHandler, schema: doc('A group by its code', groupSchema, { params: codeParams }) },
    async (req) => memberGroup(deps, req.workspaceId, me(req), req.params.code),
  );
  app.post<{ Params: { code: string } }>(
    '/v1/member/group-buys/:code/join',
    { preHandler, schema: doc('Join a group by its code (forms it when it fills)', groupSchema, { params: codeParams }) },
    async (req) => joinGroup(deps, req.workspaceId, me(req), req.params.code),
  );
}
