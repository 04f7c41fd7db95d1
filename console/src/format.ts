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
