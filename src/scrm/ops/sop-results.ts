/** Results of SOP tasks handed to WeCom: which staff sent their mass message, and to whom (see sop-tick.ts). */
import type { WeComClient } from '../../wecom/index.js';
import { type OpsContext, opsDb } from './context.js';
import { touchLastContact } from './last-contacts.js';

/** What a results sync changed. */
export interface SopSyncReport {
  done: number;
  failed: number;
  stillWaiting: number;
}

type Waiting = { id: string; msgid: string | null; staff_userid: string; target_type: string; target_id: string };

/** The members who sent a mass message (get_groupmsg_task, every page). */
async function sendersOf(client: WeComClient, msgid: string): Promise<Set<string>> {
  const sent = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await client.getGroupMsgTask({ msgid, cursor, limit: 1000 });
    for (const t of page.task_list) if (t.status === 2) sent.add(t.userid);
    cursor = page.next_cursor || undefined;
  } while (cursor);
  return sent;
}

/** One member's deliveries of a mass message by recipient (get_groupmsg_send_result, every page): status and time (ms). */
async function deliveriesOf(client: WeComClient, msgid: string, staff: string): Promise<Map<string, { status: number; at: number }>> {
  const outcome = new Map<string, { status: number; at: number }>();
  let c: string | undefined;
  do {
    const page = await client.getGroupMsgSendResult({ msgid, userid: staff, cursor: c, limit: 1000 });
    for (const r of page.send_list) outcome.set(r.external_userid ?? r.chat_id ?? '', { status: r.status, at: (r.send_time ?? 0) * 1000 });
    c = page.next_cursor || undefined;
  } while (c);
  return outcome;
}

/** Records one member's deliveries on their tasks in one transaction: sent targets are done (and count as a contact), refused ones failed. */
async function recordDeliveries(
  ctx: OpsContext,
  ws: string,
  staff: string,
  mine: Waiting[],
  outcome: Map<string, { status: number; at: number }>,
  report: SopSyncReport,
): Promise<void> {
  const now = ctx.now();
  await opsDb(ctx)
    .transaction()
    .execute(async (trx) => {
      for (const t of mine) {
        const o = outcome.get(t.target_id);
        if (!o || o.status === 0) {
          report.stillWaiting++;
          continue;
        }
        if (o.status === 1) {
          const at = o.at || now;
          await trx
            .updateTable('scrm_sop_tasks')
            .set({ status: 'done', completed_by: 'wecom', completed_at: at, updated_at: now })
            .where('workspace_id', '=', ws)
            .where('id', '=', t.id)
            .execute();
          if (t.target_type === 'customer') await touchLastContact(trx, ws, staff, t.target_id, at);
          report.done++;
        } else {
          const error = o.status === 2 ? 'not a customer of the sender any more' : 'the customer already received another mass message today';
          await trx
            .updateTable('scrm_sop_tasks')
            .set({ status: 'failed', error, updated_at: now })
            .where('workspace_id', '=', ws)
            .where('id', '=', t.id)
            .execute();
          report.failed++;
        }
      }
    });
}

/**
 * Polls WeCom for the tasks waiting on staff: `get_groupmsg_task` tells which members sent,
 * `get_groupmsg_send_result` to whom; sent targets become done (and count as a contact).
 */
export async function syncSopTaskResults(ctx: OpsContext, ws: string): Promise<SopSyncReport> {
  const waiting = await opsDb(ctx)
    .selectFrom('scrm_sop_tasks')
    .select(['id', 'msgid', 'staff_userid', 'target_type', 'target_id'])
    .where('workspace_id', '=', ws)
    .where('status', '=', 'waiting')
    .execute();
  const report: SopSyncReport = { done: 0, failed: 0, stillWaiting: 0 };
  if (!waiting.length) return report;
  const client = await ctx.clientFor(ws);
  const byMsg = new Map<string, Waiting[]>();
  for (const w of waiting) {
    const list = byMsg.get(w.msgid!) ?? [];
    list.push(w);
    byMsg.set(w.msgid!, list);
  }
  for (const [msgid, tasks] of byMsg) {
    const sent = await sendersOf(client, msgid);
    for (const staff of new Set(tasks.map((t) => t.staff_userid))) {
      const mine = tasks.filter((t) => t.staff_userid === staff);
      if (!sent.has(staff)) {
        report.stillWaiting += mine.length;
        continue;
      }
      await recordDeliveries(ctx, ws, staff, mine, await deliveriesOf(client, msgid, staff), report);
    }
  }
  return report;
}
