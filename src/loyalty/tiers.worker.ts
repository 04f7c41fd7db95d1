/**
 * The tier passes of the loyalty worker: upgrades at once (members whose points account or orders
 * changed since a cursor are qualified again; a higher tier is given now), downgrades only on
 * evaluation dates after the grace period, and the end of paid memberships. Each is safe with
 * several worker processes: the per-workspace cursors are claimed with SKIP LOCKED (one worker at
 * a time per workspace, others move on), due members are claimed with SKIP LOCKED, and every
 * change is made under the member's row lock.
 */
import { liveProfileIds, ORDER_EVENTS, recordSystemEvents, trackEventsAfter } from '../cdp/index.js';
import type { Database } from '../platform/db/database.js';
import { withRetries } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import { listWorkspaceIds } from '../platform/workspaces.js';
import { TIER_EVENTS } from './event-names.js';
import { type Conn, num } from './ledger.repo.js';
import { changeOf, type MemberState, memberOf, saveMember } from './members.repo.js';
import { type Outcome, requalify, type TierDeps } from './tiers.qualify.js';
import { runProgramChange } from './tiers.recheck.js';
import { lastEvaluationDate, type TierProgram, tierProgram } from './tiers.service.js';

export type { TierDeps } from './tiers.qualify.js';

const PAGE = 200;
/** Re-read before each cursor: account changes and orders committed late (a transaction open across the previous pass). */
const OVERLAP_MS = 10 * 60_000;

/** What a pass of the tiers did. */
export interface TiersReport {
  upgraded: number;
  downgraded: number;
  graceStarted: number;
  paidExpired: number;
}

/** The workspaces the tier passes visit: all of them (few; each pass then reads only what changed, by index). */
export async function tierWorkspaces(db: Conn): Promise<string[]> {
  return listWorkspaceIds(db);
}

/** Runs every tier pass once. */
export async function runTiers(deps: TierDeps): Promise<TiersReport> {
  const report: TiersReport = { upgraded: 0, downgraded: 0, graceStarted: 0, paidExpired: 0 };
  for (const ws of await tierWorkspaces(deps.database.db)) {
    report.upgraded += await runUpgrades(deps, ws);
    // After the change cursor: a member whose points just changed is upgraded for them (`qualified`), the rest a new program
    // version lifts for it (`program_change`). (The cursor re-reads the 10 minutes before its last change: members changed
    // then are upgraded by it, as `qualified`.)
    report.upgraded += await runProgramChange(deps, ws);
    const e = await runEvaluation(deps, ws);
    report.downgraded += e.downgraded;
    report.graceStarted += e.graceStarted;
    report.upgraded += e.upgraded;
  }
  const g = await runGraceEnds(deps);
  report.downgraded += g.downgraded;
  report.upgraded += g.upgraded;
  report.paidExpired += await runPaidExpiry(deps);
  return report;
}

/** The upgrade cursor of a workspace: the last account change and the last order read. */
interface UpgradeState {
  acc?: { at: number; id: string };
  ord?: { at: number; id: string };
}

/** Members whose account changed or who ordered since the cursors are qualified again (upgrades only). */
async function runUpgrades(deps: TierDeps, ws: string): Promise<number> {
  let upgraded = 0;
  const pos: { acc?: { at: number; id: string }; ord?: { at: number; id: string } } = {};
  for (;;) {
    const done = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const state = await lockJobState<UpgradeState>(trx, deps.database.dialect, ws, 'loyalty.tiers', {}, now, { skipLocked: true });
        if (!state) return true;
        const { program } = await tierProgram(trx, ws);
        const from = (c: { at: number; id: string } | undefined, p: { at: number; id: string } | undefined) =>
          p ?? { at: Math.max(0, (c?.at ?? 0) - OVERLAP_MS), id: '' };
        const accFrom = from(state.acc, pos.acc);
        const accounts = await trx
          .selectFrom('loyalty_accounts')
          .select(['profile_id', 'updated_at'])
          .where('workspace_id', '=', ws)
          .where((eb) => eb(eb.refTuple('updated_at', 'profile_id'), '>', eb.tuple(accFrom.at, accFrom.id)))
          .orderBy('updated_at')
          .orderBy('profile_id')
          .limit(PAGE)
          .execute();
        const ordFrom = from(state.ord, pos.ord);
        const orders =
          program.basis === 'spend' ? await trackEventsAfter(trx, ws, ORDER_EVENTS.completed, { timestamp: ordFrom.at, messageId: ordFrom.id }, PAGE) : [];
        // Accounts too: a merged-away profile's account changes when its points move, and its survivor is the member to qualify.
        const live = await liveProfileIds(trx, ws, [...new Set([...orders.map((o) => o.profileId), ...accounts.map((a) => a.profile_id)])]);
        const ids = [...accounts.map((a) => live.get(a.profile_id) ?? a.profile_id), ...orders.map((o) => live.get(o.profileId) ?? o.profileId)];
        if (ids.length === 0) return true;
        upgraded += (await requalify(trx, deps.database, ws, program, ids, now, { kind: 'upgrade' })).upgraded;
        const lastA = accounts.at(-1);
        const lastO = orders.at(-1);
        if (lastA) pos.acc = { at: num(lastA.updated_at), id: lastA.profile_id };
        if (lastO) pos.ord = { at: lastO.timestamp, id: lastO.messageId };
        const later = (a: { at: number; id: string } | undefined, b: { at: number; id: string } | undefined) =>
          !a || (b && (b.at > a.at || (b.at === a.at && b.id > a.id))) ? b : a;
        await writeJobState(trx, ws, 'loyalty.tiers', { acc: later(state.acc, pos.acc), ord: later(state.ord, pos.ord) }, now);
        return accounts.length < PAGE && orders.length < PAGE;
      }),
    );
    if (done) return upgraded;
  }
}

/** Evaluation state: the last evaluation date done, and the member reached while one is under way. */
interface EvalState {
  done?: number;
  after?: string;
}

/** On an evaluation date: every member with a qualified tier is qualified again (downgrades at once or after the grace period). */
async function runEvaluation(deps: TierDeps, ws: string): Promise<Outcome> {
  const total: Outcome = { upgraded: 0, downgraded: 0, graceStarted: 0 };
  const tz = await deps.timeZoneOf(ws);
  for (;;) {
    const done = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const { program } = await tierProgram(trx, ws);
        if (program.tiers.length === 0) return true;
        const state = await lockJobState<EvalState>(trx, deps.database.dialect, ws, 'loyalty.tiers.eval', {}, now, { skipLocked: true });
        if (!state) return true;
        const at = lastEvaluationDate(program, now, tz);
        // A new program's first evaluation date is the next one: members have had no time to qualify.
        if (state.done === undefined) {
          await writeJobState(trx, ws, 'loyalty.tiers.eval', { done: at }, now);
          return true;
        }
        if (at <= state.done) return true;
        let q = trx.selectFrom('loyalty_members').select('profile_id').where('workspace_id', '=', ws).where('qualified_key', 'is not', null);
        if (state.after) q = q.where('profile_id', '>', state.after);
        const ids = (await q.orderBy('profile_id').limit(PAGE).execute()).map((r) => r.profile_id);
        const o = await requalify(trx, deps.database, ws, program, ids, now, { kind: 'evaluation', at });
        total.upgraded += o.upgraded;
        total.downgraded += o.downgraded;
        total.graceStarted += o.graceStarted;
        const finished = ids.length < PAGE;
        await writeJobState(trx, ws, 'loyalty.tiers.eval', finished ? { done: at } : { done: state.done, after: ids.at(-1) }, now);
        return finished;
      }),
    );
    if (done) return total;
  }
}

/** Members whose grace period has passed, claimed with SKIP LOCKED: downgraded unless they qualify again. */
async function runGraceEnds(deps: TierDeps): Promise<Outcome> {
  const total: Outcome = { upgraded: 0, downgraded: 0, graceStarted: 0 };
  for (;;) {
    const n = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const q = trx
          .selectFrom('loyalty_members')
          .selectAll()
          .where('grace_until', 'is not', null)
          .where('grace_until', '<=', now)
          .orderBy('grace_until')
          .limit(PAGE);
        const due = (await deps.database.dialect.claim(q).execute()).map(memberOf);
        for (const [ws, ms] of byWorkspace(due, (m) => m.ws)) {
          const { program } = await tierProgram(trx, ws);
          const o = await requalify(
            trx,
            deps.database,
            ws,
            program,
            ms.map((m) => m.profileId),
            now,
            { kind: 'grace-end' },
          );
          total.upgraded += o.upgraded;
          total.downgraded += o.downgraded;
        }
        return due.length;
      }),
    );
    if (n < PAGE) return total;
  }
}

/** Paid memberships past their end, claimed with SKIP LOCKED: the member drops back to the tier they qualify for. */
async function runPaidExpiry(deps: TierDeps): Promise<number> {
  let expired = 0;
  for (;;) {
    const n = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const q = trx
          .selectFrom('loyalty_members')
          .selectAll()
          .where('paid_key', 'is not', null)
          .where('paid_until', '<=', now)
          .orderBy('paid_until')
          .limit(PAGE);
        const due = (await deps.database.dialect.claim(q).execute()).map(memberOf);
        for (const [ws, ms] of byWorkspace(due, (m) => m.ws)) {
          const { program } = await tierProgram(trx, ws);
          for (const m of ms) await expirePaid(trx, deps.database, ws, program, m, now);
          expired += ms.length;
        }
        return due.length;
      }),
    );
    if (n < PAGE) return expired;
  }
}

/** Ends one member's paid membership (its row is claimed): `Paid Membership Expired`, and `Tier Changed` if the tier in force drops. */
async function expirePaid(trx: Conn, database: Database, ws: string, program: TierProgram, m: MemberState, now: number) {
  const ctx = { ws, program, dialect: database.dialect, now };
  await saveMember(trx, ctx, m, { ...changeOf(m), paidKey: null, paidUntil: null }, 'paid_expired');
  await recordSystemEvents(trx, database.dialect, [
    {
      workspaceId: ws,
      profileId: m.profileId,
      event: TIER_EVENTS.paidExpired,
      eventId: `lpm:${m.profileId}:${m.paidUntil}:expired`,
      at: now,
      properties: { tier: m.paidKey, ended_at: new Date(m.paidUntil ?? now).toISOString() },
    },
  ]);
}

/** Groups items by workspace. */
function byWorkspace<T>(items: readonly T[], ws: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) out.set(ws(i), [...(out.get(ws(i)) ?? []), i]);
  return out;
}
