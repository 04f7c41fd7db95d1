/**
 * The overview's chart options, built from metric answers (GET /v1/insight/metrics/:metric): daily
 * series over every day of the range (a day without rows is a zero, not a gap), and bars per
 * channel, channel code or journey. No React here.
 */
import type { EChartsOption } from 'echarts';
import type { MetricAnswer } from '../../api.ts';
import { objectsOf } from '../../insight.tsx';

/** Every date from `from` to `to` (YYYY-MM-DD, inclusive). */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= end && out.length < 1200; d += 86_400_000) out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

/** A series of a daily chart: which metric's column, its name, bar or line, a scale (fen → yuan, −1 for losses), the right axis. */
export interface DailySeries {
  answer: MetricAnswer;
  column: string;
  name: string;
  type: 'bar' | 'line';
  scale?: number;
  right?: boolean;
  stack?: string;
}

/** A chart over every day of the range. */
export function dailyChart(days: string[], series: DailySeries[]): EChartsOption {
  const twoAxes = series.some((s) => s.right);
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 48, right: twoAxes ? 40 : 12, top: 36, bottom: 24, containLabel: true },
    xAxis: { type: 'category', data: days.map((d) => d.slice(5)) },
    yAxis: twoAxes ? [{ type: 'value' }, { type: 'value', splitLine: { show: false } }] : { type: 'value' },
    series: series.map((s) => {
      const byDay = new Map(objectsOf(s.answer).map((r) => [String(r.day), Number(r[s.column] ?? 0)]));
      return {
        name: s.name,
        type: s.type,
        stack: s.stack,
        yAxisIndex: s.right ? 1 : 0,
        smooth: s.type === 'line',
        data: days.map((d) => Math.round((byDay.get(d) ?? 0) * (s.scale ?? 1) * 100) / 100),
      };
    }),
  };
}

/** Bars per row of a table answer (channels, channel codes, journeys): one series per column, the `top` largest rows by `sortBy`. */
export function barsChart(
  answer: MetricAnswer,
  opts: {
    label: (r: Record<string, string | number | null>) => string;
    columns: { column: string; name: string }[];
    sortBy: string;
    top?: number;
    horizontal?: boolean;
  },
): EChartsOption {
  const rows = objectsOf(answer)
    .sort((a, b) => Number(b[opts.sortBy] ?? 0) - Number(a[opts.sortBy] ?? 0))
    .slice(0, opts.top ?? 10);
  const category = { type: 'category' as const, data: rows.map(opts.label), axisLabel: { interval: 0, overflow: 'truncate' as const, width: 96 } };
  const value = { type: 'value' as const };
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 12, right: 12, top: 36, bottom: 8, containLabel: true },
    xAxis: opts.horizontal ? value : category,
    yAxis: opts.horizontal ? { ...category, inverse: true } : value,
    series: opts.columns.map((c) => ({ name: c.name, type: 'bar', data: rows.map((r) => Number(r[c.column] ?? 0)) })),
  };
}
