/** Display helpers: times, money (integer fen/cents in the API), shares. */
import type { Locale } from './i18n.ts';

/** An ISO time in the browser's time zone, or a dash. */
export function formatTime(iso: string | null | undefined, locale: Locale): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(locale, { hour12: false });
}

/** An amount in fen (cents) in the workspace currency (CNY unless set). */
export function formatMoney(fen: number, currency: string, locale: Locale): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(fen / 100);
  } catch {
    return `${(fen / 100).toFixed(2)} ${currency}`;
  }
}

/** A share 0..1 as a percentage with one decimal. */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** A whole number with grouping. */
export function formatCount(n: number, locale: Locale): string {
  return n.toLocaleString(locale);
}

/**
 * Today's date (YYYY-MM-DD) in the workspace's time zone: the server counts its days there, so a
 * browser in another zone (or past midnight in Shanghai while UTC is still on the day before)
 * asks for the same days the server has.
 */
export function todayIn(timeZone: string, now = new Date()): string {
  try {
    // en-CA formats as YYYY-MM-DD.
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return now.toISOString().slice(0, 10); // a zone this browser does not know
  }
}

/** The last `days` days up to today, in the workspace's time zone. */
export function lastDaysIn(days: number, timeZone: string, now = new Date()): { from: string; to: string } {
  const to = todayIn(timeZone, now);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}
