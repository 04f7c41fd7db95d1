import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { checkIn } from './checkins.service.js';
import type { LoyaltyDeps } from './deps.js';
import {
  checkinBody,
  checkinSchema,
  ruleBody,
  ruleParams,
  rulesPage,
  rulesQuery,
  ruleSchema,
  ruleWithVersionsSchema,
  settingsSchema,
} from './rules.schemas.js';
import { createRule, createRuleVersion, deactivateRule, getRule, listRules, type RuleInput } from './rules.service.js';
import { type LoyaltySettings, loyaltySettings, saveLoyaltySettings } from './settings.service.js';

/** Registers the earning rules' admin API, the points settings and check-ins (secret key). */
export async function loyaltyRuleRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const db = deps.database.db;
  app.post<{ Body: RuleInput }>(
    '/v1/loyalty/rules',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Create an earning rule (version 1, in force from now)'),
        body: ruleBody,
        response: { 201: ruleSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createRule(db, req.workspaceId, req.body, deps.now())),
  );
  app.post<{ Params: { id: string }; Body: RuleInput }>(
    '/v1/loyalty/rules/:id/versions',
    {
      preHandler,
      schema: {
        ...secured('loyalty', "A rule's next version, in force from now (the kind stays)"),
        params: ruleParams,
        body: ruleBody,
        response: { 201: ruleSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createRuleVersion(db, req.workspaceId, req.params.id, req.body, deps.now())),
  );
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/loyalty/rules',
    {
      preHandler,
      schema: { ...secured('loyalty', 'Earning rules at their latest version'), querystring: rulesQuery, response: { 200: rulesPage, ...errorResponses } },
    },
    async (req) => listRules(db, req.workspaceId, req.query),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/loyalty/rules/:id',
    {
      preHandler,
      schema: { ...secured('loyalty', 'An earning rule with its versions'), params: ruleParams, response: { 200: ruleWithVersionsSchema, ...errorResponses } },
    },
    async (req) => getRule(db, req.workspaceId, req.params.id),
  );
  app.post<{ Params: { id: string } }>(
    '/v1/loyalty/rules/:id/deactivate',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Deactivate a rule: nothing more is awarded by it'),
        params: ruleParams,
        response: { 200: ruleWithVersionsSchema, ...errorResponses },
      },
    },
    async (req) => deactivateRule(db, req.workspaceId, req.params.id, deps.now()),
  );
  await settingsRoutes(app, deps);
}

/** The points settings and check-ins. */
async function settingsRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const db = deps.database.db;
  app.get(
    '/v1/loyalty/settings',
    {
      preHandler,
      schema: { ...secured('loyalty', "The workspace's points expiry policy and notice days"), response: { 200: settingsSchema, ...errorResponses } },
    },
    async (req) => loyaltySettings(db, req.workspaceId),
  );
  app.put<{ Body: LoyaltySettings }>(
    '/v1/loyalty/settings',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Set the points expiry policy and notice days'),
        body: settingsSchema,
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (req) => {
      await saveLoyaltySettings(db, req.workspaceId, req.body, deps.now());
      return loyaltySettings(db, req.workspaceId);
    },
  );
  app.post<{ Body: { profile: string } }>(
    '/v1/loyalty/checkins',
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Check a member in for today (workspace time zone); once a day, idempotent'),
        body: checkinBody,
        response: { 200: checkinSchema, ...errorResponses },
      },
    },
    async (req) => checkIn(deps, req.workspaceId, req.body.profile),
  );
}
