/**
 * The background broadcast worker: when a broadcast comes due it runs its fan-out a chunk at a
 * time (fanout.ts), taking due broadcasts in turn so one large send does not hold back a small
 * one scheduled a minute later. It wakes on a timer and when a broadcast is scheduled. Several
 * processes may run it against one PostgreSQL: each chunk locks its broadcast row with SKIP LOCKED.
 */
import type { Logger } from 'pino';
import { nextTurn, startLoop } from '../platform/loop.js';
import { dueBroadcasts, type FanoutDeps, runChunk } from './fanout.js';

/** Totals of one worker pass. */
export interface BroadcastPassStats {
  chunks: number;
  enqueued: number;
  duplicates: number;
  holdout: number;
  excluded: number;
  finished: number;
  failed: number;
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
export interface BroadcastWorkerOptions extends FanoutDeps {
  log: Logger;
  /** Idle poll interval (default 1,000 ms): a scheduled broadcast starts at most this late. */
  pollMs?: number;
}

/** Creates a worker without starting its loop (tests drive it with runOnce). */
export function createBroadcastWorker(opts: BroadcastWorkerOptions): BroadcastWorker {
  async function runOnce(): Promise<BroadcastPassStats> {
    const stats: BroadcastPassStats = { chunks: 0, enqueued: 0, duplicates: 0, holdout: 0, excluded: 0, finished: 0, failed: 0 };
    let active = await dueBroadcasts(opts.database.db, opts.now());
    while (active.length && !loop.stopped) {
      const next: typeof active = [];
      for (const b of active) {
        if (loop.stopped) break;
        const r = await runChunk(opts, b.workspaceId, b.id);
        // SQLite queries complete synchronously: without a turn of the event loop between chunks,
        // a long fan-out would keep the process from answering HTTP requests until it ends.
        await nextTurn();
        if (r.state === 'skipped') continue;
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
    log: opts.log,
    failed: 'broadcast worker pass failed',
  });
  return { runOnce, wake: loop.wake, stop: loop.stop };
}

/** Starts the worker loop in the background (the serving process calls it from startWorkers). */
export function startBroadcastWorker(opts: BroadcastWorkerOptions): BroadcastWorker {
  const w = createBroadcastWorker(opts);
  w.wake();
  return w;
}
