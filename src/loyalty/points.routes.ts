import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { LoyaltyDeps } from './deps.js';
import type { PostingRequest } from './ledger.service.js';
import { adjustBody, debitBody, earnBody, historyQuery, historySchema, postingSchema, profileParams, summaryQuery, summarySchema } from './points.schemas.js';
import { type PostingBody, pointsHistory, pointsSummary, postPoints } from './points.service.js';
import { loyaltyRuleRoutes } from './rules.routes.js';

const POSTINGS: { kind: PostingRequest['kind']; body: object; summary: string }[] = [
  { kind: 'earn', body: earnBody, summary: 'Credit points to a member (optionally expiring); idempotent by key' },
  { kind: 'spend', body: debitBody, summary: 'Spend points (earliest-expiring first); 409 INSUFFICIENT_POINTS when the balance is short' },
  { kind: 'adjust', body: adjustBody, summary: "An operator's correction: positive credits, negative debits (never below zero)" },
  { kind: 'clawback', body: debitBody, summary: "Take back points (a refund): the source's own points first, at most the balance; the rest is the shortfall" },
];

/** Registers the points API: postings, a member's balance and history. */
export async function loyaltyRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  for (const p of POSTINGS) {
    app.post<{ Body: PostingBody }>(
      `/v1/loyalty/points/${p.kind}`,
      { preHandler, schema: { ...secured('loyalty', p.summary), body: p.body, response: { 200: postingSchema, ...errorResponses } } },
      async (req, reply) => {
        const r = await postPoints(deps, req.workspaceId, p.kind, req.body);
        // The first answer, again, for a retried key: the header says it is a replay.
        if (r.replayed) reply.header('idempotent-replayed', 'true');
        return { entry: r.entry, balance: r.entry.balanceAfter };
      },
    );
  }
  app.get<{ Params: { id: string }; Querystring: { days: number } }>(
    '/v1/profiles/:id/points',
    {
      preHandler,
      schema: {
        ...secured('loyalty', "A member's points: balance, pending, lifetime earned, and what expires soon"),
        params: profileParams,
        querystring: summaryQuery,
        response: { 200: summarySchema, ...errorResponses },
      },
    },
    async (req) => pointsSummary(deps, req.workspaceId, req.params.id, req.query.days),
  );
  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    '/v1/profiles/:id/points/history',
    {
      preHandler,
      schema: {
        ...secured('loyalty', "A member's ledger entries, newest first"),
        params: profileParams,
        querystring: historyQuery,
        response: { 200: historySchema, ...errorResponses },
      },
    },
    async (req) => pointsHistory(deps, req.workspaceId, req.params.id, req.query),
  );
  await loyaltyRuleRoutes(app, deps);
}
