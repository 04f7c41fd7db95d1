/** Formatting for benchmark output: aligned tables, numbers, and PASS/MISS lines. */

/** A number with thousands separators and at most `digits` decimals: 127,345 or 0.31. */
export function num(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Megabytes from kilobytes (as /proc reports them), one decimal. */
export function mb(kb: number): string {
  return `${num(kb / 1024, 1)} MB`;
}

/** Seconds from milliseconds, two decimals. */
export function secs(ms: number): string {
  return `${num(ms / 1000, 2)} s`;
}

/** Prints a section heading. */
export function heading(title: string): void {
  process.stdout.write(`\n${title}\n${'-'.repeat(title.length)}\n`);
}

/** Prints rows as an aligned table; the first row is the header. `align` per column: 'l' or 'r' (default: first left, rest right). */
export function table(rows: string[][], align: ('l' | 'r')[] = []): void {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const side = (i: number) => align[i] ?? (i === 0 ? 'l' : 'r');
  const line = (r: string[]) =>
    r
      .map((c, i) => (side(i) === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  process.stdout.write(line(rows[0]!) + '\n');
  process.stdout.write(widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  for (const r of rows.slice(1)) process.stdout.write(line(r) + '\n');
}

/** One target: what is required, what was measured, and whether it was met. */
export interface TargetResult {
  target: string;
  measured: string;
  /** undefined: not applicable to this run (the figure is for information). */
  pass: boolean | undefined;
}

/** Prints the targets as a table with PASS/MISS; never exits non-zero (the numbers are the point). */
export function targets(results: TargetResult[]): void {
  table(
    [['target', 'measured', 'result'], ...results.map((r) => [r.target, r.measured, r.pass === undefined ? 'n/a' : r.pass ? 'PASS' : 'MISS'])],
    ['l', 'r', 'l'],
  );
}

/**
 * Progress on stderr: one line redrawn in place on a terminal, otherwise a plain line every 30 s
 * (so a long run writing to a file still shows it is alive).
 */
export function progress(label: string): { update(text: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  const every = tty ? 250 : 30_000;
  let last = Date.now();
  return {
    update(text) {
      const now = Date.now();
      if (now - last < every) return;
      last = now;
      process.stderr.write(tty ? `\r\x1b[K${label}: ${text}` : `${label}: ${text}\n`);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

/** Percentile (0..1) of a list of durations, by sorting a copy. */
export function percentile(values: Float64Array | number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
