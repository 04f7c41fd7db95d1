/** Request and list response schemas of the messaging API (validated by Fastify, shown in the OpenAPI document). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';
import { CHANNELS, CONSENT_IMPORT_MODES, CONSENT_PURPOSES, PURPOSES } from './channel.types.js';

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
    purpose: { type: 'string', enum: CONSENT_PURPOSES },
    channel: { type: 'string', enum: ['*', ...CHANNELS] },
    granted: { type: 'boolean' },
    source: { type: 'string', minLength: 1, maxLength: 100 },
    textVersion: { type: 'string', minLength: 1, maxLength: 100, description: 'the version of the consent text the person saw (kept in evidence.textVersion)' },
    evidence: obj,
    at: { type: 'string' },
  },
} as const;

/** `limit` and `cursor` of a list route (cursor: the previous page's nextCursor). */
const paging = (max: number, dflt: number) => pageQueryProperties(dflt, max);

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

/** A template's content per locale: `{ "zh-CN": { text: "…" }, "en": { … } }`. */
const variantsSchema = {
  type: 'object',
  additionalProperties: { type: 'object', additionalProperties: true },
  description: "locale -> the channel's content (every string may hold Liquid)",
} as const;

/** A template with its current version's content (GET /v1/templates items). */
export const templateSchema = {
  type: 'object',
  required: ['id', 'name', 'channel', 'purpose', 'status', 'version', 'defaultLocale', 'variants', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    channel: { type: 'string', enum: CHANNELS },
    purpose: { type: 'string', enum: PURPOSES },
    status: { type: 'string', enum: ['active', 'archived'] },
    version: { type: 'integer', description: 'the current version' },
    defaultLocale: { type: 'string' },
    variants: variantsSchema,
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** Something the client should know about a template it saved or previewed, though it was accepted. */
const warningsSchema = {
  type: 'array',
  items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
} as const;

/** A template with every version (GET /v1/templates/:id), and after a save its warnings. */
export const templateDetailSchema = {
  type: 'object',
  required: [...templateSchema.required, 'versions'],
  properties: {
    ...templateSchema.properties,
    versions: {
      type: 'array',
      description: 'newest first',
      items: {
        type: 'object',
        required: ['version', 'defaultLocale', 'variants', 'createdAt'],
        properties: { version: { type: 'integer' }, defaultLocale: { type: 'string' }, variants: variantsSchema, createdAt: { type: 'string' } },
      },
    },
    warnings: { ...warningsSchema, description: 'after a save: e.g. LINK_BASE_URL_MISSING' },
  },
} as const;

/** 200 of POST /v1/templates/:id/preview. */
export const previewAnswer = {
  type: 'object',
  required: ['templateId', 'version', 'channel', 'locale', 'content', 'warnings'],
  properties: {
    templateId: { type: 'string' },
    version: { type: 'integer' },
    channel: { type: 'string', enum: CHANNELS },
    locale: { type: 'string', description: 'the variant rendered' },
    content: { type: 'object', additionalProperties: true, description: "the rendered content, in the channel's shape" },
    warnings: warningsSchema,
  },
} as const;

/** 200 of GET /v1/templates. */
export const templatePage = pageSchema(templateSchema, 'templates by name');
/** 200 of GET /v1/messages. */
export const messagePage = pageSchema(anyObject('a message (as GET /v1/messages/:id)'), 'messages, newest first');
/** One entry of the consent ledger. */
export const consentRecordSchema = {
  type: 'object',
  required: ['id', 'profileId', 'purpose', 'channel', 'granted', 'source', 'evidence', 'at', 'recordedAt'],
  properties: {
    id: { type: 'string' },
    profileId: { type: 'string', description: 'the profile it was recorded on (a profile merged since keeps its own id here)' },
    purpose: { type: 'string', enum: CONSENT_PURPOSES },
    channel: { type: 'string', description: 'a channel, or * for every channel' },
    granted: { type: 'boolean' },
    source: { type: 'string' },
    evidence: { type: 'object', additionalProperties: true },
    at: { type: 'string', description: 'when the person acted' },
    recordedAt: { type: 'string' },
  },
} as const;

/** 200 of GET /v1/profiles/:id/consent/history. */
export const consentPage = pageSchema(consentRecordSchema, 'ledger entries, newest first');

/** Query of GET /v1/messaging/consent: the workspace's ledger, filtered. */
export const consentSearchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profile: { type: 'string', minLength: 1, maxLength: 1024, description: 'a profile id or identifier (type:value); includes the profiles merged into it' },
    purpose: { type: 'string', enum: CONSENT_PURPOSES },
    channel: { type: 'string', enum: ['*', ...CHANNELS], description: 'entries recorded for this channel (or for * , every channel)' },
    granted: { type: 'boolean' },
    source: { type: 'string', minLength: 1, maxLength: 100 },
    ...paging(500, 50),
  },
} as const;

/** 200 of GET /v1/messaging/consent. */
export const consentSearchPage = pageSchema(consentRecordSchema, 'ledger entries, the most recently recorded first');

/** A channel's configuration as the API shows it (secrets never: only which are set). */
export const channelConfigSchema = {
  type: 'object',
  required: ['channel', 'configured', 'config', 'secretsSet', 'updatedAt'],
  properties: {
    channel: { type: 'string', enum: CHANNELS },
    configured: { type: 'boolean', description: 'the workspace saved a configuration (the WeCom channels use the WeCom connection instead)' },
    config: { type: 'object', additionalProperties: true, description: 'the plain fields' },
    secretsSet: { type: 'array', items: { type: 'string' }, description: 'names of the secret fields that hold a value' },
    updatedAt: { type: ['string', 'null'] },
  },
} as const;

/** A channel with what its configuration and its test take (GET /v1/channels items). */
export const channelInfoSchema = {
  type: 'object',
  required: [...channelConfigSchema.required, 'fields', 'secrets', 'address', 'connection', 'testContent'],
  properties: {
    ...channelConfigSchema.properties,
    fields: {
      type: 'array',
      description: 'the plain configuration fields',
      items: {
        type: 'object',
        required: ['name', 'type', 'required'],
        properties: { name: { type: 'string' }, type: { type: 'string', enum: ['string', 'url', 'int', 'bool'] }, required: { type: 'boolean' } },
      },
    },
    secrets: {
      type: 'array',
      description: 'the secret fields (stored encrypted, never shown)',
      items: { type: 'object', required: ['name', 'required'], properties: { name: { type: 'string' }, required: { type: 'boolean' } } },
    },
    address: {
      type: 'string',
      enum: ['email', 'phone', 'openid', 'external_userid', 'group', 'none'],
      description: 'what `to` of a test (and a profile, for real sends) must give',
    },
    connection: { type: ['string', 'null'], enum: ['wecom', null], description: "wecom: configured by the workspace's WeCom connection (SCRM)" },
    testContent: { type: 'string', enum: ['optional', 'required'], description: 'required: the channel sends provider-approved templates only' },
  },
} as const;

/** 200 of GET /v1/channels. */
export const channelListPage = pageSchema(channelInfoSchema, 'every channel (one page)');

/** A frequency cap (no field: no cap). */
const capSchema = { type: 'object', properties: { perDay: { type: 'integer' }, perWeek: { type: 'integer' } } } as const;

/** 200 of GET and PATCH /v1/messaging/settings (defaults applied). */
export const settingsSchema = {
  type: 'object',
  required: ['quietHours', 'caps', 'consent', 'defaultLocale', 'maxAttempts', 'replies'],
  properties: {
    quietHours: {
      type: 'object',
      required: ['start', 'end', 'appliesTo'],
      description: 'local HH:MM window in which sends are held; equal start and end: none',
      properties: { start: { type: 'string' }, end: { type: 'string' }, appliesTo: { type: 'string', enum: ['marketing', 'all'] } },
    },
    timeZone: { type: 'string', description: 'for quiet hours and caps when the profile has no timezone trait; default the workspace time zone' },
    caps: {
      type: 'object',
      required: ['marketing', 'channels', 'onLimit'],
      properties: {
        marketing: { ...capSchema, description: 'marketing messages over every channel' },
        channels: { type: 'object', additionalProperties: capSchema, description: 'channel -> its own cap' },
        onLimit: { type: 'string', enum: ['suppress', 'defer'] },
      },
    },
    consent: {
      type: 'object',
      required: ['marketingRequiresOptIn', 'serviceRequiresOptIn'],
      properties: { marketingRequiresOptIn: { type: 'boolean' }, serviceRequiresOptIn: { type: 'boolean' } },
    },
    linkBaseUrl: { type: 'string' },
    defaultLocale: { type: 'string' },
    maxAttempts: { type: 'integer' },
    replies: { type: 'object', required: ['windowHours'], properties: { windowHours: { type: 'integer' } } },
  },
} as const;

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
  required: ['channel', 'messageId', 'status'],
  properties: {
    channel: { type: 'string', enum: CHANNELS },
    messageId: { type: 'string' },
    status: { type: 'string', enum: ['sent', 'failed'] },
    providerMessageId: { type: 'string' },
    errorCode: { type: 'string' },
    reason: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/** Query of POST /v1/messaging/consent/imports. */
export const consentImportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: ['csv', 'ndjson'], description: 'default: from the content type (text/csv, application/x-ndjson)' },
    mode: {
      type: 'string',
      enum: CONSENT_IMPORT_MODES,
      default: 'all-or-nothing',
      description: 'all-or-nothing (default: a consent file is evidence) records every row or none; skip-bad-rows records the good rows',
    },
    fileName: { type: 'string', minLength: 1, maxLength: 200, description: "the file's name, kept in each entry's evidence (importedFrom)" },
  },
} as const;

/** 200 of POST /v1/messaging/consent/imports (also `details` of its CONSENT_IMPORT_INVALID). */
export const consentImportReport = {
  type: 'object',
  required: ['format', 'mode', 'rows', 'recorded', 'unchanged', 'skipped', 'rejected', 'errorCount', 'errors'],
  properties: {
    format: { type: 'string', enum: ['csv', 'ndjson'] },
    mode: { type: 'string', enum: CONSENT_IMPORT_MODES },
    rows: { type: 'integer', description: 'data rows read' },
    recorded: { type: 'integer', description: 'ledger entries written' },
    unchanged: { type: 'integer', description: 'good rows already the newest ledger entry (a re-import)' },
    skipped: { type: 'integer', description: 'rows not recorded' },
    rejected: { type: 'boolean', description: 'all-or-nothing found bad rows and recorded nothing' },
    errorCount: { type: 'integer' },
    errors: {
      type: 'array',
      description: 'the first 1,000 row errors, in file order',
      items: {
        type: 'object',
        required: ['line', 'reason'],
        properties: { line: { type: 'integer', description: '1-based line; the CSV header is line 1' }, field: { type: 'string' }, reason: { type: 'string' } },
      },
    },
  },
} as const;
