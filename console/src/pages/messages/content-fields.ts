/**
 * The template editor's form per channel: which content fields it shows and how they are edited
 * (docs/messaging.md, "Content per channel"). The server is the judge of a content: it checks the
 * shape and the Liquid of every field when the template is saved (TEMPLATE_INVALID names the
 * field, line and column); this table only decides which inputs to show. Fields it does not list
 * are kept as they are, and the JSON view edits everything.
 */
import type { ChannelName } from '../../api.ts';

/** How a field is edited: Liquid text (multi-line), one line, a JSON value, or one of a few words. */
export type FieldKind = 'liquid' | 'line' | 'json' | 'select';

/** One content field of a channel. */
export interface ContentField {
  key: string;
  kind: FieldKind;
  required?: boolean;
  rows?: number;
  options?: readonly string[];
  /** A starting value for a new template. */
  example?: string;
}

const wecom: ContentField[] = [
  { key: 'text', kind: 'liquid', rows: 6, example: '{{ profile.name | default: "朋友" }}，你好！' },
  { key: 'attachments', kind: 'json' },
];

/** The fields of each channel's content, in the order the form shows them. */
export const CONTENT_FIELDS: Record<ChannelName, ContentField[]> = {
  wecom,
  wecom_group: wecom,
  wechat_oa: [
    { key: 'templateId', kind: 'line', required: true },
    { key: 'data', kind: 'json', required: true, example: '{\n  "first": "{{ profile.name }}"\n}' },
    { key: 'url', kind: 'line' },
    { key: 'miniprogram', kind: 'json' },
  ],
  miniprogram: [
    { key: 'templateId', kind: 'line', required: true },
    { key: 'data', kind: 'json', required: true, example: '{\n  "thing1": "{{ profile.name }}"\n}' },
    { key: 'page', kind: 'line' },
    { key: 'state', kind: 'select', options: ['formal', 'trial', 'developer'] },
    { key: 'lang', kind: 'line' },
  ],
  sms: [
    { key: 'templateCode', kind: 'line', required: true },
    { key: 'params', kind: 'json', example: '{\n  "name": "{{ profile.name }}"\n}' },
    { key: 'signName', kind: 'line' },
  ],
  email: [
    { key: 'subject', kind: 'liquid', rows: 1, required: true },
    { key: 'html', kind: 'liquid', rows: 10 },
    { key: 'text', kind: 'liquid', rows: 6 },
  ],
  webhook: [{ key: 'body', kind: 'json', required: true, example: '{\n  "text": "{{ profile.name }}"\n}' }],
};

/** A variant as the form edits it: every field as text (JSON fields pretty-printed), plus the fields the form does not show. */
export interface VariantForm {
  fields: Record<string, string>;
  rest: Record<string, unknown>;
}

/** A content object as form text. */
export function toForm(channel: ChannelName, content: Record<string, unknown>): VariantForm {
  const fields: Record<string, string> = {};
  const rest: Record<string, unknown> = { ...content };
  for (const f of CONTENT_FIELDS[channel]) {
    const v = content[f.key];
    delete rest[f.key];
    if (v === undefined) fields[f.key] = '';
    else fields[f.key] = f.kind === 'json' || typeof v !== 'string' ? JSON.stringify(v, null, 2) : v;
  }
  return { fields, rest };
}

/** A new variant's form, with the channel's examples. */
export function emptyForm(channel: ChannelName): VariantForm {
  return { fields: Object.fromEntries(CONTENT_FIELDS[channel].map((f) => [f.key, f.example ?? ''])), rest: {} };
}

/** A field whose JSON does not parse: its key and the parser's message. */
export class FieldJsonError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Form text back to a content object: empty fields are left out, JSON fields parsed (FieldJsonError names the one that does not parse). */
export function fromForm(channel: ChannelName, form: VariantForm): Record<string, unknown> {
  const out: Record<string, unknown> = { ...form.rest };
  for (const f of CONTENT_FIELDS[channel]) {
    const text = form.fields[f.key] ?? '';
    if (!text.trim()) continue;
    if (f.kind !== 'json') out[f.key] = text;
    else {
      try {
        out[f.key] = JSON.parse(text);
      } catch (err) {
        throw new FieldJsonError(f.key, (err as Error).message);
      }
    }
  }
  return out;
}
