/**
 * SQL of a workspace's WeCom connection (`wecom_apps`). Secrets arrive here already encrypted;
 * this file never sees them in clear.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../platform/db/schema.js';
import type { ScrmDB, WeComAppsTable } from './schema.js';

type Db = Kysely<DB>;
const scrm = (db: Db) => db as unknown as Kysely<DB & ScrmDB>;

/** A stored connection row, secrets still encrypted. */
export type StoredConnection = WeComAppsTable;

/** The workspace's connection row, or undefined. */
export async function findConnection(db: Db, workspaceId: string): Promise<StoredConnection | undefined> {
  return scrm(db).selectFrom('wecom_apps').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst();
}

/** Inserts or replaces the workspace's connection; `created_at` of an existing row is kept. Returns the stored row. */
export async function upsertConnection(db: Db, row: StoredConnection): Promise<StoredConnection> {
  const { workspace_id: _ws, created_at: _created, ...changes } = row;
  await scrm(db)
    .insertInto('wecom_apps')
    .values(row)
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet(changes))
    .execute();
  return (await findConnection(db, row.workspace_id))!;
}

/** Deletes the workspace's connection; true when there was one. */
export async function deleteConnection(db: Db, workspaceId: string): Promise<boolean> {
  const res = await scrm(db).deleteFrom('wecom_apps').where('workspace_id', '=', workspaceId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
