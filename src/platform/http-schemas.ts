/** JSON schemas every module's routes share (they also feed the OpenAPI document). */

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
