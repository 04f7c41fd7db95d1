/**
 * Data preparation for the BG/NBD and Gamma-Gamma models: purchases on one (local) day are merged
 * into one transaction (their values summed), the first transaction starts the customer's clock
 * and is not a repeat, and times are in weeks from the first purchase.
 */
import type { Rfm } from './bgnbd.js';

/** A purchase: whose, on which local day (days since the epoch in the workspace's time zone), and its value. */
export interface Purchase {
  customer: string;
  day: number;
  value: number;
}

/** A customer's calibration summary: the BG/NBD triple, the Gamma-Gamma mean of repeat values, and totals. */
export interface CustomerSummary extends Rfm {
  customer: string;
  /** Mean value of the repeat transactions (0 without any). */
  mean: number;
  /** Transactions in the period, the first included. */
  transactions: number;
  /** Sum of every transaction's value in the period. */
  total: number;
  firstDay: number;
  lastDay: number;
}

const DAYS_PER_WEEK = 7;

/**
 * Summarises purchases up to and including `endDay` (later ones are ignored): x = transaction
 * days − 1, t_x = (last day − first day) / 7, T = (endDay − first day) / 7, mean = the mean value
 * of the transactions after the first (Gamma-Gamma's z̄). Sorted by customer.
 */
export function summarise(purchases: Iterable<Purchase>, endDay: number): CustomerSummary[] {
  const days = new Map<string, Map<number, number>>();
  for (const p of purchases) {
    if (p.day > endDay) continue;
    let byDay = days.get(p.customer);
    if (!byDay) days.set(p.customer, (byDay = new Map()));
    byDay.set(p.day, (byDay.get(p.day) ?? 0) + p.value);
  }
  const out: CustomerSummary[] = [];
  for (const [customer, byDay] of days) {
    const sorted = [...byDay.keys()].sort((a, b) => a - b);
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    let total = 0;
    for (const v of byDay.values()) total += v;
    const repeatTotal = total - byDay.get(first)!;
    const x = sorted.length - 1;
    out.push({
      customer,
      x,
      tx: (last - first) / DAYS_PER_WEEK,
      T: (endDay - first) / DAYS_PER_WEEK,
      mean: x > 0 ? repeatTotal / x : 0,
      transactions: sorted.length,
      total,
      firstDay: first,
      lastDay: last,
    });
  }
  return out.sort((a, b) => (a.customer < b.customer ? -1 : a.customer > b.customer ? 1 : 0));
}
