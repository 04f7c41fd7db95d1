/**
 * Mirrors each member's tier, points balance and points expiring in the next 30 days into profile
 * traits (`loyalty_tier`, `loyalty_points_balance`, `loyalty_points_expiring`) through cdp's trait
 * writers, so the segment rule language and the console's trait picker see them, as insight does
 * for CLV. A worker pass, batched: per workspace a cursor over accounts and members changed since
 * the last pass (re-read 10 minutes before it, for late commits), plus the members whose points
 * entered the 30-day window since then; 200 profiles a transaction, each written only when a value
 * differs. Writing traits stamps the profile's `updated_at`, so segments' change feed re-evaluates
 * it. The cursor row is claimed with SKIP LOCKED: one worker per workspace at a time.
 */
import { lockTraitsMany, profileTraits, type TraitsRow, writeTraitsMany } from '../cdp/index.js';
import { withRetries } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import { DAY_MS } from '../platform/time.js';
import { type Conn, num } from './ledger.repo.js';
import { type TierDeps, tierWorkspaces } from './tiers.worker.js';

/** The traits loyalty keeps on profiles. */
export const LOYALTY_TRAITS = { tier: 'loyalty_tier', balance: 'loyalty_points_balance', expiring: 'loyalty_points_expiring' } as const;
/** `loyalty_points_expiring` counts the points expiring within this many days. */
export const EXPIRING_DAYS = 30;

const PAGE = 200;
const OVERLAP_MS = 10 * 60_000;
const STATE = 'loyalty.traits';

type Pos = { at: number; id: string };
interface TraitState {
  acc?: Pos;
  mem?: Pos;
  /** The end of the expiring window at the last pass: lots expiring after it had not entered it then. */
  windowEnd?: number;
}

/** Mirrors the changed members' traits in every workspace; answers the profiles written. */
export async function syncLoyaltyTraits(deps: TierDeps): Promise<number> {
  let written = 0;
  for (const ws of await tierWorkspaces(deps.database.db)) written += await syncWorkspace(deps, ws);
  return written;
}

const later = (a: Pos | undefined, b: Pos | undefined) => (!a || (b && (b.at > a.at || (b.at === a.at && b.id > a.id))) ? b : a);

/** Rows of `table` changed after `from` (by updated_at, then profile id). */
async function changedAfter(trx: Conn, table: 'loyalty_accounts' | 'loyalty_members', ws: string, from: Pos) {
  return trx
    .selectFrom(table)
    .select(['profile_id', 'updated_at'])
    .where('workspace_id', '=', ws)
    .where((eb) => eb(eb.refTuple('updated_at', 'profile_id'), '>', eb.tuple(from.at, from.id)))
    .orderBy('updated_at')
    .orderBy('profile_id')
    .limit(PAGE)
    .execute();
}

/** One workspace, a page a transaction. */
async function syncWorkspace(deps: TierDeps, ws: string): Promise<number> {
  let written = 0;
  const pos: { acc?: Pos; mem?: Pos; lotsDone?: boolean } = {};
  for (;;) {
    const done = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const state = await lockJobState<TraitState>(trx, deps.database.dialect, ws, STATE, {}, now, { skipLocked: true });
        if (!state) return true;
        const from = (c: Pos | undefined, p: Pos | undefined) => p ?? { at: Math.max(0, (c?.at ?? 0) - OVERLAP_MS), id: '' };
        const accounts = await changedAfter(trx, 'loyalty_accounts', ws, from(state.acc, pos.acc));
        const members = await changedAfter(trx, 'loyalty_members', ws, from(state.mem, pos.mem));
        const windowEnd = now + EXPIRING_DAYS * DAY_MS;
        const entering = pos.lotsDone ? [] : await enteringWindow(trx, ws, state.windowEnd ?? 0, windowEnd);
        pos.lotsDone = true;
        const ids = [...new Set([...accounts, ...members].map((r) => r.profile_id).concat(entering))];
        written += await writeMemberTraits(trx, deps, ws, ids, now);
        const [la, lm] = [accounts.at(-1), members.at(-1)];
        if (la) pos.acc = { at: num(la.updated_at), id: la.profile_id };
        if (lm) pos.mem = { at: num(lm.updated_at), id: lm.profile_id };
        await writeJobState(trx, ws, STATE, { acc: later(state.acc, pos.acc), mem: later(state.mem, pos.mem), windowEnd }, now);
        return accounts.length < PAGE && members.length < PAGE;
      }),
    );
    if (done) return written;
  }
}

/** Members with points left in lots expiring in (after, until]: their expiring points grew by the passing of time alone. */
async function enteringWindow(trx: Conn, ws: string, after: number, until: number): Promise<string[]> {
  const rows = await trx
    .selectFrom('loyalty_entries')
    .select('profile_id')
    .distinct()
    .where('workspace_id', '=', ws)
    .where('remaining', '>', 0)
    .where('expires_at', '>', after)
    .where('expires_at', '<=', until)
    .execute();
  return rows.map((r) => r.profile_id);
}

/** Computes and writes the three traits of `ids` (live profiles only), where they differ; answers how many profiles were written. */
async function writeMemberTraits(trx: Conn, deps: TierDeps, ws: string, ids: readonly string[], now: number): Promise<number> {
  if (ids.length === 0) return 0;
  const want = new Map<string, Record<string, unknown>>(
    ids.map((id) => [id, { [LOYALTY_TRAITS.tier]: null, [LOYALTY_TRAITS.balance]: 0, [LOYALTY_TRAITS.expiring]: 0 }]),
  );
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    for (const a of await trx
      .selectFrom('loyalty_accounts')
      .select(['profile_id', 'balance'])
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', part)
      .execute())
      want.get(a.profile_id)![LOYALTY_TRAITS.balance] = num(a.balance);
    for (const m of await trx
      .selectFrom('loyalty_members')
      .select(['profile_id', 'tier_key'])
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', part)
      .execute())
      want.get(m.profile_id)![LOYALTY_TRAITS.tier] = m.tier_key;
    const soon = await trx
      .selectFrom('loyalty_entries')
      .select(['profile_id', (eb) => eb.fn.sum<number>('remaining').as('points')])
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', part)
      .where('remaining', '>', 0)
      .where('expires_at', '>', now)
      .where('expires_at', '<=', now + EXPIRING_DAYS * DAY_MS)
      .groupBy('profile_id')
      .execute();
    for (const s of soon) want.get(s.profile_id)![LOYALTY_TRAITS.expiring] = num(s.points);
  }
  const same = (traits: Record<string, unknown>, k: string, v: unknown) => (v === null ? !(k in traits) : traits[k] === v);
  // Read first without a lock: the re-read overlap brings mostly unchanged members, whose profiles are then not locked at all.
  const current = await profileTraits(trx, ws, ids);
  const stale = ids.filter((id) => current.has(id) && Object.entries(want.get(id)!).some(([k, v]) => !same(current.get(id)!, k, v)));
  const changed: TraitsRow[] = [];
  for (const row of await lockTraitsMany(trx, deps.database.dialect, ws, stale)) {
    let differs = false;
    for (const [k, v] of Object.entries(want.get(row.id)!)) {
      if (same(row.traits, k, v)) continue;
      differs = true;
      if (v === null) delete row.traits[k];
      else row.traits[k] = v;
      row.traitTimes[k] = now;
    }
    if (differs) changed.push(row);
  }
  await writeTraitsMany(trx, deps.database.dialect, ws, changed, now);
  return changed.length;
}
