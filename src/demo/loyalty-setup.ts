/**
 * The demo brand's membership: a tier program by points earned in 12 months (银卡, 金卡, and a
 * paid 黑金 tier), the order earning rule (¥1 = 1 point from now on), the opening balances its
 * best customers brought from the brand's old member system (what a brand moving to Siyu does:
 * one posting each, through the ledger), their tiers computed by the tier pass, and a member-day
 * coupon template. All through loyalty's published functions.
 */
import {
  createRule,
  createTemplate,
  type LoyaltyDeps,
  listMembers,
  postWithRetries,
  runTiers,
  saveTierProgram,
  syncLoyaltyTraits,
  type TierProgram,
} from '../loyalty/index.js';
import type { DemoData } from './generate.js';

/** How many of the best customers carry an opening balance over (one ledger posting each). */
export const OPENING_BALANCES = 300;

/** What the demo's membership holds. */
export interface DemoLoyaltySummary {
  /** Members with an opening balance. */
  members: number;
  points: number;
  /** Members upgraded by their opening balance (银卡 or 金卡). */
  upgraded: number;
  ruleId: string;
  couponTemplateId: string;
}

const DAY = 86_400_000;

export const DEMO_TIERS: TierProgram = {
  basis: 'points',
  window: { kind: 'rolling', months: 12 },
  evaluation: { every: 'quarter' },
  graceDays: 30,
  tiers: [
    { key: 'silver', name: '银卡会员', threshold: 800, benefits: { discountPercent: 2, pointsMultiplier: 1.2, birthdayGift: '生日饮品券' } },
    {
      key: 'gold',
      name: '金卡会员',
      threshold: 2000,
      benefits: { discountPercent: 5, pointsMultiplier: 1.5, freeShipping: true, birthdayGift: '生日蛋糕', memberDayPrice: true, priorityService: true },
    },
    {
      key: 'black',
      name: '黑金会员（付费）',
      threshold: 0,
      paidOnly: true,
      price: { amountFen: 19_900, periodDays: 365 },
      benefits: { discountPercent: 10, pointsMultiplier: 2, freeShipping: true, memberDayPrice: true, priorityService: true, earlyAccess: true },
    },
  ],
};

/** The customers with the most net spend (yuan, refunds taken off), best first: whom the old system's balances belong to. */
export function openingBalances(data: DemoData, max = OPENING_BALANCES): Array<{ ref: string; points: number }> {
  const spend = new Map<string, number>();
  for (const o of data.orders) {
    // Keyed by member id or app user id (phone keys are left out: the import normalises them).
    const key = Object.entries(o).find(([k]) => k === 'member_id' || k === 'user_id');
    if (!key) continue;
    const ref = `${key[0]}:${String(key[1])}`;
    const net = o.total - (typeof o.refunded === 'number' ? o.refunded : 0);
    spend.set(ref, (spend.get(ref) ?? 0) + net);
  }
  return [...spend]
    .map(([ref, yuan]) => ({ ref, points: Math.floor(yuan) }))
    .filter((b) => b.points > 0)
    .sort((a, b) => b.points - a.points || (a.ref < b.ref ? -1 : 1))
    .slice(0, max);
}

/** Sets the demo brand's membership up (see the file comment). */
export async function setupLoyalty(
  deps: LoyaltyDeps,
  ws: string,
  data: DemoData,
  progress: (phase: string, done: number, total: number) => void,
): Promise<DemoLoyaltySummary> {
  const now = deps.now();
  const db = deps.database.db;
  await saveTierProgram(db, ws, DEMO_TIERS, now);
  const rule = await createRule(db, ws, { name: '消费积分：每 ¥1 得 1 分', kind: 'order', definition: { pointsPerYuan: 1 } }, now);
  const balances = openingBalances(data);
  let points = 0;
  for (const [i, b] of balances.entries()) {
    const profileId = await deps.resolveProfile(ws, b.ref);
    await postWithRetries(
      deps.database,
      {
        workspaceId: ws,
        profileId,
        kind: 'earn',
        points: b.points,
        reason: '会员系统迁移：原有积分',
        source: { type: 'operator', id: 'demo' },
        idempotencyKey: `demo:opening:${profileId}`,
        expiresAt: now + 365 * DAY,
      },
      deps.now,
    );
    points += b.points;
    if (i % 50 === 0) progress('loyalty', i, balances.length);
  }
  progress('loyalty', balances.length, balances.length);
  // Each posting upgrades its member at once; the tier pass then finds nothing left to do, and the
  // traits segments read are written.
  await runTiers(deps);
  await syncLoyaltyTraits(deps);
  let upgraded = 0;
  for (let cursor: string | undefined; ;) {
    const page = await listMembers(db, ws, { limit: 500, cursor });
    upgraded += page.data.filter((m) => m.tier !== null).length;
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  const coupon = await createTemplate(deps, ws, { key: 'member-day-10', name: '会员日 ¥10 券', kind: 'fixed', amountFen: 1000, validity: { days: 30 } });
  return { members: balances.length, points, upgraded, ruleId: rule.id, couponTemplateId: coupon.id };
}
