import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { idParams, itemsQuery } from './catalogue.schemas.js';
import type { OfferStatus } from './catalogue.tables.js';
import type { LoyaltyDeps } from './deps.js';
import { replacePrizes } from './lottery.prizes.js';
import { drawsPage, drawsQuery, lotteriesPage, lotteryBody, lotteryPatch, lotterySchema, prizesBody } from './lottery.schemas.js';
import { createLottery, getLottery, listDraws, listLotteries, type LotteryBody, type LotteryPatch, type PrizeBody, updateLottery } from './lottery.service.js';

type Id = { Params: { id: string } };
const doc = (summary: string, response: object, extra: object = {}) => ({
  ...secured('loyalty', summary),
  ...extra,
  response: { 200: response, ...errorResponses },
});

/** Registers the lottery admin API (secret key or console session). */
export async function lotteryRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const base = '/v1/loyalty/lotteries';
  app.post<{ Body: LotteryBody }>(
    base,
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Create a lottery: a prize table in ppm summing to 1,000,000 with one fallback line'),
        body: lotteryBody,
        response: { 201: lotterySchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createLottery(deps, req.workspaceId, req.body)),
  );
  app.get<{ Querystring: { limit: number; cursor?: string; status?: OfferStatus } }>(
    base,
    { preHandler, schema: doc('Lotteries, newest first (archived ones with status=archived)', lotteriesPage, { querystring: itemsQuery }) },
    async (req) => listLotteries(deps, req.workspaceId, req.query),
  );
  app.get<Id>(
    `${base}/:id`,
    { preHandler, schema: doc('A lottery with its prize table and what each prize has given', lotterySchema, { params: idParams }) },
    async (req) => getLottery(deps, req.workspaceId, req.params.id),
  );
  app.patch<Id & { Body: LotteryPatch }>(
    `${base}/:id`,
    {
      preHandler,
      schema: doc('Change a lottery: name, cost, daily limit, status (the prize table: PUT …/prizes)', lotterySchema, { params: idParams, body: lotteryPatch }),
    },
    async (req) => updateLottery(deps, req.workspaceId, req.params.id, req.body),
  );
  app.put<Id & { Body: { prizes: PrizeBody[] } }>(
    `${base}/:id/prizes`,
    {
      preHandler,
      schema: doc(
        "Replace a lottery's prize table: probabilities summing to 1,000,000 ppm, one fallback; a line keeps what it has given (stock not below it), a line draws name cannot be removed",
        lotterySchema,
        { params: idParams, body: prizesBody },
      ),
    },
    async (req) => replacePrizes(deps, req.workspaceId, req.params.id, req.body.prizes),
  );
  app.delete<Id>(`${base}/:id`, { preHandler, schema: doc('Archive a lottery: no more draws', lotterySchema, { params: idParams }) }, async (req) =>
    updateLottery(deps, req.workspaceId, req.params.id, { status: 'archived' }),
  );
  app.get<Id & { Querystring: { limit: number; cursor?: string; profile?: string } }>(
    `${base}/:id/draws`,
    { preHandler, schema: doc("A lottery's draws, newest first (profile=… for one member's)", drawsPage, { params: idParams, querystring: drawsQuery }) },
    async (req) => {
      const profileId = req.query.profile ? await deps.resolveProfile(req.workspaceId, req.query.profile) : undefined;
      return listDraws(deps, req.workspaceId, req.params.id, { limit: req.query.limit, cursor: req.query.cursor, profileId });
    },
  );
}
