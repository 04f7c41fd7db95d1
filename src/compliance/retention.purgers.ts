/**
 * The compliance module's own retention purgers (issue #19): closed data-subject requests and the
 * audit log. The audit log is append-only — its DELETE trigger refuses every delete — except
 * through the grant of migration 0044: a batch inserts a grant naming the workspace and the
 * cutoff, deletes, and removes the grant, all in one transaction, so the grant is never committed
 * and no other session can use it.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/database.js';
import type { RetentionPurger } from '../platform/retention.js';
import type { ComplianceDB } from './schema.js';

/** Compliance's retention purgers: closed data-subject requests, and the audit log. */
export function complianceRetention(deps: { database: Database }): RetentionPurger[] {
  const tx = <T>(fn: (trx: Kysely<ComplianceDB>) => Promise<T>) => deps.database.db.transaction().execute((trx) => fn(trx as unknown as Kysely<ComplianceDB>));
  return [
    {
      kind: 'privacyRequests',
      module: 'compliance',
      // A request still open is never purged, however old: only its completion (or rejection) starts the period.
      purgeBatch: (ws, cutoff, limit) =>
        tx(async (trx) => {
          const ids = trx
            .selectFrom('privacy_requests')
            .select('id')
            .where('workspace_id', '=', ws)
            .where('status', 'in', ['completed', 'rejected'])
            .where('completed_at', '<', cutoff)
            .limit(limit);
          const res = await trx.deleteFrom('privacy_requests').where('workspace_id', '=', ws).where('id', 'in', ids).executeTakeFirst();
          const rows = Number(res.numDeletedRows);
          return { rows, done: rows < limit };
        }),
    },
    {
      kind: 'auditLog',
      module: 'compliance',
      purgeBatch: (ws, cutoff, limit) =>
        tx(async (trx) => {
          await trx.insertInto('audit_log_purge_grants').values({ workspace_id: ws, before_at: cutoff }).execute();
          const ids = trx.selectFrom('audit_log').select('id').where('workspace_id', '=', ws).where('at', '<', cutoff).orderBy('at').limit(limit);
          const res = await trx.deleteFrom('audit_log').where('workspace_id', '=', ws).where('id', 'in', ids).executeTakeFirst();
          await trx.deleteFrom('audit_log_purge_grants').where('workspace_id', '=', ws).execute();
          const rows = Number(res.numDeletedRows);
          return { rows, done: rows < limit };
        }),
    },
  ];
}
