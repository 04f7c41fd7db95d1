import { MessagingError } from './errors.js';

/** One page of a list, the shape every list route answers: the items and the cursor of the next page (null on the last). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** An opaque cursor over the sort key of the last item of a page. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key a cursor holds, checked by `valid`; VALIDATION_FAILED for a cursor this list did not give. */
export function decodeCursor<K extends (string | number)[]>(cursor: string, valid: (key: unknown[]) => key is K): K {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && valid(key)) return key;
  } catch {
    // refused below
  }
  throw new MessagingError('VALIDATION_FAILED', 'cursor is not one this list gave (pass the nextCursor of the previous page)');
}

/** The list envelope's response schema (OpenAPI): `{ data: [item], nextCursor }`. */
export function pageSchema(item: Record<string, unknown>, description: string) {
  return {
    type: 'object',
    required: ['data', 'nextCursor'],
    properties: {
      data: { type: 'array', items: item, description },
      nextCursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null on the last page' },
    },
  } as const;
}
