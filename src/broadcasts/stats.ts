/**
 * A broadcast's statistics: its audience (snapshot size, holdout, exclusions), what became of its
 * messages (read from the messaging outbox by source), and conversion on a goal event among the
 * profiles it targeted against its holdout.
 */
import { sql } from 'kysely';
import type { Database } from '../platform/db/database.js';
import { BroadcastError } from './errors.js';
import { bdb, getRow } from './broadcasts.repo.js';
import type { BroadcastStatus } from './schema.js';

/** Conversion of one group: profiles, how many did the goal event in the window, the rate (0-1). */
export interface GroupConversion {
  profiles: number;
  converted: number;
  rate: number | null;
}

/** The statistics `GET /v1/broadcasts/:id/stats` returns. */
export interface BroadcastStats {
  id: string;
  status: BroadcastStatus;
  audience: { total: number | null; holdout: number; excluded: number; enqueued: number; done: boolean };
  messages: {
    total: number;
    queued: number;
    sending: number;
    held: number;
    sent: number;
    delivered: number;
    suppressed: number;
    failed: number;
    unknown: number;
    opened: number;
    clicked: number;
    /** Why messages are held, suppressed, failed or unknown: `{ "suppressed": { "consent:marketing:sms": 3 } }`. */
    reasons: Record<string, Record<string, number>>;
  };
  conversion: null | {
    goalEvent: string;
    windowDays: number;
    from: string;
    to: string;
    /** The window is still open: numbers may still grow. */
    open: boolean;
    /** Everyone outside the holdout (intent to treat): the fair comparison with the holdout. */
    targeted: GroupConversion;
    /** Those whose message left (sent or delivered). */
    reached: GroupConversion;
    holdout: GroupConversion;
    /** targeted rate minus holdout rate (absolute), or null when a group is empty. */
    lift: number | null;
  };
}

const group = (profiles: number, converted: number): GroupConversion => ({ profiles, converted, rate: profiles ? converted / profiles : null });

/**
 * Computes the statistics. The conversion window starts when the fan-out started and lasts
 * `goalDays` (from the broadcast, or the query's override); both groups use the same window.
 */
export async function broadcastStats(
  deps: { database: Database; now: () => number },
  ws: string,
  id: string,
  q: { goalEvent?: string; goalDays?: number } = {},
): Promise<BroadcastStats> {
  const db = bdb(deps.database.db);
  const row = await getRow(db, ws, id);
  // Test sends (source_step "test") are not part of the broadcast's audience.
  const byStatus = await db
    .selectFrom('messages')
    .select((eb) => [
      'status',
      'reason',
      'error_code',
      eb.fn.countAll().as('n'),
      eb.fn.count('opened_at').as('opened'),
      eb.fn.count('clicked_at').as('clicked'),
    ])
    .where('workspace_id', '=', ws)
    .where('source_kind', '=', 'broadcast')
    .where('source_id', '=', id)
    .where('source_step', 'is', null)
    .groupBy(['status', 'reason', 'error_code'])
    .execute();
  const m: BroadcastStats['messages'] = {
    total: 0,
    queued: 0,
    sending: 0,
    held: 0,
    sent: 0,
    delivered: 0,
    suppressed: 0,
    failed: 0,
    unknown: 0,
    opened: 0,
    clicked: 0,
    reasons: {},
  };
  for (const r of byStatus) {
    const n = Number(r.n);
    m.total += n;
    m.opened += Number(r.opened);
    m.clicked += Number(r.clicked);
    switch (r.status) {
      case 'queued':
      case 'sending':
      case 'held':
      case 'suppressed':
      case 'failed':
      case 'unknown':
        m[r.status] += n;
        break;
      case 'sent':
        m.sent += n;
        break;
      case 'delivered':
        // Delivered messages were sent first: `sent` counts every message that left.
        m.sent += n;
        m.delivered += n;
        break;
    }
    // A queued retry keeps its reason ("retrying"); held, suppressed, failed and unknown say why.
    if (['held', 'suppressed', 'failed', 'unknown'].includes(r.status)) {
      const why = r.status === 'failed' && r.error_code ? `${r.reason ?? 'failed'}:${r.error_code}` : (r.reason ?? 'unspecified');
      const bucket = (m.reasons[r.status] ??= {});
      bucket[why] = (bucket[why] ?? 0) + n;
    }
  }
  const goalEvent = q.goalEvent ?? row.goal_event;
  const windowDays = q.goalDays ?? row.goal_days;
  let conversion: BroadcastStats['conversion'] = null;
  if (goalEvent && row.started_at !== null) {
    if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 90)
      throw new BroadcastError('VALIDATION_FAILED', 'goalDays must be an integer from 1 to 90');
    const from = Number(row.started_at);
    const to = from + windowDays * 86_400_000;
    const rows = await db
      .selectFrom('broadcast_recipients as r')
      .leftJoin('messages as m', (j) => j.onRef('m.workspace_id', '=', 'r.workspace_id').onRef('m.id', '=', 'r.message_id'))
      .select((eb) => [
        'r.holdout',
        sql<number>`case when ${eb.ref('m.status')} in ('sent', 'delivered') then 1 else 0 end`.as('reached'),
        eb.fn.countAll().as('n'),
        eb.fn
          .sum(
            sql<number>`case when exists (select 1 from events as e where e.workspace_id = ${eb.ref('r.workspace_id')} and e.profile_id = ${eb.ref('r.profile_id')}
              and e.event = ${goalEvent} and e.timestamp >= ${from} and e.timestamp < ${to}) then 1 else 0 end`,
          )
          .as('converted'),
      ])
      .where('r.workspace_id', '=', ws)
      .where('r.broadcast_id', '=', id)
      .groupBy(['r.holdout', 'reached'])
      .execute();
    let targeted = [0, 0];
    let reached = [0, 0];
    let holdout = [0, 0];
    for (const r of rows) {
      const n = Number(r.n);
      const c = Number(r.converted ?? 0);
      if (Number(r.holdout) === 1) holdout = [holdout[0]! + n, holdout[1]! + c];
      else {
        targeted = [targeted[0]! + n, targeted[1]! + c];
        if (Number(r.reached) === 1) reached = [reached[0]! + n, reached[1]! + c];
      }
    }
    const t = group(targeted[0]!, targeted[1]!);
    const h = group(holdout[0]!, holdout[1]!);
    conversion = {
      goalEvent,
      windowDays,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      open: deps.now() < to,
      targeted: t,
      reached: group(reached[0]!, reached[1]!),
      holdout: h,
      lift: t.rate !== null && h.rate !== null ? t.rate - h.rate : null,
    };
  }
  return {
    id,
    status: row.status,
    audience: { total: row.total, holdout: row.holdout_count, excluded: row.excluded_count, enqueued: row.enqueued, done: row.status === 'sent' },
    messages: m,
    conversion,
  };
}
