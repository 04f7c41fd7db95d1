/**
 * Erasure of a person from SCRM (issue #19): their WeCom contact records, the staff's follows of
 * them (remarks, descriptions, tags), group memberships, guide tasks, keyword alerts, handovers,
 * last contacts, SOP tasks aimed at them and the raw WeCom callbacks that name them are deleted;
 * live-code adds are kept for the codes' counts, detached to the anonymous stand-in. One
 * transaction: run again, it finds nothing and counts zeros. The conversation archive's lines are
 * events, erased by cdp.
 */
import { sql } from 'kysely';
import type { Database } from '../platform/db/database.js';
import { affected, type ErasureCounts, type ErasureTarget } from '../platform/personal-data.js';

const likeEscaped = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Erases the person `target` names from SCRM's tables. */
export async function eraseScrmPerson(database: Database, ws: string, target: ErasureTarget): Promise<ErasureCounts> {
  const ids = target.profileIds;
  return database.db.transaction().execute(async (trx) => {
    const contacts = await trx.selectFrom('scrm_contacts').select('external_userid').where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute();
    const adds = await trx.selectFrom('scrm_live_code_adds').select('external_userid').where('workspace_id', '=', ws).where('profile_id', 'in', ids).execute();
    const ext = [...new Set([...contacts, ...adds].map((r) => r.external_userid))];
    const counts: ErasureCounts = {};
    const byExt = async (name: string, run: (ext: string[]) => Promise<number>) => (counts[name] = ext.length ? await run(ext) : 0);
    await byExt('wecom_follows', async (e) =>
      affected(await trx.deleteFrom('scrm_follows').where('workspace_id', '=', ws).where('external_userid', 'in', e).executeTakeFirst()),
    );
    await byExt('wecom_groups', async (e) =>
      affected(await trx.deleteFrom('scrm_group_members').where('workspace_id', '=', ws).where('member_id', 'in', e).executeTakeFirst()),
    );
    await byExt('handovers', async (e) =>
      affected(await trx.deleteFrom('scrm_handovers').where('workspace_id', '=', ws).where('external_userid', 'in', e).executeTakeFirst()),
    );
    await byExt('last_contacts', async (e) =>
      affected(await trx.deleteFrom('scrm_last_contacts').where('workspace_id', '=', ws).where('external_userid', 'in', e).executeTakeFirst()),
    );
    await byExt('sop_tasks', async (e) =>
      affected(
        await trx
          .deleteFrom('scrm_sop_tasks')
          .where('workspace_id', '=', ws)
          .where('target_type', '=', 'customer')
          .where('target_id', 'in', e)
          .executeTakeFirst(),
      ),
    );
    // The raw callbacks (XML as WeCom sent it) that name the person: looked for by value, as nothing indexes them by contact.
    await byExt('wecom_callbacks', async (e) => {
      let n = 0;
      for (const x of e)
        n += affected(
          await trx
            .deleteFrom('wecom_inbox')
            .where('workspace_id', '=', ws)
            .where(sql<boolean>`(payload like ${`%${likeEscaped(x)}%`} escape '\\' or dedup_key like ${`%${likeEscaped(x)}%`} escape '\\')`)
            .executeTakeFirst(),
        );
      return n;
    });
    counts.guide_tasks = affected(
      await trx
        .deleteFrom('scrm_guide_tasks')
        .where('workspace_id', '=', ws)
        .where((w) => (ext.length ? w.or([w('profile_id', 'in', ids), w('external_userid', 'in', ext)]) : w('profile_id', 'in', ids)))
        .executeTakeFirst(),
    );
    counts.keyword_alerts = affected(
      await trx
        .deleteFrom('scrm_alerts')
        .where('workspace_id', '=', ws)
        .where((w) => (ext.length ? w.or([w('profile_id', 'in', ids), w('external_userid', 'in', ext)]) : w('profile_id', 'in', ids)))
        .executeTakeFirst(),
    );
    counts.live_code_adds = affected(
      await trx
        .updateTable('scrm_live_code_adds')
        .set({ profile_id: target.detachedId, external_userid: target.detachedId, tags_error: null, welcome_reason: null })
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids)
        .executeTakeFirst(),
    );
    counts.wecom_contacts = affected(await trx.deleteFrom('scrm_contacts').where('workspace_id', '=', ws).where('profile_id', 'in', ids).executeTakeFirst());
    return counts;
  });
}
