/**
 * Request and response JSON schemas of the profile and tag management API (they also feed the
 * OpenAPI document at /openapi.json). Responses are serialised through them, so every field a
 * client may read must be listed here, and `required` names the fields always present: the console
 * derives its types from these schemas (console/src/api-types.ts), so this file imports nothing.
 */

const isoOrNull = { type: ['string', 'null'], description: 'ISO-8601 time, or null' } as const;

const anyObject = { type: 'object', additionalProperties: true } as const;

/** A tag as attached to a profile. */
export const profileTagSchema = {
  type: 'object',
  required: ['id', 'group', 'name', 'source'],
  properties: {
    id: { type: 'string' },
    group: { type: 'string' },
    name: { type: 'string' },
    source: { type: 'string', enum: ['manual', 'import', 'rule', 'event'] },
  },
} as const;

/** One identifier of a profile; PII values (phone, email) are decrypted. */
export const identifierSchema = {
  type: 'object',
  required: ['type', 'value', 'firstSeenAt'],
  properties: { type: { type: 'string' }, value: { type: ['string', 'null'] }, firstSeenAt: { type: 'string' } },
} as const;

/** One event on a timeline. */
export const timelineEventSchema = {
  type: 'object',
  required: ['messageId', 'type', 'event', 'timestamp', 'receivedAt', 'payload'],
  properties: {
    messageId: { type: 'string' },
    type: { type: 'string' },
    event: { type: ['string', 'null'] },
    timestamp: { type: 'string' },
    receivedAt: { type: 'string' },
    payload: anyObject,
  },
} as const;

/** A page of timeline events, newest first. */
export const timelinePageSchema = {
  type: 'object',
  required: ['data', 'nextCursor'],
  properties: { data: { type: 'array', items: timelineEventSchema }, nextCursor: { type: ['string', 'null'] } },
} as const;

const profileProperties = {
  id: { type: 'string' },
  identifiers: { type: 'array', items: identifierSchema },
  traits: anyObject,
  tags: { type: 'array', items: profileTagSchema },
  aggregates: {
    type: 'object',
    description: 'Net of refunds and cancellations: orderCount and totalSpentFen (= grossSpentFen − refundedFen) count no cancelled or fully refunded order.',
    required: ['orderCount', 'totalSpentFen', 'grossSpentFen', 'refundedFen', 'firstPurchaseAt', 'lastPurchaseAt'],
    properties: {
      orderCount: { type: 'integer' },
      totalSpentFen: { type: 'integer' },
      grossSpentFen: { type: 'integer' },
      refundedFen: { type: 'integer' },
      firstPurchaseAt: isoOrNull,
      lastPurchaseAt: isoOrNull,
    },
  },
  consent: {
    type: 'object',
    additionalProperties: { type: 'object', required: ['granted', 'at'], properties: { granted: { type: 'boolean' }, at: { type: 'string' } } },
  },
  firstSeenAt: isoOrNull,
  lastSeenAt: isoOrNull,
  createdAt: { type: 'string' },
  updatedAt: { type: 'string' },
  mergedIds: { type: 'array', items: { type: 'string' }, description: 'Ids of profiles merged into this one (they redirect here)' },
} as const;

const profileFields = [
  'id',
  'identifiers',
  'traits',
  'tags',
  'aggregates',
  'consent',
  'firstSeenAt',
  'lastSeenAt',
  'createdAt',
  'updatedAt',
  'mergedIds',
] as const;

/** A profile without its timeline (lists, trait updates). */
export const profileSummarySchema = { type: 'object', required: profileFields, properties: profileProperties } as const;

/** What the segmentation models computed for a profile; each part is null until its model gave the profile a value. */
export const profileModelsSchema = {
  type: 'object',
  required: ['rfm', 'lifecycle', 'communityRole'],
  properties: {
    rfm: {
      type: ['object', 'null'],
      description: 'RFM scores (1-5, 5 best), the cell they fall in, and the run that computed them',
      required: ['r', 'f', 'm', 'cell', 'computedAt'],
      properties: {
        r: { type: 'integer' },
        f: { type: 'integer' },
        m: { type: 'integer' },
        cell: { type: 'string', description: 'RFM cell key, e.g. important_value (names: GET /v1/models/rfm/report)' },
        computedAt: { type: 'string' },
      },
    },
    lifecycle: {
      type: ['object', 'null'],
      description: 'Lifecycle stage and when the profile entered it',
      required: ['stage', 'since'],
      properties: {
        stage: { type: 'string', description: 'prospect, new, active, loyal, silent or churned (docs/models.md)' },
        since: { type: 'string' },
      },
    },
    communityRole: {
      type: ['object', 'null'],
      description: 'Role among the WeCom group members (koc, active, lurker) with its activity score; null for a profile in no group',
      required: ['role', 'score', 'computedAt'],
      properties: {
        role: { type: 'string', description: 'koc, active or lurker (docs/models.md)' },
        score: { type: 'number' },
        computedAt: { type: 'string' },
      },
    },
  },
} as const;

/** A profile with what the models computed for it and the first page of its timeline. */
export const profileSchema = {
  type: 'object',
  required: [...profileFields, 'models', 'timeline'],
  properties: { ...profileProperties, models: profileModelsSchema, timeline: timelinePageSchema },
} as const;

/** `:id` of a profile route: a profile id or an identifier reference. */
export const profileRefParams = {
  type: 'object',
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      minLength: 1,
      description: 'A profile id (prf_...) or an identifier `type:value`, e.g. user_id:u1, phone:13800138000, email:a@x.com, openid:<appid>:<openid>',
    },
  },
} as const;

const limit = (max: number, def: number) => ({ type: 'integer', minimum: 1, maximum: max, default: def }) as const;

/** Query of GET /v1/profiles/:id/events. */
export const timelineQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: limit(200, 50),
    cursor: { type: 'string', description: 'nextCursor from the previous page' },
    type: { type: 'string', enum: ['track', 'identify', 'page', 'screen', 'group', 'alias'] },
    event: { type: 'string', minLength: 1, maxLength: 200, description: 'Event name (track) or page/screen name' },
  },
} as const;

/** Query of GET /v1/profiles. */
export const listProfilesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: limit(200, 50),
    cursor: { type: 'string', description: 'nextCursor from the previous page' },
    identifier: { type: 'string', minLength: 3, description: 'Only the profile holding this identifier, `type:value`' },
    trait: { type: 'array', items: { type: 'string' }, description: '`key:value`, compared as text; repeat to require several' },
    tag: { type: 'array', items: { type: 'string' }, description: 'A tag id (tag_...) or `group/name`; repeat to require several' },
    q: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'Matches a profile id, an identifier value (phone and email in any format), or part of name/firstName/lastName/username/nickname',
    },
    segment: { type: 'string', minLength: 1, maxLength: 100, description: 'Only the current members of this segment (a segment id)' },
    rfmCell: {
      type: 'array',
      maxItems: 8,
      items: { type: 'string', minLength: 1, maxLength: 64 },
      description: 'Only profiles whose RFM cell is one of these (e.g. important_value; repeat for several)',
    },
    lifecycleStage: {
      type: 'array',
      maxItems: 6,
      items: { type: 'string', minLength: 1, maxLength: 64 },
      description: 'Only profiles in one of these lifecycle stages (prospect, new, active, loyal, silent, churned; repeat for several)',
    },
  },
} as const;

/** A page of profiles. */
export const profileListSchema = {
  type: 'object',
  required: ['data', 'nextCursor'],
  properties: { data: { type: 'array', items: profileSummarySchema }, nextCursor: { type: ['string', 'null'] } },
} as const;

/** Body of PATCH /v1/profiles/:id/traits. */
export const patchTraitsBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    set: { type: 'object', additionalProperties: true, description: 'Traits to set (last write wins by time, now)' },
    unset: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 1000, description: 'Trait keys to remove' },
  },
} as const;

/** Query of GET /v1/profiles/:id/merges. */
export const mergesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: limit(200, 50), cursor: { type: 'string', description: 'nextCursor from the previous page' } },
} as const;

/** A page of merge history records, newest first. */
export const mergeListSchema = {
  type: 'object',
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          kind: { type: 'string', enum: ['merge', 'refused'] },
          fromProfileId: { type: 'string' },
          intoProfileId: { type: 'string' },
          identifierType: { type: 'string' },
          reason: { type: 'string' },
          messageId: { type: ['string', 'null'] },
          at: { type: 'string' },
        },
      },
    },
    nextCursor: { type: ['string', 'null'] },
  },
} as const;

const tagName = { type: 'string', minLength: 1, maxLength: 200, description: 'Trimmed; 1 to 64 characters' } as const;

/** A reference to a tag in a request: by id, or by group and name (created if missing). */
export const tagInputSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { id: { type: 'string', minLength: 1 }, group: tagName, name: tagName },
} as const;

/** Body of POST /v1/profiles/:id/tags. */
export const addTagsBody = {
  type: 'object',
  required: ['tags'],
  additionalProperties: false,
  properties: { tags: { type: 'array', minItems: 1, maxItems: 100, items: tagInputSchema } },
} as const;

/** A profile's tags after a change. */
export const profileTagsSchema = {
  type: 'object',
  properties: { profileId: { type: 'string' }, tags: { type: 'array', items: profileTagSchema } },
} as const;

/** A tag group of the catalogue. */
export const tagGroupSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, tagCount: { type: 'integer' }, createdAt: { type: 'string' } },
} as const;

/** A tag of the catalogue. */
export const tagSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    groupId: { type: 'string' },
    group: { type: 'string' },
    name: { type: 'string' },
    profileCount: { type: 'integer' },
    createdAt: { type: 'string' },
  },
} as const;

/** `{ name }`, the body that creates or renames a group or tag. */
export const nameBody = { type: 'object', required: ['name'], additionalProperties: false, properties: { name: tagName } } as const;

/** Body of POST /v1/tags. */
export const createTagBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: tagName,
    group: { ...tagName, description: 'Group name (created if missing); defaults to "default"' },
    groupId: { type: 'string', minLength: 1, description: 'Group id (tgr_...); give this or group' },
  },
} as const;

/** `:id` of a catalogue route. */
export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;
