import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { type RedeemBody, redeemCoupon, reverseCoupon } from './coupons.orders.js';
import {
  batchSchema,
  claimBody,
  claimLinkBody,
  claimLinkSchema,
  codesBody,
  couponAnswer,
  couponsPage,
  couponsQuery,
  profileCouponsQuery,
  issueBody,
  redeemBody,
  redemptionAnswer,
  reverseBody,
  statsSchema,
  templateBody,
  templateParams,
  templatePatch,
  templateSchema,
  templatesPage,
  templatesQuery,
} from './coupons.schemas.js';
import { claimCoupon, createClaimLink, generateCodes, type IssueBody, issueCoupon, profileCoupons, templateCoupons } from './coupons.service.js';
import type { CouponStatus, TemplateStatus } from './coupons.tables.js';
import { createTemplate, getTemplate, listTemplates, type TemplateBody, type TemplatePatch, updateTemplate } from './coupons.templates.js';
import type { LoyaltyDeps } from './deps.js';
import { profileParams } from './points.schemas.js';

type Id = { Params: { id: string } };
type Paged<S> = { limit: number; cursor?: string; status?: S };

/** Marks a replayed answer (a retried idempotency key) with the header `idempotent-replayed: true`. */
function replay<T extends { replayed: boolean }>(reply: FastifyReply, r: T): Omit<T, 'replayed'> {
  if (r.replayed) reply.header('idempotent-replayed', 'true');
  const { replayed: _, ...rest } = r;
  return rest;
}

const doc = (summary: string, response: object, extra: object = {}) => ({
  ...secured('loyalty', summary),
  ...extra,
  response: { 200: response, ...errorResponses },
});

/** Registers the template routes: CRUD, bulk codes, claim links, a template's coupons and statistics. */
async function templateRoutes(app: FastifyInstance, deps: LoyaltyDeps, preHandler: ReturnType<typeof requireKey>): Promise<void> {
  const base = '/v1/loyalty/coupon-templates';
  app.post<{ Body: TemplateBody }>(
    base,
    {
      preHandler,
      schema: { ...doc('Create a coupon template', templateSchema, { body: templateBody }), response: { 201: templateSchema, ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(await createTemplate(deps, req.workspaceId, req.body)),
  );
  app.get<{ Querystring: Paged<TemplateStatus> }>(
    base,
    {
      preHandler,
      schema: doc('Coupon templates, newest first, with their statistics (archived ones with status=archived)', templatesPage, { querystring: templatesQuery }),
    },
    async (req) => listTemplates(deps, req.workspaceId, req.query),
  );
  app.get<Id>(
    `${base}/:id`,
    { preHandler, schema: doc('A coupon template (by id or key) with its statistics', templateSchema, { params: templateParams }) },
    async (req) => getTemplate(deps, req.workspaceId, req.params.id),
  );
  app.patch<Id & { Body: TemplatePatch }>(
    `${base}/:id`,
    {
      preHandler,
      schema: doc('Change a template: name, description, status (active/paused), stock, per-person limit', templateSchema, {
        params: templateParams,
        body: templatePatch,
      }),
    },
    async (req) => updateTemplate(deps, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>(
    `${base}/:id`,
    { preHandler, schema: doc('Archive a template: it issues no more coupons; those issued stay usable', templateSchema, { params: templateParams }) },
    async (req) => updateTemplate(deps, req.workspaceId, req.params.id, { status: 'archived' }),
  );
  app.get<Id>(`${base}/:id/stats`, { preHandler, schema: doc("A template's statistics", statsSchema, { params: templateParams }) }, async (req) => {
    return (await getTemplate(deps, req.workspaceId, req.params.id)).stats;
  });
  app.post<Id & { Body: { count: number; idempotencyKey: string } }>(
    `${base}/:id/codes`,
    { preHandler, schema: doc('Generate unassigned codes (within stock); idempotent by key', batchSchema, { params: templateParams, body: codesBody }) },
    async (req, reply) => replay(reply, await generateCodes(deps, req.workspaceId, req.params.id, req.body)),
  );
  app.post<Id & { Body: { expiresAt: string } }>(
    `${base}/:id/claim-links`,
    {
      preHandler,
      schema: doc('Sign a claim link: one coupon per member who claims with it, until it expires', claimLinkSchema, {
        params: templateParams,
        body: claimLinkBody,
      }),
    },
    async (req) => createClaimLink(deps, req.workspaceId, req.params.id, req.body),
  );
  app.get<Id & { Querystring: Paged<CouponStatus> & { batch?: string } }>(
    `${base}/:id/coupons`,
    {
      preHandler,
      schema: doc("A template's coupons, newest first (status=unassigned&batch=… exports generated codes)", couponsPage, {
        params: templateParams,
        querystring: couponsQuery,
      }),
    },
    async (req) => templateCoupons(deps, req.workspaceId, req.params.id, req.query),
  );
}

/** Registers the coupon API (secret key): templates, issue, claim, redeem, reverse, a member's coupons. */
export async function couponRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  await templateRoutes(app, deps, preHandler);
  app.post<{ Body: IssueBody }>(
    '/v1/loyalty/coupons/issue',
    { preHandler, schema: doc('Issue a coupon to a member (stock, per-person limit); idempotent by key', couponAnswer, { body: issueBody }) },
    async (req, reply) => replay(reply, await issueCoupon(deps, req.workspaceId, req.body)),
  );
  app.post<{ Body: { profile: string; token?: string; code?: string } }>(
    '/v1/loyalty/coupons/claim',
    { preHandler, schema: doc("A member claims a coupon with a claim link's token or a generated code", couponAnswer, { body: claimBody }) },
    async (req, reply) => replay(reply, await claimCoupon(deps, req.workspaceId, req.body)),
  );
  app.post<{ Body: RedeemBody }>(
    '/v1/loyalty/coupons/redeem',
    {
      preHandler,
      schema: doc('Use a coupon on an order: checks owner, status, validity, threshold and stacking; answers the discount in fen', redemptionAnswer, {
        body: redeemBody,
      }),
    },
    async (req, reply) => replay(reply, await redeemCoupon(deps, req.workspaceId, req.body)),
  );
  app.post<{ Body: { code: string; orderId: string; reason: string } }>(
    '/v1/loyalty/coupons/reverse',
    { preHandler, schema: doc('Reverse the use of a coupon on an order: the member may use it again', redemptionAnswer, { body: reverseBody }) },
    async (req, reply) => replay(reply, await reverseCoupon(deps, req.workspaceId, req.body)),
  );
  app.get<Id & { Querystring: Paged<CouponStatus> }>(
    '/v1/profiles/:id/coupons',
    {
      preHandler,
      schema: doc("A member's coupons, newest first", couponsPage, { params: profileParams, querystring: profileCouponsQuery }),
    },
    async (req) => profileCoupons(deps, req.workspaceId, req.params.id, req.query),
  );
}
