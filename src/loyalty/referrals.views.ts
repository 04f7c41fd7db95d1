/** How referral rows look in the API: decisions, rewards, commissions (times ISO, camelCase). */
import type { RewardRow } from './referrals.rewards.js';
import type { ReferralCommissionsTable, ReferralDecisionsTable } from './referrals.tables.js';

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/** A decision as the API answers it. */
export interface DecisionView {
  id: string;
  code: string;
  referrerKind: 'member' | 'staff';
  referrerId: string;
  refereeId: string;
  outcome: 'accepted' | 'rejected';
  reason: string;
  detail: string | null;
  createdAt: string;
}

/** A decision row as the API shows it. */
export function decisionView(d: ReferralDecisionsTable): DecisionView {
  return {
    id: d.id,
    code: d.code,
    referrerKind: d.referrer_kind,
    referrerId: d.referrer_id,
    refereeId: d.referee_id,
    outcome: d.outcome,
    reason: d.reason,
    detail: d.detail,
    createdAt: iso(d.created_at),
  };
}

/** A reward as the API answers it. */
export interface RewardView {
  id: string;
  profileId: string;
  refereeId: string;
  ruleId: string;
  trigger: string;
  kind: 'points' | 'coupon' | 'tier_days';
  amount: number;
  reversed: number;
  reference: string | null;
  orderId: string | null;
  status: 'granted' | 'reversed' | 'failed' | 'not_reclaimable';
  note: string | null;
  createdAt: string;
}

/** A reward row as the API shows it. */
export function rewardView(r: RewardRow): RewardView {
  return {
    id: r.id,
    profileId: r.profile_id,
    refereeId: r.referee_id,
    ruleId: r.rule_id,
    trigger: r.trigger,
    kind: r.kind,
    amount: Number(r.amount),
    reversed: Number(r.reversed),
    reference: r.reference,
    orderId: r.order_id,
    status: r.status,
    note: r.note,
    createdAt: iso(r.created_at),
  };
}

/** A commission as the API answers it. */
export interface CommissionView {
  id: string;
  staffId: string;
  code: string;
  refereeId: string;
  orderId: string;
  orderFen: number;
  commissionBp: number;
  commissionFen: number;
  reversedFen: number;
  /** What the staff member is owed for it now: commission less reversals. */
  netFen: number;
  status: 'earned' | 'reversed';
  createdAt: string;
}

/** A commission row as the API shows it. */
export function commissionView(c: ReferralCommissionsTable): CommissionView {
  const commission = Number(c.commission_fen);
  const reversed = Number(c.reversed_fen);
  return {
    id: c.id,
    staffId: c.staff_id,
    code: c.code,
    refereeId: c.referee_id,
    orderId: c.order_id,
    orderFen: Number(c.order_fen),
    commissionBp: Number(c.commission_bp),
    commissionFen: commission,
    reversedFen: reversed,
    netFen: commission - reversed,
    status: c.status,
    createdAt: iso(c.created_at),
  };
}
