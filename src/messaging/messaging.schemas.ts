/** Request and list response schemas of the messaging API (validated by Fastify, shown in the OpenAPI document). */
import { CHANNELS } from './content.js';
import { pageSchema } from '../platform/paging.js';

/** Any JSON object. */
export const obj = { type: 'object', additionalProperties: true } as const;

/** `:id` in a path. */
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 1024 } } } as const;

/** A template's fields (required ones are added by the create route). */
export const templateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    channel: { type: 'string', enum: [...CHANNELS] },
    purpose: { type: 'string', enum: ['marketing', 'service'] },
    defaultLocale: { type: 'string' },
    variants: obj,
  },
} as const;

/** Body of POST /v1/templates/:id/preview. */
export const previewBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profileId: { type: 'string' },
    profile: obj,
    event: obj,
    data: obj,
    locale: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
  },
} as const;

/** Body of POST /v1/messages. */
export const sendBody = {
  type: 'object',
  additionalProperties: false,
  required: ['channel', 'idempotencyKey'],
  properties: {
    profileId: { type: 'string', minLength: 1 },
    channel: { type: 'string', enum: [...CHANNELS] },
    templateId: { type: 'string' },
    templateVersion: { type: 'integer', minimum: 1 },
    content: obj,
    purpose: { type: 'string', enum: ['marketing', 'service'] },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 255 },
    data: obj,
    event: obj,
    recipient: { type: 'object', additionalProperties: false, properties: { chatId: { type: 'string' }, sender: { type: 'string' } } },
    locale: { type: 'string' },
    sendAt: { type: 'string' },
  },
} as const;

/** Query of GET /v1/messages. */
export const listMessagesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profileId: { type: 'string' },
    status: { type: 'string' },
    sourceKind: { type: 'string' },
    sourceId: { type: 'string' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string' },
  },
} as const;

/** Body of POST /v1/profiles/:id/consent. */
export const consentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['purpose', 'channel', 'granted', 'source'],
  properties: {
    purpose: { type: 'string', enum: ['marketing', 'service'] },
    channel: { type: 'string', enum: ['*', ...CHANNELS] },
    granted: { type: 'boolean' },
    source: { type: 'string', minLength: 1, maxLength: 100 },
    evidence: obj,
    at: { type: 'string' },
  },
} as const;

/** `limit` and `cursor` of a list route (cursor: the previous page's nextCursor). */
const paging = (max: number, dflt: number) => ({
  limit: { type: 'integer', minimum: 1, maximum: max, default: dflt },
  cursor: { type: 'string', maxLength: 512 },
});

/** Query of GET /v1/templates. */
export const listTemplatesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { channel: { type: 'string' }, status: { type: 'string', enum: ['active', 'archived', 'all'] }, ...paging(1000, 1000) },
} as const;

/** Query of GET /v1/profiles/:id/consent/history. */
export const consentHistoryQuery = { type: 'object', additionalProperties: false, properties: paging(10_000, 1000) } as const;

// Items are described, not constrained: a response schema would drop any field it does not name.
const anyObject = (description: string) => ({ type: 'object', additionalProperties: true, description });

/** 200 of GET /v1/templates. */
export const templatePage = pageSchema(anyObject('a template with its current version (as GET /v1/templates/:id, without versions)'), 'templates by name');
/** 200 of GET /v1/messages. */
export const messagePage = pageSchema(anyObject('a message (as GET /v1/messages/:id)'), 'messages, newest first');
/** 200 of GET /v1/profiles/:id/consent/history. */
export const consentPage = pageSchema(
  anyObject('a ledger entry: id, profileId, purpose, channel, granted, source, evidence, at, recordedAt'),
  'ledger entries, newest first',
);

/** Body of POST /v1/messaging/channels/:channel/test. */
export const channelTestBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    to: { type: 'string', minLength: 1, maxLength: 512, description: 'email, phone, openid, external_userid or group chat id; none for webhooks' },
    sender: { type: 'string', minLength: 1, maxLength: 128, description: 'WeCom: the sending staff member' },
    content: { ...obj, description: "the channel's content; default a fixed test message (required for sms, wechat_oa, miniprogram)" },
  },
} as const;

/** 200 of POST /v1/messaging/channels/:channel/test. */
export const channelTestAnswer = {
  type: 'object',
  properties: {
    channel: { type: 'string' },
    messageId: { type: 'string' },
    status: { type: 'string', enum: ['sent', 'failed'] },
    providerMessageId: { type: 'string' },
    errorCode: { type: 'string' },
    reason: { type: 'string' },
    message: { type: 'string' },
  },
} as const;
