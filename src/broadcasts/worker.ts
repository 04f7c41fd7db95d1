/**
 * The background broadcast worker: when a broadcast comes due it runs its fan-out a chunk at a
 * time (fanout.ts), taking due broadcasts in turn so one large send does not hold back a small
 * one scheduled a minute later. It wakes on a timer and when `broadcasts.due` is heard (a
 * broadcast was scheduled or sent now). Several processes may run it against one PostgreSQL: each
 * chunk locks its broadcast row with SKIP LOCKED. A broadcast whose chunk throws is backed off
 * with its reason (chunk-failure.ts) and the pass goes on with the others.
 */
import { nextTurn, startLoop } from '../platform/loop.js';
import { type ChunkOptions, dueBroadcasts, type FanoutDeps, runChunk } from './fanout.js';

/** Totals of one worker pass. */
export interface BroadcastPassStats {
  chunks: number;
  enqueued: number;
  duplicates: number;
  holdout: number;
  excluded: number;
  finished: number;
  failed: number;
  /** Fan-outs whose chunk threw and that were backed off (the others went on). */
  retrying: number;
}

/** The worker of a process. */
export interface BroadcastWorker {
  /** One pass: runs every due broadcast's fan-out to its end (or until stopped). */
  runOnce(): Promise<BroadcastPassStats>;
  /** Asks for a pass now (a broadcast was scheduled or sent now). */
  wake(): void;
  /** Stops after the current chunk transaction. */
  stop(): Promise<void>;
}

/** Options of the worker. */
export interface BroadcastWorkerOptions extends ChunkOptions {
  /** Idle poll interval (default 1,000 ms): a scheduled broadcast starts at most this late. */
  pollMs?: number;
}

/** Creates a worker whose loop is idle until woken (tests drive it with runOnce). */
export function createBroadcastWorker(deps: FanoutDeps, opts: BroadcastWorkerOptions = {}): BroadcastWorker {
  async function runOnce(): Promise<BroadcastPassStats> {
    const stats: BroadcastPassStats = { chunks: 0, enqueued: 0, duplicates: 0, holdout: 0, excluded: 0, finished: 0, failed: 0, retrying: 0 };
    let active = await dueBroadcasts(deps.database.db, deps.now());
    while (active.length && !loop.stopped) {
      const next: typeof active = [];
      for (const b of active) {
        if (loop.stopped) break;
        const r = await runChunk(deps, b.workspaceId, b.id, opts);
        // SQLite queries complete synchronously: without a turn of the event loop between chunks,
        // a long fan-out would keep the process from answering HTTP requests until it ends.
        await nextTurn();
        if (r.state === 'skipped') continue;
        if (r.state === 'retrying') {
          stats.retrying++;
          continue;
        }
        stats.chunks++;
        stats.enqueued += r.enqueued;
        stats.duplicates += r.duplicates;
        stats.holdout += r.holdout;
        stats.excluded += r.excluded;
        if (r.state === 'done') stats.finished++;
        else if (r.state === 'failed') stats.failed++;
        else next.push(b);
      }
      active = next;
    }
    return stats;
  }

  const loop = startLoop({
    pass: async () => {
      await runOnce();
    },
    idleMs: opts.pollMs ?? 1000,
    log: deps.log,
    failed: 'broadcast worker pass failed',
  });
  return { runOnce, wake: loop.wake, stop: loop.stop };
}

/** Starts the worker loop in the background: a first pass now, then on its timer and whenever `broadcasts.due` is heard. */
export function startBroadcastWorker(deps: FanoutDeps, opts: BroadcastWorkerOptions = {}): BroadcastWorker {
  const w = createBroadcastWorker(deps, opts);
  const unsubscribe = deps.hub.on('broadcasts.due', () => w.wake());
  w.wake();
  return {
    ...w,
    stop: async () => {
      unsubscribe();
      await w.stop();
    },
  };
}
