/** JSON schemas of the data-subject request API; free of server code (the console derives its types from them). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

const KINDS = ['export', 'erasure', 'correction'] as const;
const STATUSES = ['received', 'in_progress', 'completed', 'rejected'] as const;

/** What a correction sets: traits (null clears one) and identifiers to add or remove. */
export const correctionChanges = {
  type: 'object',
  additionalProperties: false,
  properties: {
    traits: { type: 'object', maxProperties: 100, description: 'traits to set; null removes one' },
    identifiers: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'value', 'action'],
        properties: {
          type: { type: 'string', minLength: 1, maxLength: 64 },
          value: { type: 'string', minLength: 1, maxLength: 300 },
          action: { type: 'string', enum: ['add', 'remove'] },
        },
      },
    },
  },
} as const;

/** Body of `POST /v1/privacy/requests`. */
export const newPrivacyRequestBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'subject'],
  properties: {
    kind: { type: 'string', enum: KINDS },
    subject: {
      type: 'string',
      minLength: 1,
      maxLength: 300,
      description: 'the person: a profile id (prf_…) or an identifier as type:value (phone:+86…, email:…, user_id:…)',
    },
    note: { type: 'string', maxLength: 2000, description: 'how the request came in, who verified the person' },
    changes: correctionChanges,
  },
} as const;

/** Query of `GET /v1/privacy/requests`. */
export const privacyListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { type: 'string', enum: STATUSES }, kind: { type: 'string', enum: KINDS }, ...pageQueryProperties(50, 200) },
} as const;

/** Body of `POST /v1/privacy/requests/:id/reject`. */
export const rejectBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } },
} as const;

/** A data-subject request. */
export const privacyRequestSchema = {
  type: 'object',
  required: [
    'id',
    'kind',
    'subject',
    'profileId',
    'status',
    'note',
    'changes',
    'receivedAt',
    'dueDate',
    'deadlineAt',
    'overdue',
    'requestedBy',
    'completedAt',
    'completion',
  ],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: KINDS },
    subject: { type: 'string', description: 'as received; after an erasure, a hash of it' },
    profileId: { type: ['string', 'null'], description: 'the profile the subject named when received (null: nobody known)' },
    status: { type: 'string', enum: STATUSES },
    note: { type: ['string', 'null'] },
    changes: { description: 'a correction: the traits and identifiers to set' },
    receivedAt: { type: 'string' },
    dueDate: {
      type: 'string',
      description: 'the 15th working day after receipt (Mon–Fri, workspace time zone; holidays only when settings.holidays lists them)',
    },
    deadlineAt: { type: 'string', description: 'the first instant after the due date' },
    overdue: { type: 'boolean' },
    requestedBy: { type: ['string', 'null'], description: 'key:<id> or user:<id>' },
    completedAt: { type: ['string', 'null'] },
    completion: { description: 'what was done, per module and kind; or why it was rejected' },
  },
} as const;

/** `GET /v1/privacy/requests`. */
export const privacyPage = pageSchema(privacyRequestSchema, 'requests, newest first');
