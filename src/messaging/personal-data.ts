/** What messaging holds about a person (issue #19, data-subject export): messages with their delivery state, and consent records. */
import type { Database } from '../platform/db/database.js';
import { listedKind, pagedKind, type PersonalDataSource, plainRow } from '../platform/personal-data.js';

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
  };
}
