/**
 * The rules engine: reads the CDP's committed events (orders, refunds, cancellations, interaction
 * events) in storage order after a durable cursor per workspace and event name (job_state
 * `loyalty.rules`), and makes the awards and claw backs the active rules call for. A crash loses nothing (the cursor
 * moves in the transaction of the awards it covers) and nothing is awarded twice (one award per
 * rule and subject). Several workers: the workspace's cursor row is claimed with SKIP LOCKED, so
 * one worker at a time runs a workspace's pass and the others go on to other workspaces.
 */
import { IMPORTED_ORDER_PREFIX, liveProfileIds, ORDER_EVENTS, orderStandings, type StoredEvent, trackEventsReceivedAfter } from '../cdp/index.js';
import type { Database } from '../platform/db/database.js';
import { withRetries } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import { DAY_MS } from '../platform/time.js';
import { type Limits, makeAward, reconcileOrder } from './awards.service.js';
import { eventMatches, eventRuleOf, orderPoints, orderRuleOf } from './earning.service.js';
import type { Conn } from './ledger.repo.js';
import { activeRuleVersions, type RuleVersion, versionAt, workspacesWithRules } from './rules.repo.js';

/**
 * How far back each pass re-reads before its cursor, in storage time: an event is stored (its
 * `received_at`) a moment before its transaction commits (the ingest writer batches), so one
 * committed after the previous pass may sit just before the cursor. The cursor follows storage
 * order, not event time: an order sent two hours after it happened is read when it arrives and
 * earns once (issue #17); the award keys make the re-read harmless. Orders of `siyu import`
 * (history) earn nothing, so an import does not shower members with points.
 */
export const RULES_OVERLAP_MS = 10 * 60_000;
const PAGE = 500;
const STATE = 'loyalty.rules';

/** What the engine needs. */
export interface EngineDeps {
  database: Database;
  now: () => number;
  timeZoneOf: (workspaceId: string) => Promise<string>;
  tierMultiplier?: (workspaceId: string, profileId: string, conn?: Conn) => Promise<number>;
}

/**
 * The cursors of a workspace: per event name, the last event read in storage order (`received`);
 * `cursors` is the event-time cursor of before 0042, where a workspace's storage cursor starts from.
 */
interface Cursors {
  cursors: Record<string, { ts: number; id: string }>;
  received?: Record<string, { at: number; id: string }>;
}

/** What a pass did. */
export interface RulesReport {
  events: number;
  awards: number;
  clawedBack: number;
}

/** The rules of a workspace by id (versions oldest first). */
function byRule(versions: RuleVersion[]): Map<string, RuleVersion[]> {
  const out = new Map<string, RuleVersion[]>();
  for (const v of versions) out.set(v.id, [...(out.get(v.id) ?? []), v]);
  return out;
}

/** Runs every workspace's rules over the events since their cursors. */
export async function runRules(deps: EngineDeps, opts: { workspaceId?: string } = {}): Promise<RulesReport> {
  const report: RulesReport = { events: 0, awards: 0, clawedBack: 0 };
  const wss = opts.workspaceId ? [opts.workspaceId] : await workspacesWithRules(deps.database.db, ['order', 'event']);
  for (const ws of wss) {
    const rules = byRule(await activeRuleVersions(deps.database.db, ws, ['order', 'event']));
    if (rules.size === 0) continue;
    const names = new Set<string>();
    for (const vs of rules.values()) {
      if (vs[0]!.kind === 'order') [ORDER_EVENTS.completed, ORDER_EVENTS.refunded, ORDER_EVENTS.cancelled].forEach((n) => names.add(n));
      else for (const v of vs) names.add(eventRuleOf(v).event);
    }
    const start = Math.min(...[...rules.values()].map((vs) => vs[0]!.createdAt));
    for (const name of names) {
      const r = await runName(deps, ws, name, rules, start);
      report.events += r.events;
      report.awards += r.awards;
      report.clawedBack += r.clawedBack;
    }
  }
  return report;
}

/** One workspace's events of one name after its cursor, a page per transaction; stops when another worker holds the workspace. */
async function runName(deps: EngineDeps, ws: string, name: string, rules: Map<string, RuleVersion[]>, start: number): Promise<RulesReport> {
  const report: RulesReport = { events: 0, awards: 0, clawedBack: 0 };
  const tz = await deps.timeZoneOf(ws);
  let after: { receivedAt: number; messageId: string } | undefined;
  for (;;) {
    const { done, r } = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const state = await lockJobState<Cursors>(trx, deps.database.dialect, ws, STATE, { cursors: {} }, now, { skipLocked: true });
        if (!state) return { done: true, r: undefined };
        const received = (state.received ??= {});
        const at = received[name]?.at ?? state.cursors[name]?.ts ?? start;
        const from = after ?? { receivedAt: Math.max(start, at) - RULES_OVERLAP_MS, messageId: '' };
        const rows = await trackEventsReceivedAfter(trx, ws, name, from, PAGE);
        const r = await applyEvents(
          deps,
          trx,
          ws,
          tz,
          rows.filter((e) => !e.messageId.startsWith(IMPORTED_ORDER_PREFIX)),
          rules,
          now,
        );
        if (rows.length > 0) {
          const last = rows[rows.length - 1]!;
          const prev = received[name];
          // The cursor never moves back (the overlap re-read ends before it).
          if (!prev || last.receivedAt > prev.at || (last.receivedAt === prev.at && last.messageId > prev.id))
            received[name] = { at: last.receivedAt, id: last.messageId };
          await writeJobState(trx, ws, STATE, state, now);
          after = { receivedAt: last.receivedAt, messageId: last.messageId };
        }
        return { done: rows.length < PAGE, r };
      }),
    );
    if (r) {
      report.events += r.events;
      report.awards += r.awards;
      report.clawedBack += r.clawedBack;
    }
    if (done) return report;
  }
}

/** Applies the rules to a page of events of one name (in the page's transaction). */
async function applyEvents(
  deps: EngineDeps,
  trx: Conn,
  ws: string,
  tz: string,
  rows: StoredEvent[],
  rules: Map<string, RuleVersion[]>,
  now: number,
): Promise<RulesReport> {
  const report: RulesReport = { events: rows.length, awards: 0, clawedBack: 0 };
  if (rows.length === 0) return report;
  const live = await liveProfileIds(trx, ws, [...new Set(rows.map((r) => r.profileId))]);
  const done = await existingAwards(trx, ws, [...rules.keys()], rows);
  const reconcile = new Set<string>();
  for (const e of rows) {
    const props = (e.payload.properties ?? {}) as Record<string, unknown>;
    const profileId = live.get(e.profileId) ?? e.profileId;
    if (e.event === ORDER_EVENTS.refunded || e.event === ORDER_EVENTS.cancelled) {
      if (props.order_id !== undefined && props.order_id !== null) reconcile.add(String(props.order_id));
      continue;
    }
    for (const [ruleId, versions] of rules) {
      const v = versionAt(versions, e.timestamp);
      if (!v) continue;
      const limits = v.definition.limits as Limits | undefined;
      if (v.kind === 'order' && e.event === ORDER_EVENTS.completed) {
        const orderId = String(props.order_id ?? e.messageId);
        if (done.has(`${ruleId}\u0000order:${orderId}`)) continue;
        if (await awardOrder(deps, trx, { ws, tz, now, limits }, v, e, profileId, orderId)) report.awards++;
        // A refund that arrived before its order (held by the CDP) is applied now.
        reconcile.add(orderId);
      } else if (v.kind === 'event' && e.event === eventRuleOf(v).event && eventMatches(eventRuleOf(v), props)) {
        const subjectKey = `event:${e.messageId}`;
        if (done.has(`${ruleId}\u0000${subjectKey}`)) continue;
        const a = await makeAward(
          trx,
          deps.database.dialect,
          {
            workspaceId: ws,
            ruleId,
            ruleVersion: v.version,
            subjectKey,
            profileId,
            points: eventRuleOf(v).points,
            at: e.timestamp,
            timeZone: tz,
            limits,
            reason: `${v.name}: ${e.event}`,
            source: { type: 'event', id: e.messageId },
          },
          now,
        );
        if (!a.existed && a.points > 0) report.awards++;
      }
    }
  }
  if (reconcile.size > 0) {
    for (const o of (await orderStandings(trx, ws, [...reconcile])).values()) report.clawedBack += await reconcileOrder(trx, deps.database.dialect, ws, o, now);
  }
  return report;
}

/** The award of an `Order Completed` under an order rule's version (held for the return window unless it is 0 days); true when points were given. */
async function awardOrder(
  deps: EngineDeps,
  trx: Conn,
  at: { ws: string; tz: string; now: number; limits: Limits | undefined },
  v: RuleVersion,
  e: StoredEvent,
  profileId: string,
  orderId: string,
): Promise<boolean> {
  const rule = orderRuleOf(v);
  const props = (e.payload.properties ?? {}) as Record<string, unknown>;
  const tier = (await deps.tierMultiplier?.(at.ws, profileId, trx)) ?? 1;
  const o = orderPoints(rule, props, e.timestamp, tier);
  const pendingDays = rule.pendingDays ?? 7;
  const reason = `order ${orderId}: ¥${(o.eligibleFen / 100).toFixed(2)} × ${rule.pointsPerYuan}${o.campaigns.length ? ` (${o.campaigns.join(', ')})` : ''}`;
  const a = await makeAward(
    trx,
    deps.database.dialect,
    {
      workspaceId: at.ws,
      ruleId: v.id,
      ruleVersion: v.version,
      subjectKey: `order:${orderId}`,
      profileId,
      points: o.points,
      at: e.timestamp,
      timeZone: at.tz,
      limits: at.limits,
      reason,
      source: { type: 'order', id: orderId },
      orderId,
      holdUntil: pendingDays > 0 ? e.timestamp + pendingDays * DAY_MS : null,
    },
    at.now,
  );
  return !a.existed && a.points > 0;
}

/** The (rule, subject) pairs among a page's events that were awarded before (the overlap re-reads them): skipped without locking an account. */
async function existingAwards(trx: Conn, ws: string, ruleIds: string[], rows: StoredEvent[]): Promise<Set<string>> {
  const subjects = new Set<string>();
  for (const e of rows) {
    subjects.add(`event:${e.messageId}`);
    const oid = (e.payload.properties as Record<string, unknown> | undefined)?.order_id;
    subjects.add(`order:${String(oid ?? e.messageId)}`);
  }
  const found = await trx
    .selectFrom('loyalty_awards')
    .select(['rule_id', 'subject_key'])
    .where('workspace_id', '=', ws)
    .where('rule_id', 'in', ruleIds)
    .where('subject_key', 'in', [...subjects])
    .execute();
  return new Set(found.map((f) => `${f.rule_id}\u0000${f.subject_key}`));
}
