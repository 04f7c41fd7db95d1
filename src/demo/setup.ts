/**
 * The demo brand's operating objects, made through their owners' published functions: segments
 * (computed), message templates in zh-CN and en, journeys from the recipes (published), and the
 * 8:00 coupon broadcast (scheduled).
 */
import { createBroadcast, scheduleBroadcast } from '../broadcasts/index.js';
import { createJourney, publishJourney, recipeByName } from '../journeys/index.js';
import { createTemplate, DEFAULT_SETTINGS, loadSettings, updateSettings } from '../messaging/index.js';
import { computeModels, createSegment, findSegment, recomputeSegment, type SegmentView } from '../segments/index.js';
import type { DemoDeps } from './deps.js';

const DAY = 86_400_000;
const SHANGHAI_OFFSET = 8 * 3_600_000;

/** The demo's segments: rule and purpose. */
export const DEMO_SEGMENTS: readonly { name: string; description: string; rule: unknown }[] = [
  {
    name: 'VIP 会员',
    description: '高价值客户：一年内 15 单以上或净消费 1,500 元以上',
    rule: {
      type: 'or',
      rules: [
        { type: 'profile', field: 'order_count', op: 'gte', value: 15 },
        { type: 'profile', field: 'total_spent_fen', op: 'gte', value: 150_000 },
      ],
    },
  },
  { name: '沉默客户', description: '生命周期处于沉默或流失阶段（召回旅程的受众）', rule: { type: 'lifecycle', stages: ['silent', 'churned'] } },
  { name: '潮玩粉丝', description: '潮玩品牌客户（品牌标签）', rule: { type: 'tag', tags: [{ group: '品牌', name: '潮玩' }], match: 'any' } },
  { name: 'KOC', description: '潮玩粉丝中下单 6 次以上的关键意见消费者', rule: { type: 'tag', tags: [{ group: '社群', name: 'KOC' }], match: 'any' } },
  {
    name: '早咖啡常客',
    description: '近 90 天用过早安券的咖啡客户（8:00 推送的受众）',
    rule: {
      type: 'event',
      event: 'Order Completed',
      where: [{ property: 'coupon', op: 'exists' }],
      count: { op: 'at_least', value: 1 },
      window: { lastDays: 90 },
    },
  },
  { name: '门店福利群成员', description: '门店企业微信福利群成员', rule: { type: 'tag', tags: [{ group: '社群', name: '门店福利群' }], match: 'any' } },
];

/** Progress of the setup steps. */
export type SetupProgress = (step: string, done: number, total: number) => void;

/** Creates the segments, computes the models (RFM, lifecycle, community), then each segment's members. */
export async function setupSegments(deps: DemoDeps, ws: string, progress: SetupProgress): Promise<SegmentView[]> {
  progress('models', 0, 1);
  await computeModels(deps.segments.database.db, deps.segments.database.dialect, ws, deps.now(), { defaultTimeZone: deps.segments.defaultTimeZone });
  progress('models', 1, 1);
  const created: SegmentView[] = [];
  for (const s of DEMO_SEGMENTS) created.push(await createSegment(deps.segments, ws, s));
  for (const [i, s] of created.entries()) {
    progress('segments', i, created.length);
    await recomputeSegment(deps.membership, ws, s.id, { lagMs: 0 });
  }
  progress('segments', created.length, created.length);
  // Re-read: the views from createSegment were taken before their members were computed.
  return Promise.all(created.map((s) => findSegment(deps.segments.database.db, ws, s.id)));
}

/** The demo's templates: the morning coupon, the store's coupon with a tracked link, a store notice (service), a drop notice, a welcome. */
export interface DemoTemplates {
  coupon: string;
  storeCoupon: string;
  storeNotice: string;
  drop: string;
  ids: string[];
}

/**
 * The brand's guardrails: marketing quiet from 22:00 to 08:00 instead of the default 21:00-09:00,
 * so the 8:00 coupon push goes at 8:00. A workspace whose quiet hours were changed keeps them.
 */
export async function setupSettings(deps: DemoDeps, ws: string): Promise<void> {
  const q = (await loadSettings(deps.messaging, ws)).quietHours;
  const d = DEFAULT_SETTINGS.quietHours;
  if (q.start === d.start && q.end === d.end && q.appliesTo === d.appliesTo)
    await updateSettings(deps.messaging, ws, { quietHours: { start: '22:00', end: '08:00', appliesTo: 'marketing' } });
}

/** Message templates (zh-CN default, en variant): the morning coupon (plain, and the store's with a tracked link to claim it), a drop notice, a welcome. */
export async function setupTemplates(deps: DemoDeps, ws: string): Promise<DemoTemplates> {
  const sms = (zh: string, en: string) => ({
    'zh-CN': { templateCode: 'SMS_DEMO', params: { text: zh } },
    en: { templateCode: 'SMS_DEMO', params: { text: en } },
  });
  const coupon = await createTemplate(deps.messaging, ws, {
    name: '早安咖啡券',
    channel: 'sms',
    purpose: 'marketing',
    variants: sms(
      '{{ profile.name | default: "您" }}早安！今日咖啡 5 折券已到账，10:00 前有效。',
      'Good morning {{ profile.name | default: "" }}! Your 50%-off coffee coupon is valid until 10:00.',
    ),
  });
  const link = '{{ "https://m.siyu-coffee.example/coupon/morning" | track }}';
  const storeCoupon = await createTemplate(deps.messaging, ws, {
    name: '门店早安券',
    channel: 'sms',
    purpose: 'marketing',
    variants: sms(
      `{{ profile.name | default: "您" }}早安！{{ profile.home_store_name | default: "思屿咖啡" }} 5 折咖啡券已到账，10:00 前有效，领取 ${link}`,
      `Good morning {{ profile.name | default: "" }}! 50% off coffee at {{ profile.home_store_name | default: "Siyu Coffee" }} until 10:00: ${link}`,
    ),
  });
  const map = '{{ "https://m.siyu-coffee.example/stores" | track }}';
  const storeNotice = await createTemplate(deps.messaging, ws, {
    name: '门店营业调整通知',
    channel: 'sms',
    purpose: 'service',
    variants: sms(
      `{{ profile.name | default: "您" }}您好，{{ profile.home_store_name | default: "您常去的门店" }}本周六 7:00-10:00 设备检修暂停营业，附近门店照常营业：${map}`,
      `Hi {{ profile.name | default: "" }}, {{ profile.home_store_name | default: "your store" }} is closed this Saturday 7:00-10:00 for maintenance; stores nearby: ${map}`,
    ),
  });
  const drop = await createTemplate(deps.messaging, ws, {
    name: '限定发售提醒',
    channel: 'wecom',
    purpose: 'marketing',
    variants: {
      'zh-CN': { text: '{{ profile.name | default: "亲" }}，本周六 10:00 冬季限定隐藏款开售，门店与小程序同步，每人限购 1 只。' },
      en: {
        text: 'Hi {{ profile.name | default: "there" }}, the winter limited hidden edition drops Saturday 10:00 in stores and the mini program, one per person.',
      },
    },
  });
  const welcome = await createTemplate(deps.messaging, ws, {
    name: '新会员欢迎',
    channel: 'wecom',
    purpose: 'service',
    variants: {
      'zh-CN': { text: '欢迎加入思屿会员！首单立减 10 元，门店与小程序通用。' },
      en: { text: 'Welcome to Siyu membership! ¥10 off your first order, in stores and the mini program.' },
    },
  });
  return {
    coupon: coupon.id,
    storeCoupon: storeCoupon.id,
    storeNotice: storeNotice.id,
    drop: drop.id,
    ids: [coupon.id, storeCoupon.id, storeNotice.id, drop.id, welcome.id],
  };
}

/** Imports the recipes as journeys and publishes them (win-back on the silent segment, 8:00 store-group push). */
export async function setupJourneys(deps: DemoDeps, ws: string, silentSegmentId: string, progress: SetupProgress = () => {}): Promise<string[]> {
  const wanted: [string, string, Record<string, unknown>][] = [
    ['birthday_coupon', '会员生日礼', {}],
    ['onboarding', '新会员引导', {}],
    ['cart_abandonment', '小程序加购提醒', {}],
    ['win_back', '沉默客户召回', { segmentId: silentSegmentId, channel: 'sms' }],
    ['store_group_daily_coupon', '门店社群 8:00 早安券', { nameContains: '思屿咖啡' }],
  ];
  const ids: string[] = [];
  for (const [i, [recipe, name, params]] of wanted.entries()) {
    progress('journeys', i, wanted.length);
    const r = recipeByName(recipe);
    const created = await createJourney(deps.journeys, ws, { name, description: r.description, definition: r.build(params) });
    ids.push((await publishJourney(deps.journeys, ws, created.id)).id);
  }
  progress('journeys', wanted.length, wanted.length);
  return ids;
}

/** The next 08:00 in Shanghai after `now`, as ISO-8601 with its offset. */
export function nextMorning(now: number): string {
  const localMidnight = Math.floor((now + SHANGHAI_OFFSET) / DAY) * DAY;
  let at = localMidnight + 8 * 3_600_000;
  if (at - SHANGHAI_OFFSET <= now + 60_000) at += DAY;
  return new Date(at).toISOString().slice(0, 19) + '+08:00';
}

/** The 8:00 morning coupon broadcast to the morning-coffee regulars, scheduled for the next morning. */
export async function setupBroadcast(deps: DemoDeps, ws: string, segmentId: string, templateId: string): Promise<string> {
  const draft = await createBroadcast(deps.broadcasts, ws, {
    name: '早安咖啡券 8:00 推送',
    description: 'The Luckin case: a morning coupon push to regulars at 08:00',
    channel: 'sms',
    templateId,
    segmentId,
    holdoutPercent: 10,
    goalEvent: 'Order Completed',
    goalDays: 1,
  });
  return (await scheduleBroadcast(deps.broadcasts, ws, draft.id, nextMorning(deps.now()))).id;
}
