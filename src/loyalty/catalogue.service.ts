/**
 * The reward catalogue: items that cost points and give a coupon (through the coupon issue) or a
 * reward the brand hands over. A redemption spends the points through the ledger and takes a unit
 * of stock in one transaction. Stock never oversells: the unit is counted by a conditional update
 * of the item's row as the transaction's last statement (the coupons' pattern), so however many
 * redemptions race for the last units, only as many commit as there are units; the others run again
 * and are refused with CATALOGUE_OUT_OF_STOCK before anything is written.
 */
import { sql } from 'kysely';
import { recordSystemEvents } from '../cdp/index.js';
import { type Database, withRetries } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import type { CatalogueItemsTable, CatalogueKind, CatalogueRedemptionsTable, OfferStatus } from './catalogue.tables.js';
import { issueInTrx } from './coupons.issue.js';
import { findTemplate } from './coupons.repo.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';
import { GROWTH_EVENTS } from './event-names.js';
import { type Conn, lockAccount, num } from './ledger.repo.js';
import { postEntry } from './ledger.service.js';
import { MemberApiError } from './member-api.errors.js';

/** Thrown when the last units went to another transaction between the check and the count: retryable (the retry then refuses). */
export class UnitRaceError extends Error {
  readonly code = 'SIYU_CONCURRENT_WRITE';
  constructor(what: string) {
    super(`${what}: its stock ran out while this request ran`);
  }
}

/** A catalogue item as the API answers it. */
export interface CatalogueItemView {
  id: string;
  name: string;
  description: string | null;
  kind: CatalogueKind;
  couponTemplateId: string | null;
  points: number;
  stock: number | null;
  redeemed: number;
  /** Units left; null for unlimited. */
  left: number | null;
  perMemberLimit: number | null;
  status: OfferStatus;
  createdAt: string;
  updatedAt: string;
}

/** The body that creates an item. */
export interface ItemBody {
  name: string;
  description?: string | null;
  kind: CatalogueKind;
  couponTemplateId?: string | null;
  points: number;
  stock?: number | null;
  perMemberLimit?: number | null;
  status?: 'active' | 'paused';
}

/** What a PATCH may change (not the kind or what it gives). */
export type ItemPatch = Partial<Pick<ItemBody, 'name' | 'description' | 'points' | 'stock' | 'perMemberLimit'>> & { status?: OfferStatus };

const iso = (ms: unknown) => new Date(num(ms)).toISOString();

function itemView(r: CatalogueItemsTable): CatalogueItemView {
  const stock = r.stock === null ? null : num(r.stock);
  const redeemed = num(r.redeemed_count);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    kind: r.kind,
    couponTemplateId: r.coupon_template_id,
    points: num(r.points),
    stock,
    redeemed,
    left: stock === null ? null : stock - redeemed,
    perMemberLimit: r.per_member_limit,
    status: r.status,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** An item by id, or CATALOGUE_ITEM_NOT_FOUND. */
export async function findItem(db: Conn, ws: string, id: string): Promise<CatalogueItemsTable> {
  const r = await db.selectFrom('loyalty_catalogue_items').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!r) throw new MemberApiError('CATALOGUE_ITEM_NOT_FOUND', `no catalogue item "${id}" in this workspace`, { id });
  return r;
}

/** Creates an item; a coupon item names an existing template (by id or key). */
export async function createItem(deps: LoyaltyDeps, ws: string, b: ItemBody): Promise<CatalogueItemView> {
  const db = deps.database.db;
  let templateId: string | null = null;
  if (b.kind === 'coupon') {
    const t = b.couponTemplateId ? await findTemplate(db, deps.database.dialect, ws, b.couponTemplateId) : undefined;
    if (!t) throw new MemberApiError('CATALOGUE_ITEM_INVALID', 'a coupon item needs couponTemplateId naming a coupon template of this workspace');
    templateId = t.id;
  } else if (b.couponTemplateId) {
    throw new MemberApiError('CATALOGUE_ITEM_INVALID', `couponTemplateId is for coupon items only, not ${b.kind}`);
  }
  const now = deps.now();
  const row: CatalogueItemsTable = {
    workspace_id: ws,
    id: newId('rwd', now),
    name: b.name,
    description: b.description ?? null,
    kind: b.kind,
    coupon_template_id: templateId,
    points: b.points,
    stock: b.stock ?? null,
    redeemed_count: 0,
    per_member_limit: b.perMemberLimit ?? null,
    status: b.status ?? 'active',
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('loyalty_catalogue_items').values(row).execute();
  return itemView(row);
}

/** One item. */
export async function getItem(deps: LoyaltyDeps, ws: string, id: string): Promise<CatalogueItemView> {
  return itemView(await findItem(deps.database.db, ws, id));
}

/** Changes an item; stock cannot go below what was redeemed already. */
export async function updateItem(deps: LoyaltyDeps, ws: string, id: string, p: ItemPatch): Promise<CatalogueItemView> {
  const db = deps.database.db;
  const before = await findItem(db, ws, id);
  if (p.stock != null && p.stock < num(before.redeemed_count)) {
    throw new MemberApiError('CATALOGUE_ITEM_INVALID', `stock ${p.stock} is below the ${num(before.redeemed_count)} units already redeemed`);
  }
  const set = {
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.points !== undefined ? { points: p.points } : {}),
    ...(p.stock !== undefined ? { stock: p.stock } : {}),
    ...(p.perMemberLimit !== undefined ? { per_member_limit: p.perMemberLimit } : {}),
    ...(p.status !== undefined ? { status: p.status } : {}),
    updated_at: deps.now(),
  };
  // The stock check again in SQL: a redemption committing meanwhile cannot leave stock below the count.
  let q = db.updateTable('loyalty_catalogue_items').set(set).where('workspace_id', '=', ws).where('id', '=', id);
  if (p.stock != null) q = q.where('redeemed_count', '<=', p.stock);
  const r = await q.executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new MemberApiError('CATALOGUE_ITEM_INVALID', `stock ${p.stock} is below the units already redeemed`);
  return getItem(deps, ws, id);
}

/** Items newest first; archived ones only with `status=archived`, paused ones listed with the active ones unless `status` says. */
export async function listItems(deps: LoyaltyDeps, ws: string, q: { limit: number; cursor?: string; status?: OfferStatus }): Promise<Page<CatalogueItemView>> {
  let sel = deps.database.db.selectFrom('loyalty_catalogue_items').selectAll().where('workspace_id', '=', ws);
  sel = q.status ? sel.where('status', '=', q.status) : sel.where('status', '!=', 'archived');
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, itemView, (r) => [r.id]);
}

/** A redemption as the API answers it. */
export interface RedemptionView {
  id: string;
  itemId: string;
  profileId: string;
  points: number;
  entryId: string;
  couponId: string | null;
  couponCode: string | null;
  balance: number;
  createdAt: string;
}

function redemptionView(r: CatalogueRedemptionsTable, couponCode: string | null, balance: number): RedemptionView {
  return {
    id: r.id,
    itemId: r.item_id,
    profileId: r.profile_id,
    points: num(r.points),
    entryId: r.entry_id,
    couponId: r.coupon_id,
    couponCode,
    balance,
    createdAt: iso(r.created_at),
  };
}

/** A redemption asked for: the live profile, the item, the idempotency key as stored (member routes prefix theirs). */
export interface RedeemRequest {
  profileId: string;
  itemId: string;
  idempotencyKey: string;
}

async function couponCode(trx: Conn, ws: string, id: string | null): Promise<string | null> {
  if (!id) return null;
  return (await trx.selectFrom('coupons').select('code').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst())?.code ?? null;
}

/** Checks the item can give the member one more unit (status, stock, the member's limit) inside the member's lock. */
async function checkRedeemable(trx: Conn, item: CatalogueItemsTable, profileId: string): Promise<void> {
  if (item.status !== 'active') throw new MemberApiError('CATALOGUE_ITEM_INACTIVE', `catalogue item ${item.id} is ${item.status}`, { status: item.status });
  if (item.stock !== null && num(item.redeemed_count) >= num(item.stock)) {
    throw new MemberApiError('CATALOGUE_OUT_OF_STOCK', `all ${num(item.stock)} units of catalogue item ${item.id} have been redeemed`, {
      stock: num(item.stock),
    });
  }
  if (item.per_member_limit !== null) {
    const r = await trx
      .selectFrom('loyalty_catalogue_redemptions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', item.workspace_id)
      .where('item_id', '=', item.id)
      .where('profile_id', '=', profileId)
      .where('reversed_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (num(r.n) >= item.per_member_limit) {
      throw new MemberApiError('CATALOGUE_LIMIT_REACHED', `the member has redeemed catalogue item ${item.id} ${num(r.n)} times, its limit per member`, {
        limit: item.per_member_limit,
      });
    }
  }
}

/**
 * Redeems one unit for a member, in one transaction: the member's account lock (serialises the
 * member's redemptions and the per-member limit), the replay of a known key, the checks, the spend
 * (earliest-expiring points first), the coupon for a coupon item, the redemption row and its
 * `Reward Redeemed` event, and last the unit counted only while stock is left.
 */
export async function redeemItem(deps: LoyaltyDeps, ws: string, req: RedeemRequest): Promise<{ redemption: RedemptionView; replayed: boolean }> {
  const database: Database = deps.database;
  const tz = await workspaceTimeZone(database.db, ws, deps.defaultTimeZone);
  return withRetries(database, () => database.db.transaction().execute((trx) => redeemInTrx(trx, deps, ws, req, tz)), 20);
}

/** Stores a redemption with its `Reward Redeemed` event, then counts the unit while stock is left (the last statement: the item's row is locked for the commit only). */
async function storeRedemption(trx: Conn, deps: LoyaltyDeps, item: CatalogueItemsTable, row: CatalogueRedemptionsTable, now: number): Promise<void> {
  const ws = row.workspace_id;
  const id = row.id;
  const coupon = row.coupon_id === null ? null : { id: row.coupon_id };
  const database = deps.database;
  await trx.insertInto('loyalty_catalogue_redemptions').values(row).execute();
  await recordSystemEvents(trx, database.dialect, [
    {
      workspaceId: ws,
      profileId: row.profile_id,
      event: GROWTH_EVENTS.rewardRedeemed,
      eventId: `${id}:redeemed`,
      at: now,
      properties: { redemption_id: id, item_id: item.id, item_name: item.name, kind: item.kind, points: num(item.points), coupon_id: coupon?.id ?? null },
    },
  ]);
  const counted = await trx
    .updateTable('loyalty_catalogue_items')
    .set({ redeemed_count: sql`redeemed_count + 1`, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('id', '=', item.id)
    .where((eb) => eb.or([eb('stock', 'is', null), eb('redeemed_count', '<', eb.ref('stock'))]))
    .executeTakeFirst();
  if (Number(counted.numUpdatedRows) !== 1) throw new UnitRaceError(`catalogue item ${item.id}`);
}

// size: one transaction's steps in order (lock, replay, checks, spend, coupon, row, event, count) read best together
async function redeemInTrx(
  trx: Conn,
  deps: LoyaltyDeps,
  ws: string,
  req: RedeemRequest,
  tz: string,
): Promise<{ redemption: RedemptionView; replayed: boolean }> {
  const { database } = deps;
  const now = deps.now();
  const account = await lockAccount(trx, database.dialect, ws, req.profileId, now);
  const first = await trx
    .selectFrom('loyalty_catalogue_redemptions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('idempotency_key', '=', req.idempotencyKey)
    .executeTakeFirst();
  if (first) {
    if (first.item_id !== req.itemId || first.profile_id !== req.profileId) {
      throw new LoyaltyError('IDEMPOTENCY_CONFLICT', `idempotency key "${req.idempotencyKey}" was used by redemption ${first.id} of another item or member`, {
        redemptionId: first.id,
      });
    }
    return { redemption: redemptionView(first, await couponCode(trx, ws, first.coupon_id), account.balance), replayed: true };
  }
  const item = await findItem(trx, ws, req.itemId);
  await checkRedeemable(trx, item, req.profileId);
  const id = newId('rdm', now);
  const spent = await postEntry(
    trx,
    database.dialect,
    {
      workspaceId: ws,
      profileId: req.profileId,
      kind: 'spend',
      points: num(item.points),
      reason: `reward: ${item.name}`,
      source: { type: 'api', id: `catalogue:${id}` },
      idempotencyKey: `siyu:catalogue:${id}`,
    },
    now,
  );
  let coupon: { id: string; code: string } | null = null;
  if (item.kind === 'coupon') {
    const r = await issueInTrx(
      trx,
      database.dialect,
      {
        workspaceId: ws,
        profileId: req.profileId,
        template: item.coupon_template_id!,
        channel: 'api',
        idempotencyKey: `siyu:catalogue:${id}`,
        reason: `reward: ${item.name}`,
        timeZone: tz,
      },
      now,
    );
    coupon = { id: r.coupon.id, code: r.coupon.code };
  }
  const row: CatalogueRedemptionsTable = {
    workspace_id: ws,
    id,
    item_id: item.id,
    profile_id: req.profileId,
    points: num(item.points),
    entry_id: spent.entry.id,
    coupon_id: coupon?.id ?? null,
    idempotency_key: req.idempotencyKey,
    created_at: now,
  };
  await storeRedemption(trx, deps, item, row, now);
  return { redemption: redemptionView(row, coupon?.code ?? null, spent.entry.balanceAfter), replayed: false };
}
