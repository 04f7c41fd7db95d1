import { RULE_JSON_SCHEMA } from '../segments/index.js';
import { CHANNELS } from '../messaging/index.js';
import { DEFINITION_LIMITS, STEP_TYPES } from './definition.js';

/**
 * The journey definition language as a JSON Schema (draft-07), served at GET /v1/journeys/schema
 * for editors and the console. `validateDefinition` is the authority: it also checks step
 * references, reachability, loops without a wait, and the rules inside branches.
 */

const id = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const time = { type: 'string', pattern: '^([01]\\d|2[0-3]):([0-5]\\d)$', description: 'local time HH:MM' } as const;
const duration = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    days: { type: 'integer', minimum: 0, maximum: DEFINITION_LIMITS.maxDurationDays },
    hours: { type: 'integer', minimum: 0 },
    minutes: { type: 'integer', minimum: 0 },
    seconds: { type: 'integer', minimum: 0 },
  },
} as const;
const where = { type: 'array', maxItems: 20, items: { $ref: '#/definitions/propertyFilter' } } as const;
const tag = { type: 'object', additionalProperties: false, required: ['name'], properties: { group: { type: 'string' }, name: { type: 'string' } } } as const;

function step(type: string, properties: Record<string, unknown>, required: string[] = []) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'type', ...required],
    properties: { id, name: { type: 'string' }, type: { const: type }, ...properties },
  };
}

/** The published JSON Schema of a journey definition. */
export const JOURNEY_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Siyu journey definition',
  description: 'See docs/journeys.md.',
  type: 'object',
  additionalProperties: false,
  required: ['trigger', 'steps'],
  definitions: RULE_JSON_SCHEMA.definitions,
  properties: {
    trigger: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'event'],
          properties: { type: { const: 'event' }, event: { type: 'string' }, where },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'segmentId'],
          properties: { type: { enum: ['segment_entered', 'segment_exited'] }, segmentId: { type: 'string' } },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'trait', 'kind'],
          properties: {
            type: { const: 'date' },
            trait: { type: 'string' },
            kind: { enum: ['anniversary', 'month_age'] },
            fromMonths: { type: 'integer', minimum: 1 },
            toMonths: { type: 'integer', minimum: 1 },
          },
        },
        { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'manual' } } },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'every', 'at', 'audience'],
          properties: {
            type: { const: 'schedule' },
            every: { enum: ['day', 'week'] },
            at: time,
            weekdays: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 7 } },
            audience: {
              oneOf: [
                { type: 'object', additionalProperties: false, required: ['segmentId'], properties: { segmentId: { type: 'string' } } },
                {
                  type: 'object',
                  additionalProperties: false,
                  required: ['wecomGroups'],
                  properties: {
                    wecomGroups: {
                      type: 'object',
                      additionalProperties: false,
                      properties: { chatIds: { type: 'array', items: { type: 'string' } }, nameContains: { type: 'string' } },
                    },
                  },
                },
              ],
            },
          },
        },
      ],
    },
    entry: {
      type: 'object',
      additionalProperties: false,
      required: ['reentry'],
      properties: { reentry: { enum: ['never', 'after_exit', 'always'] }, maxEntries: { type: 'integer', minimum: 1 } },
    },
    goal: {
      type: 'object',
      additionalProperties: false,
      required: ['event', 'withinDays'],
      properties: { event: { type: 'string' }, where, withinDays: { type: 'integer', minimum: 1, maximum: DEFINITION_LIMITS.maxGoalDays } },
    },
    start: id,
    steps: {
      type: 'array',
      minItems: 1,
      maxItems: DEFINITION_LIMITS.maxSteps,
      items: {
        oneOf: [
          step('wait', {
            duration,
            untilTime: time,
            untilDate: {
              type: 'object',
              additionalProperties: false,
              required: ['trait'],
              properties: { trait: { type: 'string' }, offsetDays: { type: 'integer' }, at: time, annual: { type: 'boolean' } },
            },
            next: id,
          }),
          step('wait_for_event', { event: { type: 'string' }, where, timeout: duration, next: id, timeoutNext: id }, ['event', 'timeout']),
          step(
            'branch',
            {
              branches: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['rule'],
                  properties: { name: { type: 'string' }, rule: { $ref: '#/definitions/rule' }, next: id },
                },
              },
              defaultNext: id,
            },
            ['branches'],
          ),
          step(
            'split',
            {
              salt: { type: 'string' },
              holdoutPercent: { type: 'integer', minimum: 0, maximum: 99 },
              variants: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['key', 'weight'],
                  properties: { key: id, weight: { type: 'integer', minimum: 1 }, next: id },
                },
              },
            },
            ['variants'],
          ),
          step(
            'send',
            {
              channel: { enum: [...CHANNELS] },
              templateId: { type: 'string' },
              content: { type: 'object' },
              purpose: { enum: ['marketing', 'service'] },
              data: { type: 'object' },
              recipient: { type: 'object', properties: { chatId: { type: 'string' }, sender: { type: 'string' } } },
              next: id,
            },
            ['channel'],
          ),
          step('update_trait', { set: { type: 'object' }, unset: { type: 'array', items: { type: 'string' } }, next: id }),
          step('tag', { add: { type: 'array', items: tag }, remove: { type: 'array', items: tag }, next: id }),
          step('award', { points: { type: 'integer', minimum: 1 }, couponTemplateId: { type: 'string' }, reason: { type: 'string' }, next: id }),
          step('webhook', { body: { type: 'object' }, next: id }, ['body']),
          step('goal', { event: { type: 'string' }, where, withinDays: { type: 'integer', minimum: 1 }, next: id }, ['event', 'withinDays']),
          step('exit', {}),
        ],
      },
      description: `Step types: ${STEP_TYPES.join(', ')}`,
    },
  },
} as const;
