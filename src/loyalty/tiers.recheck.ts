/**
 * Tier upgrades outside the worker's change cursor: at once after a posting through the API (in
 * the posting's transaction), and for every member after a program change (a threshold lowered,
 * a tier added below someone's value), as Open Loyalty recalculates levels when their conditions
 * change. The program-change pass is the worker's: durable (`job_state` `loyalty.tiers.program`
 * holds the version done and the member reached), claimed with SKIP LOCKED, 200 members a
 * transaction; it upgrades only (downgrades still wait for an evaluation date).
 */
import { sql } from 'kysely';
import { liveProfileIds } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { parseJson, withRetries } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import type { Conn } from './ledger.repo.js';
import { type TierProgram, tierProgram } from './tiers.service.js';
import type { TierChangeReason } from './tiers.tables.js';
import { requalify, type TierDeps } from './tiers.qualify.js';

const PAGE = 200;

/** Qualifies members again for upgrades in the caller's transaction (nothing without tiers); answers how many were upgraded. */
export async function upgradeNow(trx: Conn, dialect: Dialect, ws: string, profileIds: readonly string[], now: number, reason: TierChangeReason = 'qualified') {
  const { program } = await tierProgram(trx, ws);
  if (program.tiers.length === 0) return 0;
  return (await requalify(trx, { dialect }, ws, program, profileIds, now, { kind: 'upgrade' })).upgraded;
}

/**
 * {@link upgradeNow} with the program in force already read (its stored definition, as
 * `lockForPosting` answers it; null or undefined for none): no statement without tiers.
 */
export async function upgradeWith(trx: Conn, dialect: Dialect, ws: string, profileIds: readonly string[], now: number, definition: unknown): Promise<number> {
  if (definition === null || definition === undefined) return 0;
  const program = parseJson<TierProgram>(definition);
  if (program.tiers.length === 0) return 0;
  return (await requalify(trx, { dialect }, ws, program, profileIds, now, { kind: 'upgrade' })).upgraded;
}

/** Where the program-change pass is: the version re-qualified for, and while one runs, the version under way and the last member done. */
interface ProgramState {
  done?: number;
  doing?: number;
  after?: string;
}

/**
 * After a program change: every member (each profile with a points account or a tier row) is
 * qualified again against the new version, upgrades only, reason `program_change`. Answers how
 * many were upgraded.
 */
export async function runProgramChange(deps: TierDeps, ws: string): Promise<number> {
  let upgraded = 0;
  for (;;) {
    const done = await withRetries(deps.database, () =>
      deps.database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        const { version, program } = await tierProgram(trx, ws);
        const state = await lockJobState<ProgramState>(trx, deps.database.dialect, ws, 'loyalty.tiers.program', {}, now, { skipLocked: true });
        if (!state) return true;
        // The first pass over a workspace takes the version in force as done: a change is one made after it (a first program, made
        // in a workspace the worker has seen, is a change; a deployment does not re-qualify every member of every workspace).
        if (state.done === undefined) {
          await writeJobState(trx, ws, 'loyalty.tiers.program', { done: version }, now);
          return true;
        }
        if (state.done >= version) return true;
        // A newer version while a pass runs: start again from the first member.
        const after = state.doing === version ? (state.after ?? '') : '';
        const ids = await membersAfter(trx, ws, after);
        // Profiles merged away are skipped: their survivor is a member of its own (and counts their earnings).
        const live = await liveProfileIds(trx, ws, ids);
        const alive = ids.filter((id) => (live.get(id) ?? id) === id);
        if (program.tiers.length > 0 && alive.length > 0) {
          const note = `tier program version ${version}`;
          upgraded += (await requalify(trx, deps.database, ws, program, alive, now, { kind: 'upgrade' }, 'program_change', note)).upgraded;
        }
        const finished = ids.length < PAGE;
        await writeJobState(trx, ws, 'loyalty.tiers.program', finished ? { done: version } : { done: state.done, doing: version, after: ids.at(-1) }, now);
        return finished;
      }),
    );
    if (done) return upgraded;
  }
}

/** The next page of members by profile id: profiles with a points account or a tier row. */
async function membersAfter(trx: Conn, ws: string, after: string): Promise<string[]> {
  const accounts = trx.selectFrom('loyalty_accounts').select('profile_id').where('workspace_id', '=', ws).where('profile_id', '>', after);
  const members = trx.selectFrom('loyalty_members').select('profile_id').where('workspace_id', '=', ws).where('profile_id', '>', after);
  const rows = await trx.selectFrom(accounts.union(members).as('u')).select('u.profile_id').orderBy(sql.ref('u.profile_id')).limit(PAGE).execute();
  return rows.map((r) => r.profile_id);
}
