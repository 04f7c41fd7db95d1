import { CHANNELS, type ChannelName } from './channel.types.js';
import { MessagingError } from './errors.js';

// The names live in a file without server imports, so that the route schemas (and the console's types) can use them.
export { CHANNELS, CONSENT_PURPOSES, LOCALES, type ChannelName, type ConsentPurpose, type Purpose } from './channel.types.js';

/** True for a known channel name. */
export function isChannel(v: unknown): v is ChannelName {
  return typeof v === 'string' && (CHANNELS as readonly string[]).includes(v);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, msg: string): never {
  throw new MessagingError('TEMPLATE_INVALID', `${where}: ${msg}`);
}

function str(o: Obj, key: string, where: string, required: boolean, max = 20_000): void {
  const v = o[key];
  if (v === undefined && !required) return;
  if (typeof v !== 'string' || (required && v.length === 0))
    fail(`${where}.${key}`, required ? 'is required and must be a non-empty string' : 'must be a string');
  if (v.length > max) fail(`${where}.${key}`, `is longer than ${max} characters`);
}

function only(o: Obj, keys: string[], where: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${where}.${k}`, `is not a field of this channel's content; accepted: ${keys.join(', ')}`);
}

/** Template data fields (`{ key: "text" }` or `{ key: { value, color? } }`) of OA and mini-program messages. */
function dataFields(o: Obj, where: string): void {
  const d = o.data;
  if (!isObj(d) || Object.keys(d).length === 0) fail(`${where}.data`, 'is required: an object of fields, each "text" or { "value": "text" }');
  for (const [k, v] of Object.entries(d)) {
    if (typeof v === 'string') continue;
    if (!isObj(v) || typeof v.value !== 'string') fail(`${where}.data.${k}`, 'must be a string or { "value": string, "color"?: string }');
  }
}

/**
 * Checks the shape of one channel's content (every string field may hold Liquid):
 * - sms: `{ templateCode, params?: { name: text }, signName? }` (the gateway's template and its parameters)
 * - email: `{ subject, html?, text? }`, at least one body
 * - wecom, wecom_group: `{ text?, attachments?: WeCom attachment objects (≤ 9) }`, at least one
 * - wechat_oa: `{ templateId, data, url?, miniprogram?: { appid, pagepath } }`
 * - miniprogram: `{ templateId, data, page?, state?: developer|trial|formal, lang? }`
 * - webhook: `{ body: JSON object }`
 */
export function validateContent(channel: ChannelName, content: unknown, where: string): void {
  if (!isObj(content)) fail(where, 'must be an object');
  switch (channel) {
    case 'sms': {
      only(content, ['templateCode', 'params', 'signName'], where);
      str(content, 'templateCode', where, true, 100);
      str(content, 'signName', where, false, 100);
      if (content.params !== undefined) {
        if (!isObj(content.params)) fail(`${where}.params`, 'must be an object of strings');
        for (const [k, v] of Object.entries(content.params)) if (typeof v !== 'string') fail(`${where}.params.${k}`, 'must be a string');
      }
      return;
    }
    case 'email':
      only(content, ['subject', 'html', 'text'], where);
      str(content, 'subject', where, true, 1000);
      str(content, 'html', where, false, 500_000);
      str(content, 'text', where, false, 200_000);
      if (content.html === undefined && content.text === undefined) fail(where, 'needs "html" or "text"');
      return;
    case 'wecom':
    case 'wecom_group':
      only(content, ['text', 'attachments'], where);
      str(content, 'text', where, false, 4000);
      if (content.attachments !== undefined && (!Array.isArray(content.attachments) || content.attachments.length > 9 || !content.attachments.every(isObj))) {
        fail(`${where}.attachments`, 'must be a list of at most 9 WeCom attachment objects ({ msgtype: "link", link: {...} }, ...)');
      }
      if (content.text === undefined && !(Array.isArray(content.attachments) && content.attachments.length)) fail(where, 'needs "text" or "attachments"');
      return;
    case 'wechat_oa':
      only(content, ['templateId', 'data', 'url', 'miniprogram'], where);
      str(content, 'templateId', where, true, 200);
      str(content, 'url', where, false, 2000);
      dataFields(content, where);
      if (content.miniprogram !== undefined && (!isObj(content.miniprogram) || typeof content.miniprogram.appid !== 'string'))
        fail(`${where}.miniprogram`, 'must be { "appid": string, "pagepath"?: string }');
      return;
    case 'miniprogram':
      only(content, ['templateId', 'data', 'page', 'state', 'lang'], where);
      str(content, 'templateId', where, true, 200);
      str(content, 'page', where, false, 2000);
      if (content.state !== undefined && !['developer', 'trial', 'formal'].includes(content.state as string))
        fail(`${where}.state`, 'must be developer, trial or formal');
      str(content, 'lang', where, false, 10);
      dataFields(content, where);
      return;
    case 'webhook':
      only(content, ['body'], where);
      if (!isObj(content.body)) fail(`${where}.body`, 'is required and must be a JSON object (its strings may hold Liquid)');
      return;
  }
}

/** Normalises a locale tag: zh, zh_CN, zh-Hans -> zh-CN; en-US -> en; others as given. */
export function normaliseLocale(tag: unknown): string | undefined {
  if (typeof tag !== 'string' || !tag) return undefined;
  const t = tag.replace('_', '-').toLowerCase();
  if (t === 'zh' || t.startsWith('zh-cn') || t.startsWith('zh-hans') || t.startsWith('zh-sg')) return 'zh-CN';
  if (t === 'en' || t.startsWith('en-')) return 'en';
  return tag;
}

/** Picks the variant for a locale: exact, then same language, then the template's default, then any. */
export function pickLocale(variants: Record<string, unknown>, wanted: string | undefined, defaultLocale: string): string {
  const keys = Object.keys(variants);
  const w = normaliseLocale(wanted);
  if (w && variants[w] !== undefined) return w;
  if (w) {
    const lang = w.split('-')[0]!.toLowerCase();
    const same = keys.find((k) => k.split('-')[0]!.toLowerCase() === lang);
    if (same) return same;
  }
  if (variants[defaultLocale] !== undefined) return defaultLocale;
  return keys[0]!;
}
