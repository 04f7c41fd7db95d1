/**
 * The figures of the earning rules: points of an order (points per yuan of the eligible amount,
 * rounding stated, excluded products, tier and campaign multipliers) and whether an interaction
 * event matches its rule. Pure functions of a rule version and an event's properties.
 */
import type { RuleVersion } from './rules.repo.js';

/** An order rule's definition (rules.schemas.ts, orderRuleSchema). */
export interface OrderRule {
  pointsPerYuan: number;
  rounding?: 'floor' | 'round' | 'ceil';
  excludeSkus?: string[];
  excludeCategories?: string[];
  pendingDays?: number;
  tierMultiplier?: boolean;
  campaigns?: { name: string; from: string; to: string; multiplier: number }[];
}

/** An interaction rule's definition (eventRuleSchema). */
export interface EventRule {
  event: string;
  points: number;
  where?: Record<string, string | number | boolean>;
}

type Obj = Record<string, unknown>;

/** A decimal amount in currency units (as the tracking API accepted it) in fen; 0 when unreadable. */
function fen(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.round(n * 100) : 0;
}

/**
 * The amount that earns, in fen: the order's total (else revenue), less its lines whose product
 * (product_id or sku) or category is excluded (price × quantity each), never below zero.
 */
export function eligibleFen(rule: OrderRule, p: Obj): number {
  const total = fen(p.total ?? p.revenue);
  const skus = new Set(rule.excludeSkus ?? []);
  const categories = new Set(rule.excludeCategories ?? []);
  if (!Array.isArray(p.products) || (skus.size === 0 && categories.size === 0)) return total;
  let excluded = 0;
  for (const item of p.products as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const l = item as Obj;
    const hit = skus.has(String(l.product_id ?? '')) || skus.has(String(l.sku ?? '')) || categories.has(String(l.category ?? ''));
    const q = typeof l.quantity === 'number' && l.quantity > 0 ? l.quantity : 1;
    if (hit) excluded += fen(l.price) * q;
  }
  return Math.max(0, total - excluded);
}

/** The product of the multipliers of the campaigns running at `at` (1 when none). */
export function campaignMultiplier(rule: OrderRule, at: number): { multiplier: number; names: string[] } {
  let multiplier = 1;
  const names: string[] = [];
  for (const c of rule.campaigns ?? []) {
    if (at >= Date.parse(c.from) && at < Date.parse(c.to)) {
      multiplier *= c.multiplier;
      names.push(c.name);
    }
  }
  return { multiplier, names };
}

/** Rounds fractional points as the rule says (a hair of tolerance so 0.1 × 3 floors to 0.3's points, not below). */
export function roundPoints(x: number, rounding: OrderRule['rounding'] = 'floor'): number {
  if (rounding === 'ceil') return Math.ceil(x - 1e-9);
  if (rounding === 'round') return Math.round(x);
  return Math.floor(x + 1e-9);
}

/** The points an order earns under a rule: eligible yuan × points per yuan × tier multiplier × campaign multipliers, rounded. */
export function orderPoints(rule: OrderRule, p: Obj, at: number, tierMultiplier: number): { points: number; eligibleFen: number; campaigns: string[] } {
  const amount = eligibleFen(rule, p);
  const c = campaignMultiplier(rule, at);
  const tier = rule.tierMultiplier === false ? 1 : tierMultiplier;
  return { points: roundPoints((amount / 100) * rule.pointsPerYuan * tier * c.multiplier, rule.rounding), eligibleFen: amount, campaigns: c.names };
}

/** True when an event's properties have every value the rule's `where` names. */
export function eventMatches(rule: EventRule, properties: Obj | undefined): boolean {
  return Object.entries(rule.where ?? {}).every(([k, v]) => properties?.[k] === v);
}

/** A rule's definition as its kind's shape. */
export const orderRuleOf = (v: RuleVersion) => v.definition as unknown as OrderRule;
/** A rule's definition as an interaction rule. */
export const eventRuleOf = (v: RuleVersion) => v.definition as unknown as EventRule;
