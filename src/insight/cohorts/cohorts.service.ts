/** Retention cohorts as a triangle table: cohort label, size, retained count and rate per period offset. */
import { localDay } from '../../platform/time.js';
import { type MetricsContext, scopeOf, scopeView } from '../metrics/metrics.service.js';
import { monthStarts, weekStartOfNumber } from '../metrics/buckets.js';
import { rate, type Scope, type ScopeInput } from '../metrics/scope.js';
import { type MetricTable, tableOf } from '../metrics/table.js';
import { type CohortQuery, type CohortRow, runCohorts } from './cohorts.repo.js';

/** The triangle: row i has the periods from its cohort's to the range's last (later cells are absent, not zero). */
export function cohortTable(s: Scope, q: CohortQuery, rows: CohortRow[]): MetricTable {
  const months = monthStarts(s.from, s.to - 1, s.timeZone);
  const lastBucket = q.period === 'month' ? months.length - 1 : Math.floor((localDay(s.to - 1, s.timeZone) + 3) / 7);
  const label = (b: number) => (q.period === 'month' ? months[b]!.label : weekStartOfNumber(b));
  const firstBucket = rows[0]?.bucket ?? lastBucket;
  const width = lastBucket - firstBucket + 1;
  const columns = ['cohort', 'size', ...Array.from({ length: width }, (_, k) => `p${k}`), ...Array.from({ length: width }, (_, k) => `r${k}`)];
  const out = rows.map((r) => {
    const o: Record<string, unknown> = { cohort: label(r.bucket), size: r.size };
    for (let k = 0; k <= lastBucket - r.bucket; k++) {
      o[`p${k}`] = r.retained[k] ?? 0;
      o[`r${k}`] = rate(r.retained[k] ?? 0, r.size);
    }
    return o;
  });
  return tableOf(columns, out, undefined, { by: q.by, period: q.period, retained_by: q.retainedBy });
}

/** Runs a cohort query through the cache. */
export async function cohorts(ctx: MetricsContext, workspaceId: string, input: ScopeInput & CohortQuery) {
  const { by, period, retainedBy, ...scopeInput } = input;
  const s = await scopeOf(ctx, workspaceId, scopeInput);
  const q: CohortQuery = { by, period, retainedBy };
  const r = await ctx.cache.get(ctx.database, workspaceId, { kind: 'cohorts', ...scopeView(s), ...q }, async () =>
    cohortTable(s, q, await runCohorts(ctx.database, s, q)),
  );
  return { scope: scopeView(s), ...r.value, cached: r.cached, computedAt: r.computedAt };
}
