/**
 * JSON schemas of the SCRM operations API (SOPs and tasks, handover, alerts, sensitive words, the
 * conversation archive search). Free of server code: the console derives its types from them
 * (console/src/api-types-scrm.ts).
 */
import { pageQueryProperties, pageSchema } from '../../platform/http-schemas.js';

const anyObject = { type: 'object', additionalProperties: true } as const;

/** The states of a SOP task. */
export const TASK_STATUSES = ['pending', 'sending', 'waiting', 'done', 'failed'] as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
export type Id = { Params: { id: string } };

/** A SOP in responses. */
export const sopSchema = {
  type: 'object',
  required: ['id', 'name', 'status', 'target', 'steps', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string', enum: ['active', 'paused', 'archived'] },
    target: {
      ...anyObject,
      description:
        '{ type: "groups", chatIds?, owners?, groupTagIds? } or { type: "customers", segmentId } or { type: "customers", newContacts: true, liveCodeStates? }',
    },
    steps: {
      type: 'array',
      items: anyObject,
      description: '[{ id, name?, schedule: { kind: "relative", day, time } | { kind: "recurring", weekdays, time }, content: { text?, attachments? } }]',
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** Query of `GET /v1/wecom/sops`. */
export const sopsQuery = { type: 'object', properties: { includeArchived: { type: 'boolean', default: false }, ...pageQueryProperties(100, 500) } } as const;

/** A SOP task in responses; the list adds the names of its SOP, staff member and target. */
export const taskSchema = {
  type: 'object',
  required: ['id', 'sopId', 'stepId', 'targetType', 'targetId', 'occurrence', 'staff', 'dueAt', 'status', 'msgid', 'error', 'completedBy', 'completedAt'],
  properties: {
    id: { type: 'string' },
    sopId: { type: 'string' },
    stepId: { type: 'string' },
    targetType: { type: 'string', enum: ['group', 'customer'] },
    targetId: { type: 'string' },
    occurrence: { type: 'string' },
    staff: { type: 'string' },
    dueAt: { type: 'string' },
    status: { type: 'string', enum: [...TASK_STATUSES] },
    msgid: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    completedBy: { type: ['string', 'null'] },
    completedAt: { type: ['string', 'null'] },
    sopName: { type: ['string', 'null'], description: 'in lists: the name of the SOP' },
    stepName: { type: ['string', 'null'], description: "in lists: the step's name, when it has one" },
    staffName: { type: ['string', 'null'], description: "in lists: the staff member's name, when synced" },
    targetName: { type: ['string', 'null'], description: "in lists: the customer's or group's name, when known" },
  },
} as const;

/** Query of `GET /v1/wecom/tasks`. */
export const tasksQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    staff: { type: 'string', maxLength: 64 },
    date: { type: 'string', maxLength: 10 },
    status: { type: 'string', enum: [...TASK_STATUSES] },
    sopId: { type: 'string', maxLength: 64 },
    ...pageQueryProperties(100, 1000),
  },
} as const;

/** One customer's handover. */
export const handoverSchema = {
  type: 'object',
  required: [
    'id',
    'batchId',
    'kind',
    'fromUserid',
    'toUserid',
    'externalUserid',
    'status',
    'errcode',
    'wecomStatus',
    'reason',
    'takeoverAt',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    id: { type: 'string' },
    batchId: { type: 'string' },
    kind: { type: 'string', enum: ['in_service', 'resigned'] },
    fromUserid: { type: 'string' },
    toUserid: { type: 'string' },
    externalUserid: { type: 'string' },
    status: { type: 'string', enum: ['waiting', 'succeeded', 'failed'] },
    errcode: { type: ['integer', 'null'], description: "WeCom's per-customer errcode of the transfer call" },
    wecomStatus: { type: ['integer', 'null'], description: "WeCom's transfer_result status (1 accepted, 2 waiting, 3 refused, 4 limit, 5 no customer)" },
    reason: { type: ['string', 'null'] },
    takeoverAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

/** Body of `POST /v1/wecom/handovers`. */
export const handoverBody = {
  type: 'object',
  required: ['kind', 'fromUserid', 'toUserid'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['in_service', 'resigned'] },
    fromUserid: { type: 'string', minLength: 1, maxLength: 64 },
    toUserid: { type: 'string', minLength: 1, maxLength: 64 },
    externalUserids: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, minItems: 1, maxItems: 10000 },
    transferMessage: { type: 'string', maxLength: 200 },
  },
} as const;

/** `POST /v1/wecom/handovers`. */
export const handoverResultSchema = {
  type: 'object',
  required: ['batchId', 'handovers', 'refused'],
  properties: {
    batchId: { type: 'string' },
    handovers: { type: 'array', items: handoverSchema },
    refused: {
      type: 'array',
      items: { type: 'object', required: ['externalUserid', 'reason'], properties: { externalUserid: { type: 'string' }, reason: { type: 'string' } } },
    },
  },
} as const;

/** Query of `GET /v1/wecom/handovers`. */
export const handoversQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['waiting', 'succeeded', 'failed'] },
    fromUserid: { type: 'string' },
    toUserid: { type: 'string' },
    batchId: { type: 'string' },
    ...pageQueryProperties(500, 1000),
  },
} as const;

/** A customer of a member who left (`GET /v1/wecom/unassigned`). */
export const unassignedSchema = {
  type: 'object',
  required: ['handoverUserid', 'externalUserid', 'dimissionAt'],
  properties: { handoverUserid: { type: 'string' }, externalUserid: { type: 'string' }, dimissionAt: { type: ['string', 'null'] } },
} as const;

/** Query of `GET /v1/wecom/unassigned`. */
export const unassignedQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { cursor: { type: 'string', maxLength: 512 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 } },
} as const;

/** The kinds of alert. */
export const ALERT_KINDS = ['customer_deleted_staff', 'staff_deleted_customer', 'keyword'] as const;

/** A churn or sensitive-word alert. */
export const alertSchema = {
  type: 'object',
  required: ['id', 'kind', 'userid', 'externalUserid', 'profileId', 'customerName', 'word', 'excerpt', 'msgid', 'notifyStatus', 'status', 'at', 'ackedAt'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: [...ALERT_KINDS] },
    userid: { type: ['string', 'null'] },
    externalUserid: { type: ['string', 'null'] },
    profileId: { type: ['string', 'null'] },
    customerName: { type: ['string', 'null'] },
    word: { type: ['string', 'null'], description: 'keyword alerts: the sensitive word' },
    excerpt: { type: ['string', 'null'], description: 'keyword alerts: the text around the hit' },
    msgid: { type: ['string', 'null'] },
    notifyStatus: { type: ['string', 'null'], description: 'churn alerts: sent, not notified: ..., failed: ...' },
    status: { type: 'string', enum: ['open', 'acked'] },
    at: { type: 'string' },
    ackedAt: { type: ['string', 'null'] },
  },
} as const;

/** Query of `GET /v1/wecom/alerts`. */
export const alertsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: [...ALERT_KINDS] },
    status: { type: 'string', enum: ['open', 'acked'] },
    userid: { type: 'string' },
    ...pageQueryProperties(100, 1000),
  },
} as const;

/** A sensitive word. */
export const wordSchema = {
  type: 'object',
  required: ['id', 'word', 'createdAt'],
  properties: { id: { type: 'string' }, word: { type: 'string' }, createdAt: { type: 'string' } },
} as const;

/** Body of `POST /v1/wecom/sensitive-words`. */
export const wordsBody = {
  type: 'object',
  required: ['words'],
  additionalProperties: false,
  properties: { words: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 50 } } },
} as const;

/** Query of `GET /v1/wecom/archive/messages`. */
export const archiveSearchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', minLength: 1, maxLength: 100, description: 'part of the text (case-insensitive)' },
    userid: { type: 'string', maxLength: 64, description: 'the staff member of the conversation' },
    externalUserid: { type: 'string', maxLength: 128, description: 'the customer' },
    msgid: { type: 'string', maxLength: 150, description: "one message by WeCom's msgid (e.g. of a keyword alert)" },
    direction: { type: 'string', enum: ['sent', 'received'], description: 'sent: staff to customer; received: customer to staff or in a group' },
    from: { type: 'string', description: 'YYYY-MM-DD, first local day (workspace time zone)' },
    to: { type: 'string', description: 'YYYY-MM-DD, last local day' },
    ...pageQueryProperties(50, 200),
  },
} as const;

/** One archived message (`GET /v1/wecom/archive/messages`), with the sensitive words it holds. */
export const archiveMessageSchema = {
  type: 'object',
  required: ['msgid', 'at', 'direction', 'userid', 'staffName', 'externalUserid', 'customerName', 'profileId', 'roomid', 'msgtype', 'content', 'hits'],
  properties: {
    msgid: { type: 'string' },
    at: { type: 'string' },
    direction: { type: 'string', enum: ['sent', 'received'] },
    userid: { type: ['string', 'null'], description: 'the staff member (null for a customer message in a group)' },
    staffName: { type: ['string', 'null'] },
    externalUserid: { type: 'string' },
    customerName: { type: ['string', 'null'] },
    profileId: { type: 'string' },
    roomid: { type: ['string', 'null'], description: 'the group chat, for group messages' },
    msgtype: { type: 'string' },
    content: { type: 'string', description: 'the text, or [image] etc. for other message types' },
    hits: { type: 'array', items: { type: 'string' }, description: "the workspace's sensitive words the text contains" },
  },
} as const;

/** `GET /v1/wecom/archive/messages`. */
export const archivePage = pageSchema(archiveMessageSchema);
