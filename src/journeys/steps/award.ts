import { go, messageKey } from '../work.js';
import type { StepHandler } from './handler.js';

/** Award: points and/or a coupon through the loyalty port (idempotent by key); skipped, and says so, without a loyalty module. */
export const awardStep: StepHandler<'award'> = async ({ trx, deps, writes, now }, w, step) => {
  const r = w.row;
  const loyalty = deps.loyalty;
  if (!loyalty) return go(w, writes, step.next, 'skipped: no loyalty module', now);
  const reason = step.reason ?? `journey ${r.journey_id}`;
  const key = messageKey(w, step);
  const who = { workspaceId: r.workspace_id, profileId: r.subject_id, reason, now };
  const parts: string[] = [];
  if (step.points !== undefined) {
    const res = await loyalty.awardPoints(trx, { ...who, points: step.points, idempotencyKey: `${key}:points` });
    parts.push(res.ok ? `points:${step.points}` : `points refused: ${res.reason}`);
  }
  if (step.couponTemplateId !== undefined) {
    const res = await loyalty.issueCoupon(trx, { ...who, couponTemplateId: step.couponTemplateId, idempotencyKey: `${key}:coupon` });
    parts.push(res.ok ? `coupon:${res.couponCode ?? step.couponTemplateId}` : `coupon refused: ${res.reason}`);
  }
  return go(w, writes, step.next, parts.join(', '), now);
};
