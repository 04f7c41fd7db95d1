/** The one shape of every metric's answer: named columns and rows (what the console charts and CSV exports). */

/** A cell: a number (counts, fen, rates as fractions), a string (dates, codes, names) or null (no value). */
export type Cell = string | number | null;

/** A metric's answer: its rows under named columns, and totals over the whole range where they differ from a sum. */
export interface MetricTable {
  columns: string[];
  rows: Cell[][];
  totals?: Record<string, Cell>;
  /** Parameters the numbers depend on beyond the scope (an attribution window, a grouping). */
  params?: Record<string, Cell>;
}

/** Rows of objects as a table over `columns` (missing keys become null). */
export function tableOf(columns: string[], rows: Record<string, unknown>[], totals?: Record<string, Cell>, params?: Record<string, Cell>): MetricTable {
  const cell = (v: unknown): Cell => (v === null || v === undefined ? null : typeof v === 'number' || typeof v === 'string' ? v : String(v));
  return {
    columns,
    rows: rows.map((r) => columns.map((c) => cell(r[c]))),
    ...(totals ? { totals } : {}),
    ...(params ? { params } : {}),
  };
}

/** CSV text (RFC 4180, CRLF) of a table; a cell starting with = + - @ is prefixed with ' so spreadsheets do not run it. */
export function toCsv(t: { columns: string[]; rows: Cell[][] }): string {
  const esc = (v: Cell): string => {
    if (v === null) return '';
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns, ...t.rows].map((r) => r.map(esc).join(',')).join('\r\n') + '\r\n';
}
