/** What the CLV API answers: the current model with its CLV distribution, the at-risk list, one profile's predictions. */
import { decodeCursor, type Page, pageOf } from '../../platform/paging.js';
import { dayString } from '../../platform/time.js';
import type { InsightDeps } from '../deps.js';
import { InsightError } from '../errors.js';
import { atRiskRows, clvBuckets, currentModel, type PredictionRow, predictionOf, type StoredModel } from './clv.repo.js';

/** Lower edges of the distribution's bars, in fen (¥0, ¥10, ¥50, ... ¥10,000 and more). */
export const BUCKET_EDGES_FEN: readonly number[] = [0, 1_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];

/** The P(alive) below which the overview counts a profile at risk (the at-risk list's default too). */
export const AT_RISK_P_ALIVE = 0.3;

/** A model as the API shows it. */
export function modelView(m: StoredModel) {
  return {
    id: m.id,
    fittedAt: new Date(m.fittedAt).toISOString(),
    calibrationEnd: dayString(m.calibrationEndDay),
    currency: m.currency,
    customers: m.customers,
    repeatCustomers: m.repeatCustomers,
    orders: m.orders,
    bgNbd: m.bgNbd,
    gammaGamma: m.gammaGamma,
    options: m.options,
    durationMs: m.durationMs,
  };
}

/** A prediction as the API shows it. */
export function predictionView(p: PredictionRow) {
  return {
    profileId: p.profileId,
    pAlive: p.pAlive,
    expectedPurchases: p.expectedPurchases,
    expectedOrderFen: p.expectedOrderFen,
    clvFen: p.clvFen,
    frequency: p.frequency,
    recencyWeeks: p.recencyWeeks,
    ageWeeks: p.ageWeeks,
    totalFen: p.totalFen,
    lastPurchaseDate: dayString(p.lastPurchaseDay),
  };
}

async function requireModel(deps: InsightDeps, ws: string): Promise<StoredModel> {
  const m = await currentModel(deps.database.db, ws);
  if (!m) throw new InsightError('CLV_NOT_FITTED', 'this workspace has no CLV model yet: fit one with POST /v1/insight/clv/fit (the scheduled fit runs daily)');
  return m;
}

/** The current model, the CLV distribution in {@link BUCKET_EDGES_FEN} bars (empty bars included) and totals. */
export async function clvOverview(deps: InsightDeps, ws: string) {
  const model = await requireModel(deps, ws);
  const db = deps.database.db;
  const counted = new Map((await clvBuckets(db, ws, BUCKET_EDGES_FEN)).map((b) => [b.bucket, b]));
  const bars = BUCKET_EDGES_FEN.map((from, i) => ({
    fromFen: from,
    toFen: BUCKET_EDGES_FEN[i + 1] ?? null,
    profiles: counted.get(i)?.profiles ?? 0,
    clvFen: counted.get(i)?.clvFen ?? 0,
  }));
  const atRisk = await db
    .selectFrom('insight_clv_predictions')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.coalesce(eb.fn.sum<number>('clv_fen'), eb.val(0)).as('v')])
    .where('workspace_id', '=', ws)
    .where('p_alive', '<', AT_RISK_P_ALIVE)
    .executeTakeFirstOrThrow();
  return {
    model: modelView(model),
    distribution: { bars },
    totals: {
      profiles: bars.reduce((n, b) => n + b.profiles, 0),
      clvFen: bars.reduce((n, b) => n + b.clvFen, 0),
      atRiskProfiles: Number(atRisk.n),
      atRiskClvFen: Number(atRisk.v),
    },
  };
}

/** The at-risk high-value list: P(alive) below `maxPAlive`, CLV at least `minClvFen`, highest CLV first. */
export async function clvAtRisk(
  deps: InsightDeps,
  ws: string,
  q: { maxPAlive: number; minClvFen: number; limit: number; cursor?: string },
): Promise<Page<ReturnType<typeof predictionView>>> {
  await requireModel(deps, ws);
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, ['n', 's']);
  const rows = await atRiskRows(deps.database.db, ws, { ...q, ...(after ? { after } : {}) });
  return pageOf(rows, q.limit, predictionView, (r) => [r.clvFen, r.profileId]);
}

/** One profile's predictions under the current model (nulls when there is no model, or the profile had no purchase in it). */
export async function profileClv(deps: InsightDeps, ws: string, ref: string) {
  const profileId = await deps.resolveProfile(ws, ref);
  const model = await currentModel(deps.database.db, ws);
  const p = model ? await predictionOf(deps.database.db, ws, profileId) : undefined;
  return {
    profileId,
    model: model ? { id: model.id, fittedAt: new Date(model.fittedAt).toISOString() } : null,
    options: model ? model.options : null,
    prediction: p ? predictionView(p) : null,
  };
}
