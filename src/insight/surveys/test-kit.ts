/**
 * Test helpers of the surveys: a full app (the root's deps, so the links, ports and routes are the
 * ones a server runs), a survey of every question kind, links made through the API, answers
 * through the hosted page, and profiles through the tracking API.
 */
import { basic, createTestApp, type TestApp } from '../../../test/support/engines.js';
import type { Engine } from '../../platform/db/database.js';

/** A survey with one question of every kind. */
export const EVERY_KIND = {
  name: 'After-sales NPS',
  title: { 'zh-CN': '售后满意度调查', en: 'After-sales survey' },
  intro: { 'zh-CN': '只需一分钟', en: 'It takes a minute' },
  thanks: { 'zh-CN': '谢谢！', en: 'Thanks a lot!' },
  questions: [
    { id: 'nps', kind: 'nps', text: { 'zh-CN': '您有多大可能把我们推荐给朋友？', en: 'How likely are you to recommend us?' } },
    { id: 'csat', kind: 'csat', text: { 'zh-CN': '您对本次服务满意吗？', en: 'How satisfied are you?' } },
    { id: 'ces', kind: 'ces', text: { 'zh-CN': '解决问题容易吗？', en: 'How easy was it?' }, required: false },
    {
      id: 'channel',
      kind: 'single',
      text: { 'zh-CN': '您在哪里购买？', en: 'Where did you buy?' },
      options: [
        { id: 'store', label: { 'zh-CN': '门店', en: 'Store' } },
        { id: 'online', label: { 'zh-CN': '网店', en: 'Online' } },
      ],
      required: false,
    },
    {
      id: 'liked',
      kind: 'multiple',
      text: { 'zh-CN': '您喜欢什么？', en: 'What did you like?' },
      options: [
        { id: 'price', label: { 'zh-CN': '价格', en: 'Price' } },
        { id: 'service', label: { 'zh-CN': '服务', en: 'Service' } },
        { id: 'speed', label: { 'zh-CN': '速度', en: 'Speed' } },
      ],
      required: false,
    },
    { id: 'why', kind: 'text', text: { 'zh-CN': '请告诉我们原因', en: 'Tell us why' } },
  ],
  keywords: [
    { tag: 'delivery', words: ['快递', 'delivery', '物流'] },
    { tag: 'price', words: ['贵', 'expensive'] },
  ],
};

/** The surveys' test app. */
export async function surveysTestApp(engine: Engine, opts: { clockStart?: number; app?: TestApp } = {}) {
  const t = opts.app ?? (await createTestApp(engine, { clockStart: opts.clockStart ?? Date.parse('2026-11-03T04:00:00Z') }));
  const auth = { authorization: `Bearer ${t.secretKey}` };

  /** Calls the API with the secret key; the JSON body (or text) and status. */
  async function api(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
    const res = await t.app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body };
  }

  /** A profile made through the tracking API (identify); its id. */
  async function profile(userId: string, traits: Record<string, unknown> = {}): Promise<string> {
    const res = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(t.writeKey) }, payload: { userId, traits } });
    if (res.statusCode !== 200) throw new Error(`identify: ${res.body}`);
    return (await api('GET', `/v1/profiles/user_id:${userId}`)).body.id as string;
  }

  /** Creates a survey; its id. */
  async function survey(body: unknown = EVERY_KIND): Promise<string> {
    const r = await api('POST', '/v1/insight/surveys', body);
    if (r.status !== 201) throw new Error(`create survey: ${JSON.stringify(r.body)}`);
    return r.body.id as string;
  }

  /** A signed link's token for a profile. */
  async function link(surveyId: string, profile: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await api('POST', `/v1/insight/surveys/${surveyId}/links`, { profile, ...extra });
    if (r.status !== 200) throw new Error(`link: ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  }

  /** Answers through the hosted page as JSON. */
  async function answer(token: string, answers: Record<string, unknown>) {
    const res = await t.app.inject({ method: 'POST', url: `/s/${token}`, payload: { answers } });
    return { status: res.statusCode, body: res.json() };
  }

  /** The events of a profile with this name, their properties. */
  async function events(profileId: string, name: string): Promise<Record<string, any>[]> {
    const rows = await t.database.db
      .selectFrom('events')
      .select('payload')
      .where('workspace_id', '=', t.workspaceId)
      .where('profile_id', '=', profileId)
      .where('event', '=', name)
      .orderBy('timestamp')
      .execute();
    return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties);
  }

  return { t, auth, api, profile, survey, link, answer, events, close: () => t.close() };
}
