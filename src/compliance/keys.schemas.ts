/** The schemas of the encryption-key routes (keys.routes.ts), shared with the console. */
const nullableTime = { type: ['string', 'null'] } as const;
const rotationSchema = {
  type: 'object',
  required: ['id', 'toVersion', 'state', 'startedAt', 'notBefore', 'finishedAt', 'changed', 'stores'],
  properties: {
    id: { type: 'string' },
    toVersion: { type: 'integer' },
    state: { type: 'string', enum: ['running', 'done'] },
    startedAt: { type: 'string' },
    notBefore: { type: 'string' },
    finishedAt: nullableTime,
    changed: { type: 'integer' },
    stores: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'done', 'changed'],
        properties: { name: { type: 'string' }, done: { type: 'boolean' }, changed: { type: 'integer' } },
      },
    },
  },
} as const;
/** `GET /v1/encryption/keys` and the answer of a rotation: versions newest first, the latest rotation. */
export const keyStatusSchema = {
  type: 'object',
  required: ['data', 'nextCursor', 'rotation'],
  properties: {
    nextCursor: { type: 'null', description: 'always null: a workspace has one version per rotation, all listed' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['version', 'state', 'createdAt', 'rotatedAt', 'retiredAt'],
        properties: {
          version: { type: 'integer' },
          state: { type: 'string' },
          createdAt: { type: 'string' },
          rotatedAt: nullableTime,
          retiredAt: nullableTime,
        },
      },
    },
    rotation: { anyOf: [rotationSchema, { type: 'null' }] },
  },
} as const;
