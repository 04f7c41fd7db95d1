import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import {
  type ApplyBody,
  applyCheckout,
  checkoutSettings,
  type CheckoutSettings,
  quoteCheckout,
  reverseCheckout,
  saveCheckoutSettings,
} from './catalogue.checkout.js';
import {
  applyBody,
  checkoutSettingsSchema,
  deductionAnswer,
  idParams,
  itemBody,
  itemPatch,
  itemSchema,
  itemsPage,
  itemsQuery,
  quoteBody,
  quoteSchema,
  redeemItemBody,
  redemptionAnswer,
  redemptionsPage,
  redemptionsQuery,
  reverseBody,
  reverseRedemptionBody,
  reversedRedemptionAnswer,
} from './catalogue.schemas.js';
import { listRedemptions, reverseRedemption } from './catalogue.reverse.js';
import { createItem, getItem, type ItemBody, type ItemPatch, listItems, redeemItem, updateItem } from './catalogue.service.js';
import type { OfferStatus } from './catalogue.tables.js';
import type { LoyaltyDeps } from './deps.js';
import { MemberApiError } from './member-api.errors.js';

type Id = { Params: { id: string } };

const doc = (summary: string, response: object, extra: object = {}) => ({
  ...secured('loyalty', summary),
  ...extra,
  response: { 200: response, ...errorResponses },
});

/** Marks a replayed answer with `idempotent-replayed: true`. */
export function replayed<T extends { replayed: boolean }>(reply: FastifyReply, r: T): Omit<T, 'replayed'> {
  if (r.replayed) reply.header('idempotent-replayed', 'true');
  const { replayed: _, ...rest } = r;
  return rest;
}

/** Registers the catalogue and checkout admin API (secret key or console session). */
export async function catalogueRoutes(app: FastifyInstance, deps: LoyaltyDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const base = '/v1/loyalty/catalogue-items';
  app.post<{ Body: ItemBody }>(
    base,
    {
      preHandler,
      schema: {
        ...secured('loyalty', 'Create a catalogue item (a reward bought with points)'),
        body: itemBody,
        response: { 201: itemSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await createItem(deps, req.workspaceId, req.body)),
  );
  app.get<{ Querystring: { limit: number; cursor?: string; status?: OfferStatus } }>(
    base,
    { preHandler, schema: doc('Catalogue items, newest first (archived ones with status=archived)', itemsPage, { querystring: itemsQuery }) },
    async (req) => listItems(deps, req.workspaceId, req.query),
  );
  app.get<Id>(`${base}/:id`, { preHandler, schema: doc('A catalogue item with its stock', itemSchema, { params: idParams }) }, async (req) =>
    getItem(deps, req.workspaceId, req.params.id),
  );
  app.patch<Id & { Body: ItemPatch }>(
    `${base}/:id`,
    {
      preHandler,
      schema: doc('Change an item: name, description, points, stock (not below what was redeemed), limit, status', itemSchema, {
        params: idParams,
        body: itemPatch,
      }),
    },
    async (req) => updateItem(deps, req.workspaceId, req.params.id, req.body),
  );
  app.delete<Id>(`${base}/:id`, { preHandler, schema: doc('Archive an item: it can no longer be redeemed', itemSchema, { params: idParams }) }, async (req) =>
    updateItem(deps, req.workspaceId, req.params.id, { status: 'archived' }),
  );
  app.post<Id & { Body: { profile: string; idempotencyKey: string } }>(
    `${base}/:id/redeem`,
    {
      preHandler,
      schema: doc("Redeem one unit for a member (the brand's backend): spends the points, takes the stock; idempotent by key", redemptionAnswer, {
        params: idParams,
        body: redeemItemBody,
      }),
    },
    async (req, reply) => {
      const profileId = await deps.resolveProfile(req.workspaceId, req.body.profile);
      return replayed(reply, await redeemItem(deps, req.workspaceId, { profileId, itemId: req.params.id, idempotencyKey: req.body.idempotencyKey }));
    },
  );
  app.get<Id & { Querystring: { limit: number; cursor?: string; profile?: string } }>(
    `${base}/:id/redemptions`,
    {
      preHandler,
      schema: doc("An item's redemptions, newest first (profile=… for one member's)", redemptionsPage, { params: idParams, querystring: redemptionsQuery }),
    },
    async (req) => {
      const profileId = req.query.profile ? await deps.resolveProfile(req.workspaceId, req.query.profile) : undefined;
      return listRedemptions(deps, req.workspaceId, req.params.id, { limit: req.query.limit, cursor: req.query.cursor, profileId });
    },
  );
  app.post<Id & { Body: { reason: string } }>(
    '/v1/loyalty/catalogue-redemptions/:id/reverse',
    {
      preHandler,
      schema: doc(
        'Reverse a redemption: points back through the ledger, the unit back in stock, its coupon voided (refused if the coupon was used); idempotent',
        reversedRedemptionAnswer,
        { params: idParams, body: reverseRedemptionBody },
      ),
    },
    async (req, reply) => replayed(reply, await reverseRedemption(deps, req.workspaceId, req.params.id, req.body.reason)),
  );
  await checkoutRoutes(app, deps, preHandler);
}

/** Registers the checkout deduction routes: settings, quote, apply, reverse. */
async function checkoutRoutes(app: FastifyInstance, deps: LoyaltyDeps, preHandler: ReturnType<typeof requireKey>): Promise<void> {
  app.get(
    '/v1/loyalty/checkout/settings',
    { preHandler, schema: doc('Deduction at checkout: points per yuan and the caps per order', checkoutSettingsSchema) },
    async (req) => {
      const s = await checkoutSettings(deps.database.db, req.workspaceId);
      if (!s) throw new MemberApiError('CHECKOUT_NOT_CONFIGURED', 'deduction at checkout is not set up: PUT /v1/loyalty/checkout/settings first');
      return s;
    },
  );
  app.put<{ Body: CheckoutSettings }>(
    '/v1/loyalty/checkout/settings',
    {
      preHandler,
      schema: doc('Set deduction at checkout (e.g. 100 points = ¥1, at most 20% of an order)', checkoutSettingsSchema, { body: checkoutSettingsSchema }),
    },
    async (req) => saveCheckoutSettings(deps, req.workspaceId, req.body),
  );
  app.post<{ Body: { profile: string; orderTotalFen: number; points?: number } }>(
    '/v1/loyalty/checkout/quote',
    { preHandler, schema: doc('Quote the points a member may use on an order (changes nothing)', quoteSchema, { body: quoteBody }) },
    async (req) => quoteCheckout(deps, req.workspaceId, req.body),
  );
  app.post<{ Body: ApplyBody }>(
    '/v1/loyalty/checkout/apply',
    { preHandler, schema: doc('Spend points on an order, once per order id (the same request again answers the first)', deductionAnswer, { body: applyBody }) },
    async (req, reply) => replayed(reply, await applyCheckout(deps, req.workspaceId, req.body)),
  );
  app.post<{ Body: { orderId: string; reason: string } }>(
    '/v1/loyalty/checkout/reverse',
    {
      preHandler,
      schema: doc("Give back an order's deducted points (refunds and cancellations seen by the CDP do it by themselves)", deductionAnswer, {
        body: reverseBody,
      }),
    },
    async (req) => reverseCheckout(deps, req.workspaceId, req.body),
  );
}
