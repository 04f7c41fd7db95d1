import { ScrmError } from '../errors.js';
import type { Attachment, SendWelcomeMsgRequest } from '../../wecom/index.js';

/** A live code's welcome message: text with `{name}` / `{{ name }}`, and WeCom attachments; or a messaging template. */
export interface WelcomeMessage {
  /**
   * A messaging template (channel `wecom`) rendered for the customer's profile and sent through
   * messaging (recorded in `messages`); when set, `text` and `attachments` are not sent.
   */
  templateId?: string;
  text?: string;
  /** In send_welcome_msg's shape: image, link or miniprogram (and video, file), at most 9. */
  attachments?: Attachment[];
  /** Put in place of the name when WeCom gives none (default: empty). */
  nameFallback?: string;
}

/** WeCom's limits on send_welcome_msg: text.content ≤ 4,000 bytes, ≤ 9 attachments. */
const MAX_TEXT_BYTES = 4000;
const MAX_ATTACHMENTS = 9;

const NAME = /\{\{\s*name\s*\}\}|\{name\}/g;

const bad = (where: string, what: string): never => {
  throw new ScrmError('VALIDATION_FAILED', `${where}: ${what}`);
};

function str(o: Record<string, unknown>, key: string, where: string, opts: { required: boolean; max?: number }): string | undefined {
  const v = o[key];
  if (v === undefined && !opts.required) return undefined;
  if (typeof v !== 'string' || !v.trim()) return bad(`${where}.${key}`, `must be a non-empty string${opts.required ? ' (required)' : ''}`);
  if (opts.max && v.length > opts.max) bad(`${where}.${key}`, `is ${v.length} characters, at most ${opts.max}`);
  return v;
}

function object(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(where, 'must be an object');
  return v as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length) bad(where, `unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}; accepted: ${allowed.join(', ')}`);
}

function attachment(raw: unknown, where: string): Attachment {
  const a = object(raw, where);
  const type = a.msgtype;
  const body = (key: string) => object(a[key], `${where}.${key}`);
  switch (type) {
    case 'image': {
      onlyKeys(a, ['msgtype', 'image'], where);
      const img = body('image');
      onlyKeys(img, ['media_id', 'pic_url'], `${where}.image`);
      const media_id = str(img, 'media_id', `${where}.image`, { required: false });
      const pic_url = str(img, 'pic_url', `${where}.image`, { required: false, max: 2048 });
      if (!media_id && !pic_url) bad(`${where}.image`, 'needs media_id or pic_url');
      return { msgtype: 'image', image: { ...(media_id ? { media_id } : {}), ...(pic_url ? { pic_url } : {}) } };
    }
    case 'link': {
      onlyKeys(a, ['msgtype', 'link'], where);
      const l = body('link');
      onlyKeys(l, ['title', 'picurl', 'desc', 'url'], `${where}.link`);
      const title = str(l, 'title', `${where}.link`, { required: true, max: 128 })!;
      const url = str(l, 'url', `${where}.link`, { required: true, max: 2048 })!;
      if (!/^https?:\/\//i.test(url)) bad(`${where}.link.url`, 'must be an http(s) URL');
      const picurl = str(l, 'picurl', `${where}.link`, { required: false, max: 2048 });
      const desc = str(l, 'desc', `${where}.link`, { required: false, max: 512 });
      return { msgtype: 'link', link: { title, url, ...(picurl ? { picurl } : {}), ...(desc ? { desc } : {}) } };
    }
    case 'miniprogram': {
      onlyKeys(a, ['msgtype', 'miniprogram'], where);
      const m = body('miniprogram');
      onlyKeys(m, ['title', 'pic_media_id', 'appid', 'page'], `${where}.miniprogram`);
      const w = `${where}.miniprogram`;
      return {
        msgtype: 'miniprogram',
        miniprogram: {
          title: str(m, 'title', w, { required: true, max: 64 })!,
          pic_media_id: str(m, 'pic_media_id', w, { required: true })!,
          appid: str(m, 'appid', w, { required: true })!,
          page: str(m, 'page', w, { required: true, max: 1024 })!,
        },
      };
    }
    case 'video':
    case 'file': {
      onlyKeys(a, ['msgtype', type], where);
      const f = body(type);
      onlyKeys(f, ['media_id'], `${where}.${type}`);
      const media_id = str(f, 'media_id', `${where}.${type}`, { required: true })!;
      return type === 'video' ? { msgtype: 'video', video: { media_id } } : { msgtype: 'file', file: { media_id } };
    }
    default:
      return bad(`${where}.msgtype`, `is ${JSON.stringify(type)}; accepted: image, link, miniprogram, video, file`);
  }
}

/** Validates a welcome message from a request (`null` clears it); `where` names the field in errors. */
export function validateWelcome(raw: unknown, where = 'welcome'): WelcomeMessage | null {
  if (raw === null) return null;
  const o = object(raw, where);
  onlyKeys(o, ['templateId', 'text', 'attachments', 'nameFallback'], where);
  const out: WelcomeMessage = {};
  // That the template exists is checked against the database by the service (`checkWelcomeTemplate`).
  if (o.templateId !== undefined && o.templateId !== null) {
    if (typeof o.templateId !== 'string' || !o.templateId || o.templateId.length > 64) bad(`${where}.templateId`, 'must be a template id (a non-empty string)');
    out.templateId = o.templateId as string;
  }
  if (o.text !== undefined) {
    if (typeof o.text !== 'string') bad(`${where}.text`, 'must be a string');
    const bytes = Buffer.byteLength(o.text as string, 'utf8');
    if (bytes > MAX_TEXT_BYTES) bad(`${where}.text`, `is ${bytes} bytes, WeCom accepts at most ${MAX_TEXT_BYTES}`);
    if ((o.text as string).trim()) out.text = o.text as string;
  }
  if (o.attachments !== undefined) {
    if (!Array.isArray(o.attachments)) bad(`${where}.attachments`, 'must be a list');
    const list = o.attachments as unknown[];
    if (list.length > MAX_ATTACHMENTS) bad(`${where}.attachments`, `holds ${list.length}, WeCom accepts at most ${MAX_ATTACHMENTS}`);
    if (list.length) out.attachments = list.map((a, i) => attachment(a, `${where}.attachments[${i}]`));
  }
  if (o.nameFallback !== undefined) {
    if (typeof o.nameFallback !== 'string' || o.nameFallback.length > 32) bad(`${where}.nameFallback`, 'must be a string of at most 32 characters');
    if (o.nameFallback) out.nameFallback = o.nameFallback as string;
  }
  if (!out.templateId && !out.text && !out.attachments) bad(where, 'needs text or at least one attachment, or a templateId (or null for no welcome message)');
  return out;
}

/** The send_welcome_msg body for one customer: `{name}` and `{{ name }}` replaced by their name. */
export function renderWelcome(message: WelcomeMessage, welcomeCode: string, name: string | undefined): SendWelcomeMsgRequest {
  const who = name?.trim() || message.nameFallback || '';
  const req: SendWelcomeMsgRequest = { welcome_code: welcomeCode };
  // A function replacement: a name such as "$&" must be inserted as it is, not as a pattern.
  if (message.text) req.text = { content: message.text.replace(NAME, () => who) };
  if (message.attachments?.length) req.attachments = message.attachments;
  return req;
}
