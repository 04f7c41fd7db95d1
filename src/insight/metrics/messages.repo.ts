/**
 * Message outcomes in SQL over messaging's message log: of the messages whose send started in the
 * range, how many were sent, delivered, opened, clicked, replied to and led to an unsubscribe, by
 * channel, template or journey.
 */
import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { jsonPathText } from '../../platform/db/json-path.js';
import { inSegment, num, rate, type Scope } from './scope.js';
import { type MetricTable, tableOf } from './table.js';

/** The timeline event messaging records when a link's unsubscribe is used (messaging/delivery.service.ts). */
export const MESSAGE_UNSUBSCRIBED = 'Message Unsubscribed';

/** What a message row is grouped by. */
export type MessageDimension = 'channel' | 'template' | 'journey';

const KEY = {
  channel: { key: sql`m.channel`, name: sql`max(m.channel)`, only: sql`1 = 1` },
  template: { key: sql`coalesce(m.template_id, '')`, name: sql`max(t.name)`, only: sql`1 = 1` },
  journey: { key: sql`coalesce(m.source_id, '')`, name: sql`max(j.name)`, only: sql`m.source_kind = 'journey'` },
} as const;

/** Message counts and rates by channel, template or journey. */
export async function messagesBy(database: Database, s: Scope, by: MessageDimension): Promise<MetricTable> {
  const k = KEY[by];
  const mid = jsonPathText(database.dialect, 'e.payload', ['properties', 'messageId']);
  const res = await sql<Record<string, unknown>>`
    with u as (select distinct ${mid} as message_id from events e
      where e.workspace_id = ${s.workspaceId} and e.event = ${MESSAGE_UNSUBSCRIBED} and e.timestamp >= ${s.from})
    select ${k.key} as k, ${k.name} as name,
      coalesce(sum(case when m.status in ('sent', 'delivered') then 1 else 0 end), 0) as sent,
      coalesce(sum(case when m.status = 'failed' then 1 else 0 end), 0) as failed,
      count(m.delivered_at) as delivered, count(m.opened_at) as opened, count(m.clicked_at) as clicked,
      count(m.replied_at) as replied, count(u.message_id) as unsubscribed
    from messages m
    left join u on u.message_id = m.id
    left join message_templates t on t.workspace_id = m.workspace_id and t.id = m.template_id
    left join journeys j on j.workspace_id = m.workspace_id and j.id = m.source_id and m.source_kind = 'journey'
    where m.workspace_id = ${s.workspaceId} and m.sent_at >= ${s.from} and m.sent_at < ${s.to} and ${k.only}
      and ${inSegment(s, sql.ref('m.profile_id'))}
    group by ${k.key} order by sent desc, k`.execute(database.db);
  const rows = res.rows.map((r) => {
    const sent = num(r.sent)!;
    const n = (c: string) => num(r[c])!;
    return {
      key: r.k,
      name: r.name ?? null,
      sent,
      failed: n('failed'),
      delivered: n('delivered'),
      opened: n('opened'),
      clicked: n('clicked'),
      replied: n('replied'),
      unsubscribed: n('unsubscribed'),
      delivery_rate: rate(n('delivered'), sent),
      open_rate: rate(n('opened'), sent),
      click_rate: rate(n('clicked'), sent),
      reply_rate: rate(n('replied'), sent),
    };
  });
  const columns = [
    'key',
    'name',
    'sent',
    'failed',
    'delivered',
    'opened',
    'clicked',
    'replied',
    'unsubscribed',
    'delivery_rate',
    'open_rate',
    'click_rate',
    'reply_rate',
  ];
  return tableOf(columns, rows, undefined, { by });
}
