import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { scrmDb } from '../schema.js';

/** Records a contact between a staff member and a customer (on `db`, e.g. the caller's transaction), keeping the latest time. */
export async function touchLastContact<D>(db: Kysely<D>, ws: string, userid: string, externalUserid: string, at: number): Promise<void> {
  await scrmDb(db)
    .insertInto('scrm_last_contacts')
    .values({ workspace_id: ws, userid, external_userid: externalUserid, last_at: at })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'userid', 'external_userid'])
        .doUpdateSet({ last_at: sql`case when excluded.last_at > scrm_last_contacts.last_at then excluded.last_at else scrm_last_contacts.last_at end` }),
    )
    .execute();
}
