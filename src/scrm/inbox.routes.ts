/**
 * `GET /v1/wecom/callbacks`: the WeCom callbacks the inbox holds, newest first, filtered by how
 * their processing went — what an operator looks at when a callback keeps failing (issue #14: a
 * failing job is shown with its reason). The decrypted payload is not returned (customer data).
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { decodeCursor, keysetAfter, type Page, pageOf, pageQueryProperties, pageSchema } from '../platform/paging.js';
import type { Scrm } from './deps.js';
import { scrmDb } from './schema.js';

const STATES = ['pending', 'retrying', 'failed', 'done'] as const;
type State = (typeof STATES)[number];

const callbackSchema = {
  type: 'object',
  required: ['id', 'kind', 'state', 'attempts', 'error', 'receivedAt', 'nextAttemptAt', 'processedAt'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', description: 'Event (and ChangeType) of the callback, e.g. change_external_contact.add_external_contact' },
    state: { type: 'string', enum: [...STATES], description: 'retrying: pending after a failed attempt; failed: gave up after the last attempt' },
    attempts: { type: 'integer' },
    error: { type: ['string', 'null'], description: 'the last failure (or, for a done callback, the listeners that failed)' },
    receivedAt: { type: 'string' },
    nextAttemptAt: { type: ['string', 'null'], description: 'for a pending callback: the earliest next try' },
    processedAt: { type: ['string', 'null'] },
  },
} as const;

export interface CallbackView {
  id: string;
  kind: string;
  state: State;
  attempts: number;
  error: string | null;
  receivedAt: string;
  nextAttemptAt: string | null;
  processedAt: string | null;
}

/** A page of the workspace's inbox rows in `state`, newest first. */
export async function listCallbacks(db: Kysely<any>, ws: string, q: { state?: State; limit: number; cursor?: string }): Promise<Page<CallbackView>> {
  let query = scrmDb(db)
    .selectFrom('wecom_inbox')
    .select(['id', 'kind', 'status', 'attempts', 'error', 'received_at', 'next_attempt_at', 'processed_at'])
    .where('workspace_id', '=', ws);
  if (q.state === 'failed' || q.state === 'done') query = query.where('status', '=', q.state);
  if (q.state === 'pending') query = query.where('status', '=', 'pending').where('attempts', '=', 0);
  if (q.state === 'retrying') query = query.where('status', '=', 'pending').where('attempts', '>', 0);
  if (q.cursor) query = query.where(keysetAfter(['received_at', 'id'], 'desc', decodeCursor(q.cursor, ['n', 's'])));
  const rows = await query
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const iso = (ms: number | string | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return pageOf(
    rows,
    q.limit,
    (r) => ({
      id: r.id,
      kind: r.kind,
      state: r.status === 'pending' && r.attempts > 0 ? 'retrying' : r.status,
      attempts: r.attempts,
      error: r.error,
      receivedAt: iso(r.received_at)!,
      nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
      processedAt: iso(r.processed_at),
    }),
    (r) => [Number(r.received_at), r.id],
  );
}

/** The route (secret key). */
export async function inboxRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  const preHandler = requireKey(scrm.keys, 'secret');
  app.get<{ Querystring: { state?: State; limit: number; cursor?: string } }>(
    '/v1/wecom/callbacks',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'WeCom callbacks received, newest first, by processing state (failed ones with their reason)'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { state: { type: 'string', enum: [...STATES] }, ...pageQueryProperties(50, 200) },
        },
        response: { 200: pageSchema(callbackSchema), ...errorResponses },
      },
    },
    async (req) => listCallbacks(scrm.database.db, req.workspaceId, req.query),
  );
}
