/** What the phases of a full sync share: its types, the checkpoint, the run's context and progress reports. */
import type { PiiKeyring } from '../platform/keys.js';
import type { Kysely } from 'kysely';
import type { IngestWriter } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import type { WeComClient } from '../wecom/index.js';
import type { SyncDB, SyncLease } from './sync.repo.js';

/** The phases of a full sync, in order; `done` when the last one finished. */
export type SyncPhase = 'staff' | 'tags' | 'contacts' | 'groups' | 'done';

/** What the sync reports as it goes. */
export interface SyncProgress {
  phase: Exclude<SyncPhase, 'done'>;
  /** Items of the phase done so far in this sync (staff, tags, relations, groups), including those before a resume. */
  done: number;
  /** Items in the phase when known (WeCom has no count of relations or groups up front). */
  total?: number;
  /** Items per second in this process since the phase started (0 until time has passed). */
  rate: number;
}

/** Counts of one sync, kept in the checkpoint so that a resumed sync reports the whole run. */
export interface SyncCounts {
  staff: number;
  /** Members the run did not see any more, marked resigned. */
  resignedStaff: number;
  tags: number;
  deletedTags: number;
  /** (customer, member) relations read from batch/get_by_user. */
  relations: number;
  /** Identify events this sync stored, for new or changed contacts (each once, resumed or not). */
  events: number;
  /** Contacts whose profile could not be resolved (no usable identifier); their contact row is skipped. */
  unresolved: number;
  /** Live relations WeCom no longer lists, marked deleted. */
  vanishedFollows: number;
  groups: number;
  groupMembers: number;
  dismissedGroups: number;
  /** Members whose customers WeCom would not list (no interconnection licence). */
  unlicensedStaff: number;
}

/** The outcome of a full sync. */
export interface SyncResult extends SyncCounts {
  runId: string;
  /** True when this call continued an interrupted sync. */
  resumed: boolean;
  /** Phases this call worked on (a resumed sync skips those finished before). */
  phasesRun: Exclude<SyncPhase, 'done'>[];
  /** False when `signal` stopped the sync between chunks; run again to resume. */
  completed: boolean;
  /** Distinct contacts written by the sync. */
  contacts: number;
  startedAt: number;
  finishedAt: number | null;
}

/** What a full sync needs; the client is any WeCom client for the corp (a real one, or one pointed at the sandbox). */
export interface FullSyncDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  writer: Pick<IngestWriter, 'submit' | 'settingsFor'>;
  client: WeComClient;
  workspaceId: string;
  corpId: string;
  now: () => number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  onProgress?: (p: SyncProgress) => void;
  /** Stops the sync after the chunk in progress (it resumes from there next time). */
  signal?: AbortSignal;
  /** Relations per chunk (one transaction with its checkpoint); default 1,000. */
  contactsPerChunk?: number;
  /** Groups per groupchat/list page (one transaction with its checkpoint); default 100. */
  groupsPerPage?: number;
  /** The PII cipher, to leave out group members who were erased (tombstoned, issue #19); without it, none is left out. */
  cipher?: PiiKeyring;
  /** Region for phone numbers in identify events (none are sent today); default CN. */
  defaultRegion?: string;
}

/** The sync's durable state in job_state, written with each chunk. */
export interface Checkpoint {
  version: 1;
  runId: string;
  corpId: string;
  startedAt: number;
  phase: SyncPhase;
  /** Members whose customers are read, frozen at the staff phase so that batches stay stable across a resume. */
  followUserids: string[];
  unlicensed: string[];
  contacts: { batch: number; cursor: string | null };
  groups: { cursor: string | null };
  counts: SyncCounts;
  finishedAt?: number;
}

/** Counts of a fresh sync. */
export const ZERO: SyncCounts = {
  staff: 0,
  resignedStaff: 0,
  tags: 0,
  deletedTags: 0,
  relations: 0,
  events: 0,
  unresolved: 0,
  vanishedFollows: 0,
  groups: 0,
  groupMembers: 0,
  dismissedGroups: 0,
  unlicensedStaff: 0,
};
/** Message ids of the sync's identify events start with this and the run id. */
export const MESSAGE_PREFIX = 'wecom-sync:';

/** One run of a sync: its deps, the database, the checkpoint in memory (updated after each commit). */
export interface Ctx {
  deps: FullSyncDeps;
  db: Kysely<SyncDB>;
  ws: string;
  cp: Checkpoint;
  lease: SyncLease;
  /** The checkpoint came from an earlier run (its cursors may have expired in WeCom). */
  resumed: boolean;
  phasesRun: Exclude<SyncPhase, 'done'>[];
}

/** Runs `fn` with the transaction and a copy of the checkpoint to change; the copy becomes the checkpoint once committed. */
export type Commit = (fn: (trx: Kysely<SyncDB>, next: Checkpoint) => Promise<void>) => Promise<void>;

/** True when the caller asked the sync to stop. */
export const aborted = (ctx: Ctx) => ctx.deps.signal?.aborted === true;

/** Reports progress of a phase; `initial` is what a resumed phase had done before, left out of the rate. */
export function meter(ctx: Ctx, phase: Exclude<SyncPhase, 'done'>, initial = 0) {
  ctx.phasesRun.push(phase);
  const started = ctx.deps.now();
  return (done: number, total?: number) => {
    const secs = (ctx.deps.now() - started) / 1000;
    ctx.deps.onProgress?.({ phase, done, total, rate: secs > 0 ? (done - initial) / secs : 0 });
  };
}
