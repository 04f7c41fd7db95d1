/** Funnels: the query checked, run (through the metrics cache), and shaped as a table of (group, step) rows. */
import { InsightError } from '../errors.js';
import { type MetricsContext, scopeOf, scopeView } from '../metrics/metrics.service.js';
import type { ScopeInput } from '../metrics/scope.js';
import { rate } from '../metrics/scope.js';
import { type MetricTable, tableOf } from '../metrics/table.js';
import { type FunnelCell, type FunnelQuery, runFunnel } from './funnels.repo.js';

/** The most breakdown groups an answer lists (by profiles at step 1); the rest are left out, and `params.groups_left_out` says how many. */
export const MAX_GROUPS = 20;

/** A funnel's answer. */
export interface FunnelAnswer extends MetricTable {
  scope: ReturnType<typeof scopeView>;
  windowDays: number;
  cached: boolean;
  computedAt: number;
}

/** Rows of (group, step): profiles, conversion from the previous and the first step, median time from the previous. */
export function funnelTable(q: FunnelQuery, cells: FunnelCell[]): MetricTable {
  const groups = new Map<string, FunnelCell[]>();
  for (const c of cells) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const first = (g: string) => groups.get(g)!.find((c) => c.step === 1)?.profiles ?? 0;
  const keys = [...groups.keys()].filter((g) => g !== '*').sort((a, b) => first(b) - first(a) || a.localeCompare(b));
  const shown = ['*', ...keys.slice(0, MAX_GROUPS)];
  const rows: Record<string, unknown>[] = [];
  for (const g of shown) {
    // A group none of whose profiles reached a step has no row for it: it reached it 0 times.
    const list = q.steps.map((_, i) => groups.get(g)!.find((c) => c.step === i + 1) ?? { group: g, step: i + 1, profiles: 0, medianMs: null });
    list.forEach((c, i) => {
      rows.push({
        group: g,
        step: c.step,
        event: q.steps[c.step - 1]!.event,
        profiles: c.profiles,
        conversion_from_previous: i === 0 ? null : rate(c.profiles, list[i - 1]!.profiles),
        conversion_from_first: i === 0 ? null : rate(c.profiles, list[0]!.profiles),
        median_ms_from_previous: c.medianMs,
      });
    });
  }
  const columns = ['group', 'step', 'event', 'profiles', 'conversion_from_previous', 'conversion_from_first', 'median_ms_from_previous'];
  return tableOf(columns, rows, undefined, { breakdown: q.breakdown?.kind ?? null, groups_left_out: Math.max(0, keys.length - MAX_GROUPS) });
}

/** Runs a funnel over a scope; segments named by a breakdown must exist. */
export async function funnel(ctx: MetricsContext, workspaceId: string, input: ScopeInput & FunnelQuery): Promise<FunnelAnswer> {
  const { steps, windowDays, breakdown, ...scopeInput } = input;
  const s = await scopeOf(ctx, workspaceId, scopeInput);
  if (breakdown?.kind === 'segment') {
    const found = await ctx.database.db
      .selectFrom('segments')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', breakdown.segments)
      .execute();
    const missing = breakdown.segments.filter((id) => !found.some((f) => f.id === id));
    if (missing.length)
      throw new InsightError('INSIGHT_QUERY_INVALID', `breakdown.segments: no segment ${missing.join(', ')} in this workspace`, {
        field: 'breakdown.segments',
      });
  }
  const q: FunnelQuery = { steps, windowDays, ...(breakdown ? { breakdown } : {}) };
  const r = await ctx.cache.get(ctx.database, workspaceId, { kind: 'funnel', ...scopeView(s), ...q }, async () =>
    funnelTable(q, await runFunnel(ctx.database, s, q)),
  );
  return { scope: scopeView(s), windowDays, ...r.value, cached: r.cached, computedAt: r.computedAt };
}
