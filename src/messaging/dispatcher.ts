/**
 * The outbox dispatcher. A pass claims due rows in one transaction (dispatch/claim.ts), decides
 * each under a per-profile advisory lock (dispatch/decide.ts: guardrails, address, rendering) and
 * marks the ones to send `sending` with a lease before any provider is called; it then sends
 * (dispatch/send.ts) and records each answer in a transaction of its own, guarded by the attempt
 * number (dispatch/record.ts). A row whose lease expired in `sending` (the worker died between the
 * provider call and the record) is resent only when its channel deduplicates on our message id;
 * otherwise it becomes `unknown`, never a duplicate. A row whose processing throws is backed off
 * with its reason (dispatch/row-error.ts) while the other rows of its batch go in the same pass.
 */
import { startLoop } from '../platform/loop.js';
import type { Channel, SendResult } from './channels/types.js';
import type { ChannelName } from './content.js';
import type { MessagingDeps } from './deps.js';
import { claimJobs } from './dispatch/claim.js';
import { recordResult } from './dispatch/record.js';
import { sendJob } from './dispatch/send.js';
import { type DispatchContext, type DispatchStats, emptyStats } from './dispatch/types.js';

export type { DispatchStats } from './dispatch/types.js';

/** Options of the dispatcher. */
export interface DispatcherOptions {
  /** Rows claimed per pass (default 50). */
  batchSize?: number;
  /**
   * How long a claimed `sending` row belongs to this worker (default 120 s). Every provider call
   * times out well before (≤ 20 s), so an expired lease means the worker died mid-send.
   */
  leaseMs?: number;
  /** Provider calls in flight at once (default 8). */
  concurrency?: number;
  /** Idle poll interval of the background loop (default 1,000 ms). */
  pollMs?: number;
  /** Called between the provider's answer and recording it; tests inject crashes here. */
  afterSend?: (messageId: string, result: SendResult) => Promise<void> | void;
}

/** The background dispatcher of a process. */
export interface Dispatcher {
  /** One pass: claim due rows, apply guardrails, send, record. */
  runOnce(): Promise<DispatchStats>;
  /** Asks the loop to run now (after an enqueue). */
  wake(): void;
  /** Stops the loop after its current pass. */
  stop(): Promise<void>;
}

/** Creates a dispatcher whose loop is idle until woken (tests drive it with `runOnce`). */
export function createDispatcher(deps: MessagingDeps, channels: Record<ChannelName, Channel>, opts: DispatcherOptions = {}): Dispatcher {
  const batchSize = opts.batchSize ?? 50;
  const concurrency = opts.concurrency ?? 8;
  const ctx: DispatchContext = { deps, channels, leaseMs: opts.leaseMs ?? 120_000 };

  async function runOnce(): Promise<DispatchStats> {
    const stats = emptyStats();
    const jobs = await claimJobs(ctx, batchSize, stats);
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const result = await sendJob(deps, job);
        await opts.afterSend?.(job.row.id, result);
        try {
          await recordResult(ctx, job, result, stats);
        } catch (err) {
          // One answer that cannot be recorded must not strand the jobs behind it in this lane: the
          // row stays `sending` and is recovered when its lease ends, as after a crash.
          stats.errors++;
          deps.log.error({ err, workspaceId: job.row.workspace_id, messageId: job.row.id }, 'messaging: recording a provider answer failed');
        }
      }
    };
    // Every lane finishes before the pass ends, even when one fails (the afterSend hook of tests): no send outlives its pass.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return stats;
  }

  const loop = startLoop({
    // A full batch: the next one at once, after a turn of the event loop. On SQLite every statement
    // completes synchronously, so a backlog of fast sends would otherwise hold the server's thread
    // (seen: /health unanswered for over a minute while 7,500 queued messages went out).
    pass: async () => ((await runOnce()).claimed < batchSize ? undefined : 0),
    idleMs: opts.pollMs ?? 1000,
    log: deps.log,
    failed: 'messaging: dispatcher pass failed',
  });
  return { runOnce, wake: loop.wake, stop: loop.stop };
}

/**
 * Starts the dispatcher loop in the background: a first pass now, then on its timer and whenever
 * `messaging.outbox-has-work` is heard on the hub (journeys, broadcasts, the API after queueing).
 */
export function startDispatcher(deps: MessagingDeps, channels: Record<ChannelName, Channel>, opts: DispatcherOptions = {}): Dispatcher {
  const d = createDispatcher(deps, channels, opts);
  const unsubscribe = deps.hub.on('messaging.outbox-has-work', () => d.wake());
  d.wake();
  return {
    ...d,
    stop: async () => {
      unsubscribe();
      await d.stop();
    },
  };
}
