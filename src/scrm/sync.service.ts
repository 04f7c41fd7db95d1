/**
 * Full sync of a WeCom corp into a workspace: staff, corp tags, external contacts with their
 * follow relations (each contact resolved into a One ID profile), and customer groups.
 *
 * Phases run in order and each chunk commits its rows together with the checkpoint in
 * `job_state` (`wecom.sync`), so a sync killed anywhere resumes after the last committed chunk:
 * finished phases are not fetched again, and the contacts phase continues from the saved
 * (staff batch, cursor) of `batch/get_by_user`. A lease (`wecom.sync.lease`) keeps two syncs of
 * one workspace from running at once. See docs/scrm-sync.md.
 */
import type { Kysely } from 'kysely';
import { countEventsWithMessageIdPrefix } from '../cdp/index.js';
import { readJobState, writeJobState } from '../platform/db/job-state.js';
import { newId } from '../platform/ids.js';
import { aborted, type Checkpoint, type Commit, type Ctx, type FullSyncDeps, MESSAGE_PREFIX, type SyncResult, ZERO } from './sync.context.js';
import { syncContacts } from './sync.contacts.js';
import { syncGroups } from './sync.groups.js';
import * as repo from './sync.repo.js';
import type { SyncDB } from './sync.repo.js';
import { syncStaff, syncTags } from './sync.staff.js';

export type { FullSyncDeps, SyncCounts, SyncPhase, SyncProgress, SyncResult } from './sync.context.js';
export { identifyMessage } from './sync.contacts.js';

/** Runs (or resumes) a full sync of the corp into the workspace; throws AppError WECOM_SYNC_RUNNING when one is running. */
export async function runFullSync(deps: FullSyncDeps): Promise<SyncResult> {
  const db = deps.db as unknown as Kysely<SyncDB>;
  const ws = deps.workspaceId;
  const lease = await repo.takeSyncLease(db, ws, deps.now);
  try {
    const saved = await readJobState<Checkpoint>(db, ws, repo.SYNC_STATE);
    const resumed = !!saved && saved.version === 1 && saved.phase !== 'done' && saved.corpId === deps.corpId;
    if (saved && !resumed && saved.phase !== 'done')
      deps.log.warn({ workspaceId: ws, previousCorp: saved.corpId }, 'wecom sync: discarding the checkpoint of another corp');
    const cp: Checkpoint = resumed ? saved! : fresh(deps);
    if (resumed) deps.log.info({ workspaceId: ws, runId: cp.runId, phase: cp.phase, contacts: cp.contacts }, 'wecom sync: resuming');
    const ctx: Ctx = { deps, db, ws, cp, lease, resumed, phasesRun: [] };
    const commit: Commit = (fn) => transaction(ctx, fn);
    if (cp.phase === 'staff') await syncStaff(ctx, commit);
    if (cp.phase === 'tags') await syncTags(ctx, commit);
    if (cp.phase === 'contacts' && !aborted(ctx)) await syncContacts(ctx, commit);
    if (cp.phase === 'groups' && !aborted(ctx)) await syncGroups(ctx, commit);
    const completed = cp.phase === 'done';
    const contacts = await repo.countContactsSince(db, ws, cp.startedAt);
    // Counted in the database: a chunk identified just before a crash stored its events without
    // its checkpoint, and the resumed run finds them stored already.
    const events = await countEventsWithMessageIdPrefix(db, ws, `${MESSAGE_PREFIX}${cp.runId}`);
    const result: SyncResult = {
      ...cp.counts,
      events,
      runId: cp.runId,
      resumed,
      phasesRun: ctx.phasesRun,
      completed,
      contacts,
      startedAt: cp.startedAt,
      finishedAt: cp.finishedAt ?? null,
    };
    deps.log.info({ workspaceId: ws, ...result }, completed ? 'wecom sync: finished' : 'wecom sync: stopped; run again to resume');
    return result;
  } finally {
    await lease.release();
  }
}

function fresh(deps: FullSyncDeps): Checkpoint {
  const at = deps.now();
  return {
    version: 1,
    runId: newId('wsync', at),
    corpId: deps.corpId,
    startedAt: at,
    phase: 'staff',
    followUserids: [],
    unlicensed: [],
    contacts: { batch: 0, cursor: null },
    groups: { cursor: null },
    counts: { ...ZERO },
  };
}

/**
 * One transaction: the chunk's rows, the checkpoint after it, and the lease renewal; retried on
 * serialisation failures. The checkpoint in memory changes only after the commit, so a retry
 * starts from the same state and counts nothing twice.
 */
async function transaction(ctx: Ctx, fn: (trx: Kysely<SyncDB>, next: Checkpoint) => Promise<void>): Promise<void> {
  const { db, deps, ws } = ctx;
  for (let attempt = 1; ; attempt++) {
    const next = structuredClone(ctx.cp);
    try {
      await db.transaction().execute(async (trx) => {
        await fn(trx, next);
        await writeJobState(trx, ws, repo.SYNC_STATE, next, deps.now());
        await ctx.lease.renew(trx);
      });
      Object.assign(ctx.cp, next);
      return;
    } catch (err) {
      if (attempt >= 5 || !deps.dialect.isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 2 ** attempt * 5));
    }
  }
}
