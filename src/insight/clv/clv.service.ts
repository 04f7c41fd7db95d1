/**
 * The CLV feature's rules: fit BG/NBD and Gamma-Gamma on a workspace's order history, store the
 * model and the per-profile predictions, mirror them into profile traits; and the reads the API
 * answers (the current model with its CLV distribution, the at-risk list, one profile).
 */
import { takeLease } from '../../platform/db/job-state.js';
import { newId } from '../../platform/ids.js';
import { nextTurn } from '../../platform/loop.js';
import { localDay } from '../../platform/time.js';
import { getWorkspace } from '../../platform/workspaces.js';
import type { InsightDeps } from '../deps.js';
import { InsightError } from '../errors.js';
import { fitBgNbd } from './bgnbd.js';
import { type ClvOptions, DEFAULT_CLV_OPTIONS, predictCustomer } from './clv.js';
import { readOrders, type StoredModel, storeFit } from './clv.repo.js';
import { clvTraitNames, recomputeClvSegments, type TraitWrite, writeClvTraits } from './clv.traits.js';
import { fitGammaGamma, type GammaGammaParams } from './gamma-gamma.js';
import { type CustomerSummary, summarise } from './rfm.js';

/** The least history a fit accepts: below it the likelihood is too flat to say anything. */
export const MIN_CUSTOMERS = 10;
/** Customers with a repeat purchase needed (BG/NBD's dropout and Gamma-Gamma's spend are learnt from them). */
export const MIN_REPEAT_CUSTOMERS = 3;

/** The job-state lease of a workspace's fit: one fit at a time per workspace across processes. */
const FIT_LEASE = 'insight.clv-fit';
const FIT_LEASE_MS = 30 * 60_000;

/** What a fit did. */
export interface FitReport {
  model: StoredModel;
  traitsWritten: number;
}

/**
 * A local-day function that asks Intl once per quarter hour of time rather than once per order:
 * every zone's offset is a multiple of 15 minutes, so local midnight falls on a quarter-hour
 * boundary and the whole quarter hour has one local day.
 */
function localDays(tz: string): (t: number) => number {
  const QUARTER = 900_000;
  const days = new Map<number, number>();
  return (t) => {
    const q = Math.floor(t / QUARTER);
    let day = days.get(q);
    if (day === undefined) days.set(q, (day = localDay(q * QUARTER, tz)));
    return day;
  };
}

/**
 * Fits the workspace's CLV models on its orders up to today (local day, in its time zone), stores
 * the model and every buyer's predictions, and writes the traits. CLV_FIT_RUNNING while another
 * fit of the workspace runs; CLV_NOT_ENOUGH_DATA below {@link MIN_CUSTOMERS} buyers or
 * {@link MIN_REPEAT_CUSTOMERS} repeat buyers.
 */
export async function fitWorkspaceClv(deps: InsightDeps, ws: string, input: Partial<ClvOptions> = {}): Promise<FitReport> {
  const options: ClvOptions = { ...DEFAULT_CLV_OPTIONS, ...input };
  const db = deps.database.db;
  // Leases run on wall time (a stale lease is one not renewed for real minutes), not the injected clock.
  const lease = await takeLease(db, ws, FIT_LEASE, FIT_LEASE_MS, Date.now);
  if (!lease) throw new InsightError('CLV_FIT_RUNNING', "a fit of this workspace's CLV models is running; its result will be the current model when it ends");
  try {
    const started = Date.now();
    const now = deps.now();
    const tz = await deps.timeZoneOf(ws);
    const currency = (await getWorkspace(db, ws))?.settings.currency ?? 'CNY'; // cdp's default currency
    const orders = await readOrders(db, ws, currency);
    const dayOf = localDays(tz);
    const endDay = dayOf(now);
    const customers = summarise(
      orders.map((o) => ({ customer: o.profileId, day: dayOf(o.orderedAt), value: o.netFen })),
      endDay,
    );
    const repeat = customers.filter((c) => c.x > 0 && c.mean > 0);
    if (customers.length < MIN_CUSTOMERS || repeat.length < MIN_REPEAT_CUSTOMERS)
      throw new InsightError(
        'CLV_NOT_ENOUGH_DATA',
        `the CLV models need at least ${MIN_CUSTOMERS} buyers and ${MIN_REPEAT_CUSTOMERS} repeat buyers in ${currency}; this workspace has ${customers.length} and ${repeat.length}`,
        { customers: customers.length, repeatCustomers: repeat.length, minCustomers: MIN_CUSTOMERS, minRepeatCustomers: MIN_REPEAT_CUSTOMERS, currency },
      );
    const bg = fitBgNbd(customers);
    await nextTurn(); // each fit holds the thread (seconds at 100,000 buyers): requests get in between
    const gg = fitGammaGamma(repeat);
    await nextTurn();
    const model: StoredModel = {
      id: newId('clv', now),
      fittedAt: now,
      calibrationEndDay: endDay,
      currency,
      customers: customers.length,
      repeatCustomers: repeat.length,
      orders: customers.reduce((n, c) => n + c.transactions, 0),
      bgNbd: { ...bg.params, logLikelihood: bg.logLikelihood },
      gammaGamma: { ...gg.params, logLikelihood: gg.logLikelihood },
      options,
      durationMs: 0,
    };
    const rows = await predictionRows(model, customers, repeat);
    model.durationMs = Date.now() - started;
    const before = await db.selectFrom('insight_clv_predictions').select('profile_id').where('workspace_id', '=', ws).execute();
    await storeFit(db, deps.database.dialect, ws, model, rows);
    await lease.renew();
    const traitsWritten = await writeClvTraits(
      deps.database,
      ws,
      traitWrites(
        options,
        rows,
        before.map((r) => r.profile_id),
      ),
      now,
    );
    if ((await recomputeClvSegments(db, ws, now)).length) deps.hub.emit('segments.recompute-requested', { workspaceId: ws });
    deps.log.info({ workspaceId: ws, customers: model.customers, durationMs: model.durationMs, traitsWritten }, 'CLV models fitted');
    return { model, traitsWritten };
  } finally {
    await lease.release();
  }
}

/**
 * Gamma-Gamma's population mean pγ/(q−1) exists only for q > 1; a fit with q ≤ 1 (a few very
 * uneven spenders) falls back to the plain mean of the repeat buyers' mean spend for the prior.
 */
function spendModel(gg: GammaGammaParams, repeat: readonly CustomerSummary[]): GammaGammaParams {
  if (gg.q > 1) return gg;
  const mean = repeat.reduce((s, c) => s + c.mean, 0) / repeat.length;
  // q = 2, γ = mean/p keeps p and gives pγ/(q−1) = mean.
  return { p: gg.p, q: 2, gamma: mean / gg.p };
}

function predictionRow(model: StoredModel, gg: GammaGammaParams, c: CustomerSummary) {
  const p = predictCustomer(model.bgNbd, gg, c, model.options);
  return {
    profile_id: c.customer,
    frequency: c.x,
    recency_weeks: c.tx,
    age_weeks: c.T,
    mean_order_fen: c.mean,
    total_fen: c.total,
    last_purchase_day: c.lastDay,
    p_alive: p.pAlive,
    expected_purchases: p.expectedPurchases,
    expected_order_fen: p.expectedOrderValue,
    clv_fen: Math.round(p.clv),
  };
}

/** Every buyer's prediction row; yields the event loop between slices (13 ₂F₁ per buyer: ~2.4 s per 100,000). */
async function predictionRows(model: StoredModel, customers: readonly CustomerSummary[], repeat: readonly CustomerSummary[]) {
  const gg = spendModel(model.gammaGamma, repeat);
  const rows: ReturnType<typeof predictionRow>[] = [];
  for (let i = 0; i < customers.length; i += 2_000) {
    for (const c of customers.slice(i, i + 2_000)) rows.push(predictionRow(model, gg, c));
    await nextTurn();
  }
  return rows;
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

function traitWrites(o: ClvOptions, rows: ReturnType<typeof predictionRow>[], before: string[]): TraitWrite[] {
  const names = clvTraitNames(o.purchaseDays);
  const writes: TraitWrite[] = rows.map((r) => ({
    profileId: r.profile_id,
    set: { [names.pAlive]: round4(r.p_alive), [names.expectedPurchases]: round4(r.expected_purchases), [names.valueFen]: r.clv_fen },
  }));
  const now = new Set(rows.map((r) => r.profile_id));
  for (const id of before) if (!now.has(id)) writes.push({ profileId: id, unset: [names.pAlive, names.expectedPurchases, names.valueFen] });
  return writes;
}
