/**
 * What SCRM holds about a person (issue #19, data-subject export): their WeCom contact records,
 * the staff who follow them (remarks, tags), the groups they are in (with each group's name),
 * live-code adds, guide tasks, keyword alerts, handovers and last contacts. The conversation
 * archive's lines are events on the person's timeline (cdp's `events`).
 */
import type { Database } from '../platform/db/database.js';
import { eraseScrmPerson } from './erasure.js';
import { listedKind, type PersonalDataSource, plainRow } from '../platform/personal-data.js';

/** SCRM's personal-data source. */
export function scrmPersonalData(deps: { database: Database }): PersonalDataSource {
  const db = deps.database.db;
  return {
    module: 'scrm',
    async read(ws, ids) {
      const contacts = await db
        .selectFrom('scrm_contacts')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .orderBy('created_at')
        .execute();
      const externals = contacts.map((c) => c.external_userid);
      const byExternal = <T>(fetch: (ext: string[]) => Promise<T[]>) => (externals.length ? fetch(externals) : Promise.resolve([] as T[]));
      return [
        listedKind('wecom_contacts', async () => contacts.map((r) => plainRow(r))),
        listedKind('wecom_follows', async () =>
          (
            await byExternal((ext) => db.selectFrom('scrm_follows').selectAll().where('workspace_id', '=', ws).where('external_userid', 'in', ext).execute())
          ).map((r) => plainRow(r, { json: ['tag_ids'] })),
        ),
        listedKind('wecom_groups', async () =>
          (
            await byExternal((ext) =>
              db
                .selectFrom('scrm_group_members')
                .innerJoin('scrm_groups', (j) =>
                  j.onRef('scrm_groups.workspace_id', '=', 'scrm_group_members.workspace_id').onRef('scrm_groups.chat_id', '=', 'scrm_group_members.chat_id'),
                )
                .select([
                  'scrm_group_members.chat_id',
                  'scrm_groups.name as group_name',
                  'scrm_group_members.member_id',
                  'scrm_group_members.unionid',
                  'scrm_group_members.join_time',
                  'scrm_group_members.join_scene',
                  'scrm_group_members.invitor',
                  'scrm_group_members.quit_at',
                ])
                .where('scrm_group_members.workspace_id', '=', ws)
                .where('scrm_group_members.member_id', 'in', ext)
                .execute(),
            )
          ).map((r) => plainRow(r)),
        ),
        listedKind('live_code_adds', async () =>
          (await db.selectFrom('scrm_live_code_adds').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) =>
            plainRow(r),
          ),
        ),
        listedKind('guide_tasks', async () =>
          (await db.selectFrom('scrm_guide_tasks').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) => plainRow(r)),
        ),
        listedKind('keyword_alerts', async () =>
          (await db.selectFrom('scrm_alerts').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute()).map((r) => plainRow(r)),
        ),
        listedKind('handovers', async () =>
          (
            await byExternal((ext) => db.selectFrom('scrm_handovers').selectAll().where('workspace_id', '=', ws).where('external_userid', 'in', ext).execute())
          ).map((r) => plainRow(r)),
        ),
        listedKind('last_contacts', async () =>
          (
            await byExternal((ext) =>
              db.selectFrom('scrm_last_contacts').selectAll().where('workspace_id', '=', ws).where('external_userid', 'in', ext).execute(),
            )
          ).map((r) => plainRow(r)),
        ),
      ];
    },
    erase: (ws, target) => eraseScrmPerson(deps.database, ws, target),
  };
}
