/**
 * Follow-up tasks other modules ask for (insight's survey feedback loop: a detractor's answer):
 * a guide task (`scrm_guide_tasks`, the workbench's follow-ups) for the staff member who owns the
 * customer, due on the workspace's local today. The task's `rule_id` is the caller's source key,
 * so the workbench's unique (staff, day, rule, customer) makes asking twice one task.
 */
import type { Kysely } from 'kysely';
import { newId } from '../../platform/ids.js';
import { dayString, localDay } from '../../platform/time.js';
import { scrmDb } from '../schema.js';

/** What a follow-up task is for. */
export interface FollowUpRequest {
  /** The customer's profile and the ids merged into it (a contact may name any of them). */
  profileIds: string[];
  /** Give it to this staff member when they follow the customer; otherwise the owner (earliest live follow). */
  preferStaff?: string;
  /** Unique per source (e.g. `survey:<answer id>`), at most 64 characters kept. */
  sourceKey: string;
  kind: string;
  title: string;
  now: number;
  timeZone: string;
}

/**
 * Makes the task in the caller's connection or transaction and returns it (the existing one when
 * asked twice the same day); undefined when no live WeCom relation follows the customer.
 */
export async function createFollowUpTask<D>(db: Kysely<D>, ws: string, r: FollowUpRequest): Promise<{ id: string; staffUserid: string } | undefined> {
  if (r.profileIds.length === 0) return undefined;
  const s = scrmDb(db);
  const follows = await s
    .selectFrom('scrm_contacts as c')
    .innerJoin('scrm_follows as f', (j) => j.onRef('f.workspace_id', '=', 'c.workspace_id').onRef('f.external_userid', '=', 'c.external_userid'))
    .select(['c.external_userid', 'f.userid'])
    .where('c.workspace_id', '=', ws)
    .where('c.profile_id', 'in', r.profileIds)
    .where('f.deleted_at', 'is', null)
    .orderBy('f.added_at')
    .orderBy('f.userid')
    .execute();
  const owner = follows.find((f) => f.userid === r.preferStaff) ?? follows[0];
  if (!owner) return undefined;
  const day = dayString(localDay(r.now, r.timeZone));
  const ruleId = r.sourceKey.slice(0, 64);
  await s
    .insertInto('scrm_guide_tasks')
    .values({
      workspace_id: ws,
      id: newId('gtk', r.now),
      rule_id: ruleId,
      staff_userid: owner.userid,
      external_userid: owner.external_userid,
      profile_id: r.profileIds[0]!,
      day,
      kind: r.kind,
      title: r.title,
      status: 'open',
      created_at: r.now,
      done_at: null,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'staff_userid', 'day', 'rule_id', 'external_userid']).doNothing())
    .execute();
  const row = await s
    .selectFrom('scrm_guide_tasks')
    .select(['id', 'staff_userid'])
    .where('workspace_id', '=', ws)
    .where('staff_userid', '=', owner.userid)
    .where('day', '=', day)
    .where('rule_id', '=', ruleId)
    .where('external_userid', '=', owner.external_userid)
    .executeTakeFirstOrThrow();
  return { id: row.id, staffUserid: row.staff_userid };
}
