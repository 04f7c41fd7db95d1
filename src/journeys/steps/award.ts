import { go, messageKey, setContext } from '../work.js';
import type { StepHandler } from './handler.js';

/** Where the award step puts the code of a coupon the loyalty module issued, in the state's context: later sends output `{{ data.coupon_code }}`. */
export const COUPON_CODE_KEY = 'coupon_code';

const NO_COUPONS = 'no coupons in the loyalty module';

/**
 * Award: points and/or a coupon through the loyalty port (idempotent by key); the coupon's code goes
 * into the context. Without a loyalty module the step is skipped, as is the coupon of one that has
 * no coupons (`skipped: no coupons in the loyalty module` when nothing else was awarded); a refusal
 * fails the step (`failed: ...`); either way it says so and the journey goes on.
 */
export const awardStep: StepHandler<'award'> = async ({ trx, deps, writes, now }, w, step) => {
  const r = w.row;
  const loyalty = deps.loyalty;
  if (!loyalty) return go(w, writes, step.next, 'skipped: no loyalty module', now);
  const reason = step.reason ?? `journey ${r.journey_id}`;
  const key = messageKey(w, step);
  const who = { workspaceId: r.workspace_id, profileId: r.subject_id, reason, now };
  const parts: string[] = [];
  let refused = false;
  if (step.points !== undefined) {
    const res = await loyalty.awardPoints(trx, { ...who, points: step.points, idempotencyKey: `${key}:points` });
    parts.push(res.ok ? `points:${step.points}` : `points refused: ${res.reason}`);
    refused ||= !res.ok;
  }
  if (step.couponTemplateId !== undefined && !loyalty.issueCoupon) {
    if (parts.length === 0) return go(w, writes, step.next, `skipped: ${NO_COUPONS}`, now);
    parts.push(`coupon skipped: ${NO_COUPONS}`);
  } else if (step.couponTemplateId !== undefined && loyalty.issueCoupon) {
    const res = await loyalty.issueCoupon(trx, { ...who, couponTemplateId: step.couponTemplateId, idempotencyKey: `${key}:coupon` });
    parts.push(res.ok ? `coupon:${res.couponCode ?? step.couponTemplateId}` : `coupon refused: ${res.reason}`);
    if (res.ok && res.couponCode !== undefined) setContext(w, { [COUPON_CODE_KEY]: res.couponCode });
    refused ||= !res.ok;
  }
  return go(w, writes, step.next, `${refused ? 'failed: ' : ''}${parts.join(', ')}`, now);
};
