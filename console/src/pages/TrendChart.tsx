/** A plain SVG line chart of a score over periods (no chart library: one series, a few dozen points). */

/** One point: a period label and a value (null: no answers then). */
export interface TrendPoint {
  period: string;
  value: number | null;
}

/** The chart; `min`/`max` fix the axis (NPS −100..100, CSAT 0..100). */
export function TrendChart({
  points,
  min,
  max,
  color = '#1677ff',
  testId,
}: {
  points: TrendPoint[];
  min: number;
  max: number;
  color?: string;
  testId?: string;
}) {
  const w = 640;
  const h = 200;
  const pad = { l: 40, r: 12, t: 12, b: 28 };
  const x = (i: number) => pad.l + (points.length <= 1 ? (w - pad.l - pad.r) / 2 : (i * (w - pad.l - pad.r)) / (points.length - 1));
  const y = (v: number) => pad.t + ((max - v) * (h - pad.t - pad.b)) / (max - min);
  const drawn = points.map((p, i) => ({ ...p, i })).filter((p): p is TrendPoint & { value: number; i: number } => p.value !== null);
  const path = drawn.map((p, k) => `${k ? 'L' : 'M'}${x(p.i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const ticks = [min, (min + max) / 2, max];
  const every = Math.max(1, Math.ceil(points.length / 8));
  return (
    <svg viewBox={`0 0 ${w} ${h}`} width="100%" style={{ maxWidth: w }} role="img" data-testid={testId}>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={pad.l} x2={w - pad.r} y1={y(v)} y2={y(v)} stroke="#eee" />
          <text x={pad.l - 6} y={y(v) + 4} fontSize="11" textAnchor="end" fill="#888">
            {v}
          </text>
        </g>
      ))}
      {points.map((p, i) =>
        i % every === 0 ? (
          <text key={p.period} x={x(i)} y={h - 8} fontSize="11" textAnchor="middle" fill="#888">
            {p.period}
          </text>
        ) : null,
      )}
      <path d={path} fill="none" stroke={color} strokeWidth="2" />
      {drawn.map((p) => (
        <circle key={p.period} cx={x(p.i)} cy={y(p.value)} r="3.5" fill={color} data-value={p.value}>
          <title>{`${p.period}: ${p.value}`}</title>
        </circle>
      ))}
    </svg>
  );
}
