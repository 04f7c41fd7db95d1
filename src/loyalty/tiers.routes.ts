import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { LoyaltyDeps } from './deps.js';
import { listMembers, memberView } from './members.service.js';
import { buyPaidMembership, type PaidBody } from './membership.service.js';
import {
  memberParams,
  memberSchema,
  membersPage,
  membersQuery,
  paidAnswer,
  paidBody,
  programSchema,
  programViewSchema,
  tierParams,
  tierSchema,
  tiersPage,
} from './tiers.schemas.js';
import { addTier, type ProgramVersion, removeTier, replaceTier, type Tier, type TierProgram, tierProgram, saveTierProgram } from './tiers.service.js';
import { withRetries } from '../platform/db/database.js';

/** The tiers as a list, lowest first, with their ranks. */
function tierList(v: ProgramVersion) {
  return { data: v.program.tiers.map((t, rank) => ({ ...t, rank })), nextCursor: null };
}

/** Registers the tiers' admin API: the program, tier CRUD, members, paid memberships (secret key). */
export async function tierRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const db = deps.database.db;
  // Two saves at once: one gets the next version, the other is retried on the version after it.
  const save = (fn: () => Promise<ProgramVersion>) => withRetries(deps.database, fn);
  const tierPage = { 200: tiersPage, ...errorResponses };
  app.get(
    '/v1/loyalty/tier-program',
    {
      preHandler,
      schema: { ...secured('loyalty', 'The tier program in force (version 0: none yet)'), response: { 200: programViewSchema, ...errorResponses } },
    },
    async (req) => tierProgram(db, req.workspaceId),
  );
  app.put<{ Body: TierProgram }>(
    '/v1/loyalty/tier-program',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Replace the tier program (a new version)'),
        body: programSchema,
        response: { 200: programViewSchema, ...errorResponses },
      },
    },
    async (req) => save(() => saveTierProgram(db, req.workspaceId, req.body, deps.now())),
  );
  app.get(
    '/v1/loyalty/tiers',
    { preHandler, schema: { ...secured('loyalty', 'The tiers, lowest first, with their benefits'), response: tierPage } },
    async (req) => tierList(await tierProgram(db, req.workspaceId)),
  );
  app.post<{ Body: Tier }>(
    '/v1/loyalty/tiers',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Add a tier (placed by threshold; a new program version)'),
        body: tierSchema,
        response: { 201: tiersPage, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(tierList(await save(() => addTier(db, req.workspaceId, req.body, deps.now())))),
  );
  app.put<{ Params: { key: string }; Body: Tier }>(
    '/v1/loyalty/tiers/:key',
    {
      preHandler,
      schema: { ...secured('loyalty', 'Replace a tier (same key; a new program version)'), params: tierParams, body: tierSchema, response: tierPage },
    },
    async (req) => tierList(await save(() => replaceTier(db, req.workspaceId, req.params.key, req.body, deps.now()))),
  );
  app.delete<{ Params: { key: string } }>(
    '/v1/loyalty/tiers/:key',
    { preHandler, schema: { ...secured('loyalty', 'Remove a tier no member holds (a new program version)'), params: tierParams, response: tierPage } },
    async (req) => tierList(await save(() => removeTier(db, req.workspaceId, req.params.key, deps.now()))),
  );
  await memberRoutes(app, deps);
}

/** Members and paid memberships. */
async function memberRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.get<{ Querystring: { limit: number; cursor?: string; tier?: string } }>(
    '/v1/loyalty/members',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Members with tier and balance, by profile id'),
        querystring: membersQuery,
        response: { 200: membersPage, ...errorResponses },
      },
    },
    async (req) => listMembers(deps.database.db, req.workspaceId, req.query),
  );
  app.get<{ Params: { profileId: string } }>(
    '/v1/loyalty/members/:profileId',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'A member: balance, pending, tier and its benefits, qualification, paid membership, tier history'),
        params: memberParams,
        response: { 200: memberSchema, ...errorResponses },
      },
    },
    async (req) => memberView(deps, req.workspaceId, req.params.profileId),
  );
  app.post<{ Body: PaidBody }>(
    '/v1/loyalty/paid-memberships',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Record a paid membership bought (or renewed: the same tier extends its end); idempotent by key'),
        body: paidBody,
        response: { 200: paidAnswer, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { replayed, ...rest } = await buyPaidMembership(deps, req.workspaceId, req.body);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return rest;
    },
  );
}
