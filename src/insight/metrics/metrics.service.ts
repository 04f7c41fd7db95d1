/**
 * The metric catalogue: one small handler per metric (each a statement or two in the repos), the
 * scope every one of them takes, and the cache in front of them.
 */
import type { Database } from '../../platform/db/database.js';
import { decodeCursor, encodeCursor, type Page } from '../../platform/paging.js';
import { revenueByChannel, revenueByJourney } from './attribution.repo.js';
import type { MetricCache } from './cache.js';
import { contactsByChannel, contactsByDay, groupsByDay, newProfiles } from './growth.repo.js';
import { journeyConversions } from './journeys.repo.js';
import { type MessageDimension, messagesBy } from './messages.repo.js';
import { resolveScope, type Scope, type ScopeInput } from './scope.js';
import type { MetricTable } from './table.js';
import { ltvByCohort, ltvByProfile, repurchase, salesByDay } from './value.repo.js';

/** What a metric handler is given beyond the scope. */
export interface MetricParams {
  /** Last-touch window of revenue-by-journey, in days (default 7). */
  attributionDays: number;
  /** Grouping of the message metric. */
  by: MessageDimension;
}

type Handler = (database: Database, s: Scope, p: MetricParams) => Promise<MetricTable>;

/** Every metric by name (docs/insight-metrics.md defines each). */
export const METRICS: Readonly<Record<string, Handler>> = {
  sales: salesByDay,
  repurchase,
  'ltv-cohorts': ltvByCohort,
  'revenue-by-channel': revenueByChannel,
  'revenue-by-journey': (db, s, p) => revenueByJourney(db, s, p.attributionDays),
  'new-profiles': newProfiles,
  contacts: contactsByDay,
  'contacts-by-channel': contactsByChannel,
  groups: groupsByDay,
  messages: (db, s, p) => messagesBy(db, s, p.by),
  'journey-conversions': journeyConversions,
};

/** The metric names, for the API's enum. */
export const METRIC_NAMES = Object.keys(METRICS);

/** What the metric routes and the service need. */
export interface MetricsContext {
  database: Database;
  now: () => number;
  timeZoneOf: (workspaceId: string) => Promise<string>;
  cache: MetricCache;
}

/** A metric's answer with its scope and cache facts. */
export interface MetricAnswer extends MetricTable {
  metric: string;
  scope: { from: string; to: string; timeZone: string; segment: string | null };
  cached: boolean;
  computedAt: number;
}

/** Resolves the scope of a query in the workspace's time zone. */
export async function scopeOf(ctx: MetricsContext, workspaceId: string, input: ScopeInput): Promise<Scope> {
  return resolveScope(ctx.database, workspaceId, await ctx.timeZoneOf(workspaceId), ctx.now(), input);
}

/** The public form of a scope. */
export function scopeView(s: Scope): MetricAnswer['scope'] {
  return { from: s.fromDate, to: s.toDate, timeZone: s.timeZone, segment: s.segmentId };
}

/** Computes (or serves from the cache) one metric. */
export async function runMetric(ctx: MetricsContext, workspaceId: string, metric: string, input: ScopeInput & Partial<MetricParams>): Promise<MetricAnswer> {
  const handler = METRICS[metric]!;
  const s = await scopeOf(ctx, workspaceId, input);
  const params: MetricParams = { attributionDays: input.attributionDays ?? 7, by: input.by ?? 'channel' };
  const query = {
    metric,
    ...scopeView(s),
    ...(metric === 'revenue-by-journey' ? { attributionDays: params.attributionDays } : {}),
    ...(metric === 'messages' ? { by: params.by } : {}),
  };
  const r = await ctx.cache.get(ctx.database, workspaceId, query, () => handler(ctx.database, s, params));
  return { metric, scope: scopeView(s), ...r.value, cached: r.cached, computedAt: r.computedAt };
}

/** A page of historical LTV per profile, highest first. */
export async function ltvProfilesPage(
  ctx: MetricsContext,
  workspaceId: string,
  input: ScopeInput & { limit: number; cursor?: string },
): Promise<Page<Record<string, unknown>>> {
  const s = await scopeOf(ctx, workspaceId, input);
  const after = input.cursor ? (decodeCursor(input.cursor, ['n', 's']) as [number, string]) : null;
  const rows = await ltvByProfile(ctx.database, s, { limit: input.limit, after });
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    data: page.map((r) => ({
      profileId: r.profile_id,
      orders: r.orders,
      netFen: r.net_fen,
      firstPurchaseAt: r.first_purchase_at,
      lastPurchaseAt: r.last_purchase_at,
    })),
    nextCursor: rows.length > input.limit && last ? encodeCursor([last.net_fen as number, last.profile_id as string]) : null,
  };
}
