/**
 * What publishing warns about: steps that cannot do their job in this workspace as it is now. The
 * journey is published anyway (an operator may install the loyalty module or configure the channel
 * next); the answer and the journey view carry the warnings of the last publish.
 */
import { type ChannelName, getTemplate } from '../messaging/index.js';
import type { Conn } from './db.js';
import { type Definition, exitsOf, type Step, type StepOf, type TriggerType } from './definition.js';
import type { JourneyDeps } from './deps.js';
import { COUPON_CODE_KEY } from './steps/award.js';
import { type OutputVariable, unguardedVariables } from './template-variables.js';

/** Why a step cannot run as written. */
export type PublishWarningCode = 'AWARD_WITHOUT_LOYALTY' | 'CHANNEL_NOT_CONFIGURED' | 'TEMPLATE_VARIABLE_UNSOURCED';

/** One publish warning: its code, the step it is about and what will happen. */
export interface PublishWarning {
  code: PublishWarningCode;
  stepId: string;
  message: string;
}

/** The `data` key each trigger puts into the entry context. Manual entries carry whatever the API call gives. */
const TRIGGER_DATA: Record<TriggerType, string | undefined> = {
  event: 'event',
  segment_entered: 'segment',
  segment_exited: 'segment',
  date: 'date',
  schedule: 'schedule',
  manual: undefined,
};

/** Top-level names messaging gives every message (profile traits and computed values, the message, links, the time). */
const ALWAYS = new Set(['profile', 'computed', 'message', 'unsubscribe_url', 'now']);

/** Ids of the steps reachable from the exits of the steps matching `from` (the steps that may come after them). */
function stepsAfter(def: Definition, from: (s: Step) => boolean): Set<string> {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stack = def.steps.filter(from).flatMap((s) => exitsOf(s).map((e) => e.to));
  while (stack.length) {
    const id = stack.pop();
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    const s = byId.get(id);
    if (s) stack.push(...exitsOf(s).map((e) => e.to));
  }
  return seen;
}

/** Whether a message of this send step has a value for the variable (see docs/journeys.md, "Publish warnings"). */
function hasSource(v: OutputVariable, def: Definition, step: { data?: Record<string, unknown> }, coupon: boolean): boolean {
  if (ALWAYS.has(v.root)) return true;
  const manual = def.trigger.type === 'manual';
  if (v.root === 'event') return manual || def.trigger.type === 'event';
  if (v.root !== 'data') return false;
  if (manual || v.key === undefined) return true;
  return v.key === TRIGGER_DATA[def.trigger.type] || (step.data !== undefined && v.key in step.data) || (coupon && v.key === COUPON_CODE_KEY);
}

/** AWARD_WITHOUT_LOYALTY for a coupon award whose template cannot issue now (the loyalty module says why); undefined when it can. */
async function couponTemplateWarning(trx: Conn, deps: JourneyDeps, ws: string, s: StepOf<'award'>): Promise<PublishWarning | undefined> {
  const check = deps.loyalty?.couponTemplateProblem;
  if (s.couponTemplateId === undefined || !check) return undefined;
  const problem = await check(trx, { workspaceId: ws, couponTemplateId: s.couponTemplateId });
  if (problem === undefined) return undefined;
  const then =
    s.points !== undefined
      ? 'the points are given and the coupon is refused'
      : 'the step will fail (counted as failed in the statistics) and the journey will go on';
  return {
    code: 'AWARD_WITHOUT_LOYALTY',
    stepId: s.id,
    message: `step "${s.id}" issues coupons of template "${s.couponTemplateId}", ${problem}: ${then} until it can issue`,
  };
}

/** The content a message step renders: inline content, or every locale of its template's current version. */
async function contentsOf(trx: Conn, ws: string, s: StepOf<'send'> | StepOf<'webhook'>): Promise<{ content: unknown; field: string }[]> {
  if (s.type === 'webhook') return [{ content: s.body, field: 'body' }];
  if (s.content !== undefined) return [{ content: s.content, field: 'content' }];
  if (s.templateId === undefined) return [];
  const t = await getTemplate({ database: { db: trx } }, ws, s.templateId);
  return Object.entries(t.variants).map(([locale, content]) => ({ content, field: `template ${s.templateId} variants.${locale}` }));
}

/** The warnings of a definition about to be published in workspace `ws` (read in the publish transaction `trx`). */
export async function publishWarnings(trx: Conn, deps: JourneyDeps, ws: string, def: Definition): Promise<PublishWarning[]> {
  const out: PublishWarning[] = [];
  const configured = new Map<ChannelName, boolean>();
  const hasCoupon = deps.loyalty?.issueCoupon ? stepsAfter(def, (s) => s.type === 'award' && s.couponTemplateId !== undefined) : new Set<string>();
  for (const s of def.steps) {
    if (s.type === 'award') {
      const warning = awardWarning(deps, s) ?? (await couponTemplateWarning(trx, deps, ws, s));
      if (warning) out.push(warning);
    }
    if (s.type !== 'send' && s.type !== 'webhook') continue;
    const channel: ChannelName = s.type === 'send' ? s.channel : 'webhook';
    if (deps.channelConfigured && !configured.has(channel)) configured.set(channel, await deps.channelConfigured(trx, ws, channel));
    if (configured.get(channel) === false) {
      out.push({
        code: 'CHANNEL_NOT_CONFIGURED',
        stepId: s.id,
        message: `step "${s.id}" sends on ${channel}, which is not configured in this workspace: its messages will fail until it is (PUT /v1/channels/${channel}${channel.startsWith('wecom') ? ', or connect WeCom' : ''})`,
      });
    }
    const data = s.type === 'send' ? s.data : undefined;
    const seen = new Set<string>();
    for (const { content, field } of await contentsOf(trx, ws, s)) {
      for (const v of unguardedVariables(content, field)) {
        if (seen.has(v.path) || hasSource(v, def, { ...(data && { data }) }, hasCoupon.has(s.id))) continue;
        seen.add(v.path);
        out.push({
          code: 'TEMPLATE_VARIABLE_UNSOURCED',
          stepId: s.id,
          message: `step "${s.id}" outputs {{ ${v.path} }} (${v.field}), which nothing in this journey provides, so it will render empty: give it a default (| default: "...") or a source (see "Publish warnings" in docs/journeys.md)`,
        });
      }
    }
  }
  return out;
}

/** AWARD_WITHOUT_LOYALTY for an award step the loyalty module cannot give (no module; a coupon without coupons); undefined when it can. */
function awardWarning(deps: JourneyDeps, s: StepOf<'award'>): PublishWarning | undefined {
  const after = 'it will be skipped (counted as skipped in the statistics) and the journey will go on to the next step';
  if (!deps.loyalty) {
    const what = s.couponTemplateId !== undefined ? 'a coupon' : 'points';
    return {
      code: 'AWARD_WITHOUT_LOYALTY',
      stepId: s.id,
      message: `step "${s.id}" awards ${what} through the loyalty module, and none is installed: ${after}`,
    };
  }
  if (s.couponTemplateId !== undefined && !deps.loyalty.issueCoupon) {
    const part = s.points !== undefined ? 'the points are given and the coupon is left out' : after;
    return {
      code: 'AWARD_WITHOUT_LOYALTY',
      stepId: s.id,
      message: `step "${s.id}" issues a coupon, and the installed loyalty module has no coupons yet: ${part}`,
    };
  }
  return undefined;
}
