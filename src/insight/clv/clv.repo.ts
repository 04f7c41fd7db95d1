/**
 * SQL of the CLV feature: the order history it fits on (cdp's orders, read under insight's
 * declared read exception), and its own tables of models and predictions.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { CdpDB } from '../../cdp/index.js';
import { type Dialect, parseJson } from '../../platform/db/database.js';
import { keysetAfter } from '../../platform/paging.js';
import type { InsightClvDB, InsightClvModelsTable, InsightClvPredictionsTable } from './clv.schema.js';
import type { ClvOptions } from './clv.js';

type Db = Kysely<CdpDB & InsightClvDB>;

/** An order counted by the fit: its owner, time and value net of refunds. */
export interface OrderRow {
  profileId: string;
  orderedAt: number;
  netFen: number;
}

/**
 * The workspace's orders in its currency that count as purchases (completed or partially refunded:
 * cancelled and fully refunded orders are not purchases), each at its value net of refunds. Orders
 * follow merges (cdp moves them to the surviving profile), so `profile_id` is a live profile.
 */
export async function readOrders(db: Db, ws: string, currency: string): Promise<OrderRow[]> {
  const rows = await db
    .selectFrom('orders')
    .select(['profile_id', 'ordered_at', sql<number>`total_fen - refunded_fen`.as('net_fen')])
    .where('workspace_id', '=', ws)
    .where('currency', '=', currency)
    .where('status', 'in', ['completed', 'partially_refunded'])
    .execute();
  return rows.map((r) => ({ profileId: r.profile_id, orderedAt: Number(r.ordered_at), netFen: Number(r.net_fen) }));
}

/** A stored model, as the service reads it. */
export interface StoredModel {
  id: string;
  fittedAt: number;
  calibrationEndDay: number;
  currency: string;
  customers: number;
  repeatCustomers: number;
  orders: number;
  bgNbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number };
  gammaGamma: { p: number; q: number; gamma: number; logLikelihood: number };
  options: ClvOptions;
  durationMs: number;
}

const toModel = (r: Selectable<InsightClvModelsTable>): StoredModel => ({
  id: r.id,
  fittedAt: Number(r.fitted_at),
  calibrationEndDay: Number(r.calibration_end_day),
  currency: r.currency,
  customers: Number(r.customers),
  repeatCustomers: Number(r.repeat_customers),
  orders: Number(r.orders),
  bgNbd: { r: Number(r.bg_r), alpha: Number(r.bg_alpha), a: Number(r.bg_a), b: Number(r.bg_b), logLikelihood: Number(r.bg_log_likelihood) },
  gammaGamma: { p: Number(r.gg_p), q: Number(r.gg_q), gamma: Number(r.gg_gamma), logLikelihood: Number(r.gg_log_likelihood) },
  options: parseJson<ClvOptions>(r.options),
  durationMs: Number(r.duration_ms),
});

/** Stores a model and makes `predictions` the workspace's current ones (those of profiles not in them are removed), in one transaction. */
export async function storeFit(
  db: Db,
  dialect: Dialect,
  ws: string,
  model: StoredModel,
  predictions: Omit<InsightClvPredictionsTable, 'workspace_id' | 'model_id'>[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const m = model;
    await trx
      .insertInto('insight_clv_models')
      .values({
        workspace_id: ws,
        id: m.id,
        fitted_at: m.fittedAt,
        calibration_end_day: m.calibrationEndDay,
        currency: m.currency,
        customers: m.customers,
        repeat_customers: m.repeatCustomers,
        orders: m.orders,
        bg_r: m.bgNbd.r,
        bg_alpha: m.bgNbd.alpha,
        bg_a: m.bgNbd.a,
        bg_b: m.bgNbd.b,
        bg_log_likelihood: m.bgNbd.logLikelihood,
        gg_p: m.gammaGamma.p,
        gg_q: m.gammaGamma.q,
        gg_gamma: m.gammaGamma.gamma,
        gg_log_likelihood: m.gammaGamma.logLikelihood,
        options: JSON.stringify(m.options),
        duration_ms: m.durationMs,
      })
      .execute();
    const rows = predictions.map((p) => ({ workspace_id: ws, model_id: m.id, ...p }));
    const columns = Object.keys(rows[0] ?? {}).filter((c) => c !== 'workspace_id' && c !== 'profile_id');
    await dialect.insertMany(trx, 'insight_clv_predictions', rows, { columns: ['workspace_id', 'profile_id'], update: columns });
    await trx.deleteFrom('insight_clv_predictions').where('workspace_id', '=', ws).where('model_id', '<>', m.id).execute();
  });
}

/** The workspace's current (newest) model, if it was ever fitted. */
export async function currentModel(db: Db, ws: string): Promise<StoredModel | undefined> {
  const row = await db
    .selectFrom('insight_clv_models')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('fitted_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toModel(row) : undefined;
}

/** Counts and sums of the current predictions' CLV in buckets `[edges[i], edges[i+1])` (the last open-ended). */
export async function clvBuckets(db: Db, ws: string, edges: readonly number[]): Promise<{ bucket: number; profiles: number; clvFen: number }[]> {
  const cases = edges.map((e, i) => sql`when clv_fen >= ${e} then ${sql.lit(i)}`).reverse();
  const bucket = sql<number>`case ${sql.join(cases, sql` `)} else ${sql.lit(0)} end`;
  const rows = await db
    .selectFrom('insight_clv_predictions')
    .select([bucket.as('bucket'), (eb) => eb.fn.countAll<number>().as('profiles'), (eb) => eb.fn.sum<number>('clv_fen').as('clv_fen')])
    .where('workspace_id', '=', ws)
    .groupBy(sql`1`)
    .execute();
  return rows.map((r) => ({ bucket: Number(r.bucket), profiles: Number(r.profiles), clvFen: Number(r.clv_fen) }));
}

/** A prediction row, camel-cased. */
export type PredictionRow = ReturnType<typeof toPrediction>;

const toPrediction = (r: Selectable<InsightClvPredictionsTable>) => ({
  profileId: r.profile_id,
  modelId: r.model_id,
  frequency: Number(r.frequency),
  recencyWeeks: Number(r.recency_weeks),
  ageWeeks: Number(r.age_weeks),
  meanOrderFen: Number(r.mean_order_fen),
  totalFen: Number(r.total_fen),
  lastPurchaseDay: Number(r.last_purchase_day),
  pAlive: Number(r.p_alive),
  expectedPurchases: Number(r.expected_purchases),
  expectedOrderFen: Number(r.expected_order_fen),
  clvFen: Number(r.clv_fen),
});

/** Profiles with P(alive) below `maxPAlive` and CLV at least `minClvFen`, highest CLV first (`limit + 1` rows, after the cursor key). */
export async function atRiskRows(
  db: Db,
  ws: string,
  q: { maxPAlive: number; minClvFen: number; limit: number; after?: (string | number)[] },
): Promise<PredictionRow[]> {
  let query = db
    .selectFrom('insight_clv_predictions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('p_alive', '<', q.maxPAlive)
    .where('clv_fen', '>=', q.minClvFen);
  if (q.after) query = query.where(keysetAfter(['clv_fen', 'profile_id'], 'desc', q.after));
  const rows = await query
    .orderBy('clv_fen', 'desc')
    .orderBy('profile_id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return rows.map(toPrediction);
}

/** One profile's current prediction, if the last fit had it. */
export async function predictionOf(db: Db, ws: string, profileId: string): Promise<PredictionRow | undefined> {
  const row = await db.selectFrom('insight_clv_predictions').selectAll().where('workspace_id', '=', ws).where('profile_id', '=', profileId).executeTakeFirst();
  return row ? toPrediction(row) : undefined;
}
