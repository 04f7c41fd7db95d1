import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { idParams } from './catalogue.schemas.js';
import type { LoyaltyDeps } from './deps.js';
import { campaignBody, campaignPatch, campaignSchema, campaignsPage, campaignsQuery, groupsPage, groupsQuery } from './group-buys.schemas.js';
import { type CampaignBody, type CampaignPatch, createCampaign, getCampaign, listCampaigns, listGroups, updateCampaign } from './group-buys.service.js';
import type { CampaignStatus, GroupStatus } from './group-buys.tables.js';

type Id = { Params: { id: string } };
const doc = (summary: string, response: object, extra: object = {}) => ({
  ...secured('loyalty', summary),
  ...extra,
  response: { 200: response, ...errorResponses },
});

/** Registers the group-buy admin API (secret key or console session). */
export async function groupBuyRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const base = '/v1/loyalty/group-buy-campaigns';
  app.post<{ Body: CampaignBody }>(
    base,
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Create a group-buy campaign: a product, a group size, a deadline and a reward'),
        body: campaignBody,
        response: { 201: campaignSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createCampaign(deps, req.workspaceId, req.body)),
  );
  app.get<{ Querystring: { limit: number; cursor?: string; status?: CampaignStatus } }>(
    base,
    { preHandler, schema: doc('Group-buy campaigns, newest first, with their groups counted', campaignsPage, { querystring: campaignsQuery }) },
    async (req) => listCampaigns(deps, req.workspaceId, req.query),
  );
  app.get<Id>(`${base}/:id`, { preHandler, schema: doc('A group-buy campaign with its groups counted', campaignSchema, { params: idParams }) }, async (req) =>
    getCampaign(deps, req.workspaceId, req.params.id),
  );
  app.patch<Id & { Body: CampaignPatch }>(
    `${base}/:id`,
    { preHandler, schema: doc('Change a campaign: name, product name, end, status, reward points', campaignSchema, { params: idParams, body: campaignPatch }) },
    async (req) => updateCampaign(deps, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>(
    `${base}/:id`,
    { preHandler, schema: doc('Archive a campaign: no new groups (open ones run to their deadline)', campaignSchema, { params: idParams }) },
    async (req) => updateCampaign(deps, req.workspaceId, req.params.id, { status: 'archived' }),
  );
  app.get<Id & { Querystring: { limit: number; cursor?: string; status?: GroupStatus } }>(
    `${base}/:id/groups`,
    { preHandler, schema: doc("A campaign's groups, newest first, with their members", groupsPage, { params: idParams, querystring: groupsQuery }) },
    async (req) => listGroups(deps, req.workspaceId, req.params.id, req.query),
  );
}
