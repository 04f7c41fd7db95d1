/** Request and response schemas of the journeys API, shared by its route files. */
import type { requireKey } from '../platform/http.js';

/** The preHandler of the secret-key routes. */
export type PreHandler = ReturnType<typeof requireKey>;

/** Any JSON object. */
export const anyObject = { type: 'object', additionalProperties: true } as const;

/** Publish warnings: `{ code, stepId, message }` (codes: AWARD_WITHOUT_LOYALTY, CHANNEL_NOT_CONFIGURED, TEMPLATE_VARIABLE_UNSOURCED). */
const warningsSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      code: { type: 'string', enum: ['AWARD_WITHOUT_LOYALTY', 'CHANNEL_NOT_CONFIGURED', 'TEMPLATE_VARIABLE_UNSOURCED'] },
      stepId: { type: 'string' },
      message: { type: 'string' },
    },
  },
} as const;

/** A journey as the API answers it (with its version after a publish, its versions when read). */
export const journeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    status: { type: 'string', enum: ['draft', 'active', 'paused', 'archived'] },
    currentVersion: { type: ['integer', 'null'] },
    definition: { ...anyObject, description: 'the draft definition (published as the next version)' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    version: { type: 'integer' },
    warnings: { ...warningsSchema, description: 'after a publish: steps that cannot run as written (the journey is published anyway)' },
    publishWarnings: { ...warningsSchema, description: 'the warnings of the last publish' },
    versions: { type: 'array', items: { type: 'object', properties: { version: { type: 'integer' }, definition: anyObject, createdAt: { type: 'string' } } } },
  },
} as const;

/** `:id` of a journey. */
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
/** The route generic of `:id` routes. */
export type Id = { Params: { id: string } };
