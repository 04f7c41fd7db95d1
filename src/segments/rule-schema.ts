/**
 * The rule language as a JSON Schema (draft-07), served at GET /v1/segments/schema. It states the
 * shapes, enums and numeric ranges; what it cannot state (depth, node count, the whole tree's list
 * values and SQL parameters, calendar validity of dates, from < to) the validator
 * (rule-validation.ts) enforces.
 */
import { COMMUNITY_ROLES, LIFECYCLE_STAGES, RFM_CELLS } from './rule.types.js';
import { DATE_RE, DATE_TIME_RE, NUMERIC_FIELDS, PROFILE_FIELDS, RULE_LIMITS, RULE_TYPES } from './rule-limits.js';

const S_STRING = { type: 'string', minLength: 1, maxLength: RULE_LIMITS.maxString } as const;
const S_SCALAR = { anyOf: [{ type: 'string', maxLength: RULE_LIMITS.maxString }, { type: 'number' }, { type: 'boolean' }] } as const;
const S_DATE = { type: 'string', pattern: DATE_RE.source, description: 'A calendar date, YYYY-MM-DD' } as const;
const S_DATE_TIME = {
  type: 'string',
  pattern: DATE_TIME_RE.source,
  description: 'An ISO 8601 date-time with an offset, e.g. 2026-01-01T00:00:00+08:00',
} as const;
const S_DAYS = { type: 'integer', minimum: 0, maximum: RULE_LIMITS.maxDays } as const;

type Props = Record<string, unknown>;
function variant(base: Props, baseRequired: string[], ops: readonly string[], extra: Props, description?: string) {
  return {
    type: 'object',
    additionalProperties: false,
    required: [...baseRequired, 'op', ...Object.keys(extra)],
    properties: { ...base, op: { enum: [...ops] }, ...extra },
    ...(description ? { description } : {}),
  };
}
function compareVariants(base: Props, req: string[], numbersOnly = false) {
  const number = { type: 'number' };
  return [
    variant(
      base,
      req,
      ['eq', 'neq'],
      { value: numbersOnly ? number : S_SCALAR },
      'Equal / not equal; a value of another JSON type never equals; neq is true when absent',
    ),
    variant(
      base,
      req,
      ['lt', 'lte', 'gt', 'gte'],
      { value: numbersOnly ? number : { anyOf: [number, { type: 'string', maxLength: RULE_LIMITS.maxString }] } },
      'Numbers numerically, strings by code point',
    ),
    variant(
      base,
      req,
      ['in', 'not_in'],
      { value: { type: 'array', minItems: 1, maxItems: RULE_LIMITS.maxInValues, items: numbersOnly ? number : S_SCALAR } },
      'Equal to any element; not_in is true when absent',
    ),
    ...(numbersOnly
      ? []
      : [
          variant(
            base,
            req,
            ['contains'],
            { value: { anyOf: [S_STRING, number, { type: 'boolean' }] } },
            'A string containing the text (case-sensitive), or an array holding the value',
          ),
        ]),
    variant(base, req, ['exists', 'not_exists'], {}, 'Present and not null / absent or null'),
  ];
}
function dateVariants(base: Props, req: string[], birthday: boolean) {
  return [
    variant(base, req, ['before', 'after'], { value: S_DATE }, 'Local date strictly before / after the given date'),
    variant(base, req, ['within_last_days', 'within_next_days', 'more_than_days_ago'], { days: S_DAYS }, 'Relative to today in the workspace time zone'),
    ...(birthday
      ? [
          variant(
            base,
            req,
            ['birthday_in_days'],
            { days: { type: 'integer', minimum: 0, maximum: RULE_LIMITS.maxBirthdayDays } },
            'Month-day within [today, today + days], year ignored',
          ),
        ]
      : []),
  ];
}
const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
const list = (values: readonly string[]) => ({ type: 'array', minItems: 1, maxItems: values.length, items: { enum: [...values] } });
function node(type: string, description: string, properties: Props, req: string[]) {
  return { type: 'object', description, additionalProperties: false, required: ['type', ...req], properties: { type: { const: type }, ...properties } };
}
const whereSchema = {
  type: 'array',
  maxItems: RULE_LIMITS.maxWhere,
  items: ref('propertyFilter'),
  description: "Filters on the event's properties, all of which must hold",
};

/** The rule language as a JSON Schema (draft-07); `validateRule` is the authority and also enforces depth and size limits. */
export const RULE_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Siyu segment rule',
  description: `A segment rule: a tree of at most ${RULE_LIMITS.maxNodes} nodes and ${RULE_LIMITS.maxDepth} levels, ${RULE_LIMITS.maxListValues} list values in all and an estimated ${RULE_LIMITS.maxParameters} SQL parameters. See docs/segments-rules.md.`,
  oneOf: RULE_TYPES.map((t) => ref(t)),
  definitions: {
    rule: { oneOf: RULE_TYPES.map((t) => ref(t)) },
    and: node('and', 'All of the rules hold', { rules: { type: 'array', minItems: 1, items: ref('rule') } }, ['rules']),
    or: node('or', 'Any of the rules holds', { rules: { type: 'array', minItems: 1, items: ref('rule') } }, ['rules']),
    not: node('not', 'The rule does not hold', { rule: ref('rule') }, ['rule']),
    trait: {
      description: 'A top-level trait of the profile',
      oneOf: [
        ...compareVariants({ type: { const: 'trait' }, key: S_STRING }, ['type', 'key']),
        ...dateVariants({ type: { const: 'trait' }, key: S_STRING }, ['type', 'key'], true),
      ],
    },
    profile: {
      description: 'A built-in profile field: purchase aggregates (numbers) and activity times (dates)',
      oneOf: [
        ...compareVariants({ type: { const: 'profile' }, field: { enum: [...NUMERIC_FIELDS] } }, ['type', 'field'], true),
        ...[
          ...dateVariants({ type: { const: 'profile' }, field: { enum: PROFILE_FIELDS.filter((f) => !NUMERIC_FIELDS.includes(f)) } }, ['type', 'field'], false),
        ],
        variant(
          { type: { const: 'profile' }, field: { enum: PROFILE_FIELDS.filter((f) => !NUMERIC_FIELDS.includes(f)) } },
          ['type', 'field'],
          ['exists', 'not_exists'],
          {},
        ),
      ],
    },
    tagRef: {
      oneOf: [
        { type: 'object', additionalProperties: false, required: ['id'], properties: { id: S_STRING } },
        { type: 'object', additionalProperties: false, required: ['name'], properties: { group: { ...S_STRING, default: 'default' }, name: S_STRING } },
      ],
    },
    tag: node(
      'tag',
      'Holds all / any of the tags',
      { tags: { type: 'array', minItems: 1, maxItems: RULE_LIMITS.maxTags, items: ref('tagRef') }, match: { enum: ['all', 'any'] } },
      ['tags', 'match'],
    ),
    propertyFilter: { oneOf: compareVariants({ property: S_STRING }, ['property']) },
    event: node(
      'event',
      'Performed a track event a number of times (default at least once) within a window (default all time)',
      {
        event: S_STRING,
        count: {
          type: 'object',
          additionalProperties: false,
          required: ['op', 'value'],
          properties: { op: { enum: ['at_least', 'at_most', 'exactly'] }, value: { type: 'integer', minimum: 0, maximum: RULE_LIMITS.maxCount } },
        },
        window: {
          oneOf: [
            {
              type: 'object',
              additionalProperties: false,
              required: ['lastDays'],
              properties: { lastDays: { type: 'integer', minimum: 1, maximum: RULE_LIMITS.maxDays } },
            },
            {
              type: 'object',
              additionalProperties: false,
              required: ['from', 'to'],
              properties: { from: S_DATE_TIME, to: S_DATE_TIME },
              description: 'from inclusive, to exclusive',
            },
          ],
        },
        where: whereSchema,
      },
      ['event'],
    ),
    last_performed: node(
      'last_performed',
      'Performed the event at least once, and the latest time is more than moreThanDays days ago',
      { event: S_STRING, moreThanDays: S_DAYS, where: whereSchema },
      ['event', 'moreThanDays'],
    ),
    never_performed: node('never_performed', 'Never performed the event (matching the filters)', { event: S_STRING, where: whereSchema }, ['event']),
    rfm: node('rfm', 'RFM cell is one of', { cells: list(RFM_CELLS) }, ['cells']),
    lifecycle: node('lifecycle', 'Lifecycle stage is one of', { stages: list(LIFECYCLE_STAGES) }, ['stages']),
    community_role: node('community_role', 'Community role is one of', { roles: list(COMMUNITY_ROLES) }, ['roles']),
    consent: node('consent', 'Consent state for a category', { key: S_STRING, state: { enum: ['granted', 'denied', 'unknown'] } }, ['key', 'state']),
    segment: node('segment', 'Member of another segment', { segmentId: S_STRING }, ['segmentId']),
    bucket: node(
      'bucket',
      'Stable random bucket 0-99 from md5(salt + ":" + profile id); matches from <= bucket < to',
      {
        from: { type: 'integer', minimum: 0, maximum: 99 },
        to: { type: 'integer', minimum: 1, maximum: 100 },
        salt: { type: 'string', maxLength: RULE_LIMITS.maxString, default: '' },
      },
      ['from', 'to'],
    ),
  },
} as const;
