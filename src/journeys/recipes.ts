import { JourneyError } from './errors.js';
import type { Definition } from './definition.js';

/**
 * Ready-made journeys ("recipes"): each builds a definition from a few parameters and is
 * imported as a draft journey (`POST /v1/journeys/recipes/:name/import`). Content is inline
 * (Liquid), so a recipe runs without creating templates first; edit the draft to use templates.
 * Every recipe has an end-to-end test (recipes.test.ts).
 */

/** A recipe parameter. */
export interface RecipeParam {
  name: string;
  description: string;
  required: boolean;
  default?: unknown;
}

/** A journey template. */
export interface Recipe {
  name: string;
  title: string;
  description: string;
  params: RecipeParam[];
  build(params: Record<string, unknown>): Definition;
}

const str = (p: Record<string, unknown>, k: string, d?: string): string => {
  const v = p[k] ?? d;
  if (typeof v !== 'string' || !v) throw new JourneyError('VALIDATION_FAILED', `params.${k} is required: a non-empty string`);
  return v;
};
const num = (p: Record<string, unknown>, k: string, d: number): number => {
  const v = p[k] ?? d;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new JourneyError('VALIDATION_FAILED', `params.${k} must be a whole number (got ${JSON.stringify(v)})`);
  return v;
};
const channel = (p: Record<string, unknown>) => str(p, 'channel', 'wecom') as 'wecom' | 'sms' | 'email';

/** A text message in the channel's content shape. */
function text(ch: string, body: string, subject = '通知'): Record<string, unknown> {
  if (ch === 'email') return { subject, text: body };
  if (ch === 'sms') return { templateCode: 'SMS_JOURNEY', params: { text: body } };
  return { text: body };
}

/** Every recipe, by name. */
export const RECIPES: readonly Recipe[] = [
  {
    name: 'cart_abandonment',
    title: 'Cart abandonment reminder',
    description:
      'A "Product Added" with no "Order Completed" within the delay gets a reminder, and a second one a day later; an order within 3 days counts as converted.',
    params: [
      { name: 'delayMinutes', description: 'minutes to wait for an order before the first reminder', required: false, default: 60 },
      { name: 'channel', description: 'wecom, sms or email', required: false, default: 'wecom' },
    ],
    build: (p) => {
      const ch = channel(p);
      return {
        trigger: { type: 'event', event: 'Product Added' },
        entry: { reentry: 'after_exit' },
        goal: { event: 'Order Completed', withinDays: 3 },
        steps: [
          { id: 'wait_order', type: 'wait_for_event', event: 'Order Completed', timeout: { minutes: num(p, 'delayMinutes', 60) }, timeoutNext: 'remind' },
          {
            id: 'remind',
            type: 'send',
            channel: ch,
            purpose: 'marketing',
            content: text(
              ch,
              '{{ profile.name | default: "朋友" }}，您购物车里的 {{ event.name | default: "商品" }} 还在等您，库存有限，尽快下单吧！',
              '您的购物车',
            ),
            next: 'wait_again',
          },
          { id: 'wait_again', type: 'wait_for_event', event: 'Order Completed', timeout: { days: 1 }, timeoutNext: 'remind_again' },
          { id: 'remind_again', type: 'send', channel: ch, purpose: 'marketing', content: text(ch, '最后提醒：购物车里的商品即将售罄。', '最后提醒') },
        ],
      };
    },
  },
  {
    name: 'birthday_coupon',
    title: 'Birthday greeting with coupon',
    description:
      'On the profile\'s birthday (the "birthday" trait, YYYY-MM-DD) at 09:00 local time: a birthday coupon (through the loyalty module, when installed) and a greeting that mentions the coupon only when one was issued.',
    params: [
      { name: 'couponTemplateId', description: "the loyalty module's coupon template", required: false, default: 'birthday' },
      { name: 'trait', description: 'the date trait', required: false, default: 'birthday' },
      { name: 'channel', description: 'wecom, sms or email', required: false, default: 'wecom' },
    ],
    build: (p) => {
      const ch = channel(p);
      return {
        trigger: { type: 'date', trait: str(p, 'trait', 'birthday'), kind: 'anniversary' },
        entry: { reentry: 'after_exit' },
        steps: [
          { id: 'morning', type: 'wait', untilTime: '09:00', next: 'coupon' },
          { id: 'coupon', type: 'award', couponTemplateId: str(p, 'couponTemplateId', 'birthday'), reason: 'birthday', next: 'greet' },
          {
            id: 'greet',
            type: 'send',
            channel: ch,
            purpose: 'marketing',
            // The coupon is mentioned only when the award step issued one (no loyalty module: a greeting alone).
            content: text(
              ch,
              '{{ profile.name | default: "亲爱的会员" }}，生日快乐！{% if data.coupon_code %}送您一张生日专属优惠券（券码 {{ data.coupon_code }}），已放入您的账户。{% endif %}',
              '生日快乐',
            ),
          },
        ],
      };
    },
  },
  {
    name: 'onboarding',
    title: 'New-customer onboarding',
    description:
      'After "Signed Up": a welcome at once, a tutorial a day later, and two days after that a first-order coupon for those who have not ordered yet. An order within 14 days counts as converted.',
    params: [
      { name: 'couponTemplateId', description: 'the first-order coupon template', required: false, default: 'first_order' },
      { name: 'channel', description: 'wecom, sms or email', required: false, default: 'wecom' },
    ],
    build: (p) => {
      const ch = channel(p);
      return {
        trigger: { type: 'event', event: 'Signed Up' },
        entry: { reentry: 'never' },
        goal: { event: 'Order Completed', withinDays: 14 },
        steps: [
          {
            id: 'welcome',
            type: 'send',
            channel: ch,
            purpose: 'service',
            content: text(ch, '欢迎加入，{{ profile.name | default: "朋友" }}！', '欢迎'),
            next: 'day1',
          },
          { id: 'day1', type: 'wait', duration: { days: 1 }, next: 'tutorial' },
          { id: 'tutorial', type: 'send', channel: ch, purpose: 'marketing', content: text(ch, '三步上手：浏览、收藏、下单。', '新手指南'), next: 'day3' },
          { id: 'day3', type: 'wait', duration: { days: 2 }, next: 'ordered' },
          {
            id: 'ordered',
            type: 'branch',
            branches: [{ name: 'has_ordered', rule: { type: 'profile', field: 'order_count', op: 'gt', value: 0 } }],
            defaultNext: 'coupon',
          },
          { id: 'coupon', type: 'award', couponTemplateId: str(p, 'couponTemplateId', 'first_order'), reason: 'first order', next: 'coupon_msg' },
          {
            id: 'coupon_msg',
            type: 'send',
            channel: ch,
            purpose: 'marketing',
            // Says a coupon arrived only when the award step issued one.
            content: text(
              ch,
              '{% if data.coupon_code %}首单专享优惠券已到账（券码 {{ data.coupon_code }}），7 天内有效。{% else %}还没下过单？看看大家都在买什么，期待您的第一单。{% endif %}',
              '首单优惠',
            ),
          },
        ],
      };
    },
  },
  {
    name: 'baby_month_age',
    title: 'Baby month-age content push',
    description:
      'Every month on the day the baby turns N months (the "baby_birthday" trait), at 10:00 local time: content for that month of age (`{{ data.date.months }}`).',
    params: [
      { name: 'trait', description: "the baby's birth date trait", required: false, default: 'baby_birthday' },
      { name: 'fromMonths', description: 'first month of age', required: false, default: 1 },
      { name: 'toMonths', description: 'last month of age', required: false, default: 36 },
      { name: 'channel', description: 'wecom, sms or email', required: false, default: 'wecom' },
    ],
    build: (p) => {
      const ch = channel(p);
      return {
        trigger: {
          type: 'date',
          trait: str(p, 'trait', 'baby_birthday'),
          kind: 'month_age',
          fromMonths: num(p, 'fromMonths', 1),
          toMonths: num(p, 'toMonths', 36),
        },
        entry: { reentry: 'after_exit' },
        steps: [
          { id: 'morning', type: 'wait', untilTime: '10:00', next: 'content' },
          {
            id: 'content',
            type: 'send',
            channel: ch,
            purpose: 'marketing',
            content: text(ch, '宝宝今天 {{ data.date.months }} 个月啦！本月的喂养与成长建议已为您准备好。', '宝宝成长'),
          },
        ],
      };
    },
  },
  {
    name: 'win_back',
    title: 'Win-back for silent customers',
    description:
      'When a profile enters the given segment (e.g. lifecycle stage "silent"): a win-back offer, and a second one if no order within 7 days. An order within 14 days counts as converted.',
    params: [
      { name: 'segmentId', description: 'the silent-customers segment (e.g. rule { "type": "lifecycle", "stages": ["silent"] })', required: true },
      { name: 'channel', description: 'wecom, sms or email', required: false, default: 'wecom' },
    ],
    build: (p) => {
      const ch = channel(p);
      return {
        trigger: { type: 'segment_entered', segmentId: str(p, 'segmentId') },
        entry: { reentry: 'after_exit' },
        goal: { event: 'Order Completed', withinDays: 14 },
        steps: [
          {
            id: 'offer',
            type: 'send',
            channel: ch,
            purpose: 'marketing',
            content: text(ch, '{{ profile.name | default: "老朋友" }}，好久不见！回来看看，送您一张回归优惠券。', '好久不见'),
            next: 'wait_order',
          },
          { id: 'wait_order', type: 'wait_for_event', event: 'Order Completed', timeout: { days: 7 }, timeoutNext: 'second' },
          { id: 'second', type: 'send', channel: ch, purpose: 'marketing', content: text(ch, '回归优惠券即将过期，别错过。', '优惠即将过期') },
        ],
      };
    },
  },
  {
    name: 'store_group_daily_coupon',
    title: 'Store group daily 8:00 coupon push (the Luckin case)',
    description: "Every day at 08:00 (workspace time zone) a coupon message to each store's WeCom customer group, sent by the group owner.",
    params: [
      { name: 'chatIds', description: "the store groups' chat ids (or use nameContains)", required: false },
      { name: 'nameContains', description: 'every active group whose name contains this text', required: false },
      { name: 'at', description: 'local time', required: false, default: '08:00' },
      { name: 'text', description: 'the message', required: false, default: '早安！今日咖啡 5 折券已发放，点击小程序领取，限时 2 小时。' },
    ],
    build: (p) => {
      const chatIds = p.chatIds;
      const nameContains = p.nameContains;
      if (chatIds === undefined && nameContains === undefined)
        throw new JourneyError('VALIDATION_FAILED', 'params: give chatIds (an array of chat ids) or nameContains');
      return {
        trigger: {
          type: 'schedule',
          every: 'day',
          at: str(p, 'at', '08:00'),
          audience: {
            wecomGroups: {
              ...(chatIds !== undefined && { chatIds: chatIds as string[] }),
              ...(nameContains !== undefined && { nameContains: nameContains as string }),
            },
          },
        },
        entry: { reentry: 'always' },
        steps: [
          {
            id: 'push',
            type: 'send',
            channel: 'wecom_group',
            purpose: 'marketing',
            content: { text: str(p, 'text', '早安！今日咖啡 5 折券已发放，点击小程序领取，限时 2 小时。') },
          },
        ],
      };
    },
  },
];

/** A recipe by name, or RECIPE_NOT_FOUND naming the ones that exist. */
export function recipeByName(name: string): Recipe {
  const r = RECIPES.find((x) => x.name === name);
  if (!r) throw new JourneyError('JOURNEY_RECIPE_NOT_FOUND', `no recipe "${name}" (recipes: ${RECIPES.map((x) => x.name).join(', ')})`);
  return r;
}
