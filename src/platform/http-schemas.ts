/**
 * JSON schemas every module's routes share (they also feed the OpenAPI document). This file
 * imports nothing: the console derives its API types from route schemas built with it
 * (console/src/api-types.ts), and `npm run check:deps` keeps what the console reaches free of
 * server code.
 */

/** `{ error: { code, message, details? } }`, the shape of every failure. */
export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
} as const;

/** Error responses a secret-key route may give. */
export const errorResponses = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema } as const;

/** Common route schema fields: tag for the OpenAPI grouping and the secret-key security scheme. */
export function secured(tag: string, summary: string) {
  return { tags: [tag], summary, security: [{ secretKey: [] }] };
}

/** A page of a list as every list route answers it. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** The response schema of a page of `item` (both fields always present); `description` says what the list holds. */
export function pageSchema<const S extends object>(item: S, description?: string) {
  return {
    type: 'object',
    required: ['data', 'nextCursor'],
    properties: {
      data: { type: 'array', items: item, ...(description ? { description } : {}) },
      nextCursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null on the last page' },
    },
  } as const;
}

/** The `limit` and `cursor` query properties of a paged list route. */
export function pageQueryProperties(defaultLimit: number, maxLimit: number) {
  return {
    limit: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit },
    cursor: { type: 'string', maxLength: 512, description: 'the nextCursor of the previous page' },
  } as const;
}
