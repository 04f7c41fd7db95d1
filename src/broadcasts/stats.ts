/**
 * A broadcast's statistics: its audience (snapshot size, holdout, exclusions), what became of its
 * messages (read from the messaging outbox by source), and conversion on a goal event among the
 * profiles it targeted against its holdout.
 */
import { sql } from 'kysely';
import { type CallerDb, countMessageOutcomes, messageReach, type OutcomeCount } from '../messaging/index.js';
import type { Database } from '../platform/db/database.js';
import { convertedSql } from './audience.js';
import { bdb, type BroadcastRow, getRow } from './broadcasts.repo.js';
import { BroadcastError } from './errors.js';
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

/** Tallies the outbox counts of a broadcast into the statistics' `messages`. */
function tallyMessages(counts: OutcomeCount[]): BroadcastStats['messages'] {
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
  for (const r of counts) {
    const n = r.count;
    m.total += n;
    m.opened += r.opened;
    m.clicked += r.clicked;
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
      const why = r.status === 'failed' && r.errorCode ? `${r.reason ?? 'failed'}:${r.errorCode}` : (r.reason ?? 'unspecified');
      const bucket = (m.reasons[r.status] ??= {});
      bucket[why] = (bucket[why] ?? 0) + n;
    }
  }
  return m;
}

/**
 * Conversion on the goal event in [from, to): the audience snapshot left-joined with its messages
 * (whether each left), each profile counted as converted when it tracked the event in the window.
 */
async function conversionRows(db: CallerDb, ws: string, id: string, goalEvent: string, from: number, to: number) {
  return bdb(db)
    .selectFrom('broadcast_recipients as r')
    .leftJoin(messageReach(db).as('m'), (j) => j.onRef('m.workspace_id', '=', 'r.workspace_id').onRef('m.id', '=', 'r.message_id'))
    .select((eb) => [
      'r.holdout',
      sql<number>`coalesce(${eb.ref('m.was_sent')}, 0)`.as('reached'),
      eb.fn.countAll().as('n'),
      eb.fn.sum(convertedSql(eb.ref('r.workspace_id'), eb.ref('r.profile_id'), goalEvent, from, to)).as('converted'),
    ])
    .where('r.workspace_id', '=', ws)
    .where('r.broadcast_id', '=', id)
    .groupBy(['r.holdout', 'reached'])
    .execute();
}

/** Conversion of the targeted, reached and held-out groups over the window starting when the fan-out started. */
async function conversionOf(deps: { database: Database; now: () => number }, row: BroadcastRow, goalEvent: string, windowDays: number) {
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 90)
    throw new BroadcastError('VALIDATION_FAILED', 'goalDays must be an integer from 1 to 90');
  const from = Number(row.started_at);
  const to = from + windowDays * 86_400_000;
  const rows = await conversionRows(deps.database.db, row.workspace_id, row.id, goalEvent, from, to);
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
  return {
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
  const row = await getRow(deps.database.db, ws, id);
  // Test sends (source_step "test") are not part of the broadcast's audience.
  const counts = await countMessageOutcomes(deps.database.db, ws, { kind: 'broadcast', id, step: null });
  const goalEvent = q.goalEvent ?? row.goal_event;
  const windowDays = q.goalDays ?? row.goal_days;
  return {
    id,
    status: row.status,
    audience: { total: row.total, holdout: row.holdout_count, excluded: row.excluded_count, enqueued: row.enqueued, done: row.status === 'sent' },
    messages: tallyMessages(counts),
    conversion: goalEvent && row.started_at !== null ? await conversionOf(deps, row, goalEvent, windowDays) : null,
  };
}
