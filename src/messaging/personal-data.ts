/**
 * What messaging holds about a person (issue #19, data-subject rights): messages with their delivery
 * state, and consent records. Erasure keeps each message's row (channel, purpose, status, times: the
 * send counts and caps stay right) with its content, data, recipient, rendered body and address hash
 * removed, cancels what was still waiting to be sent, and detaches the consent ledger's entries
 * (the decision kept, the evidence removed; migration 0041 allows exactly that).
 */
import type { Database } from '../platform/db/database.js';
import { affected, type ErasureTarget, listedKind, pagedKind, type PersonalDataSource, plainRow } from '../platform/personal-data.js';

const PAGE = 500;

/** Messaging's personal-data source. */
export function messagingPersonalData(deps: { database: Database }): PersonalDataSource {
  const db = deps.database.db;
  return {
    module: 'messaging',
    async read(ws, ids) {
      type Row = { id: string; created_at: number };
      return [
        pagedKind<Row>(
          'messages',
          async (after) => {
            let q = db.selectFrom('messages').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids);
            if (after)
              q = q.where((w) => w.or([w('created_at', '>', after.created_at), w.and([w('created_at', '=', after.created_at), w('id', '>', after.id)])]));
            return (await q.orderBy('created_at').orderBy('id').limit(PAGE).execute()) as unknown as Row[];
          },
          PAGE,
          (r) =>
            plainRow(r, { json: ['content', 'data', 'recipient', 'rendered'], omit: ['address_key', 'lease_until', 'next_attempt_at', 'idempotency_key'] }),
        ),
        listedKind('consents', async () =>
          (await db.selectFrom('consent_records').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).orderBy('at').execute()).map((r) =>
            plainRow(r, { json: ['evidence'] }),
          ),
        ),
      ];
    },
    erase: (ws, target) => eraseMessaging(deps.database, ws, target),
  };
}

async function eraseMessaging(database: Database, ws: string, target: ErasureTarget): Promise<Record<string, number>> {
  const ids = target.profileIds;
  return database.db.transaction().execute(async (trx) => {
    const cancelled = affected(
      await trx
        .updateTable('messages')
        .set({ status: 'cancelled', reason: 'erased', updated_at: target.at })
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .where('status', 'in', ['queued', 'held'])
        .executeTakeFirst(),
    );
    const messages = affected(
      await trx
        .updateTable('messages')
        .set({ profile_id: target.detachedId, content: null, data: '{}', recipient: null, rendered: null, address_key: null, updated_at: target.at })
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .executeTakeFirst(),
    );
    const consents = affected(
      await trx
        .updateTable('consent_records')
        .set({ profile_id: target.detachedId, evidence: '{"erased":true}' })
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .executeTakeFirst(),
    );
    return { messages, messages_cancelled: cancelled, consents };
  });
}
