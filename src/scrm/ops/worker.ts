/**
 * The operations worker: once a minute, for every workspace with a WeCom connection, runs the
 * SOP scheduler tick, polls WeCom for mass-message results and for handover results. Each step
 * is idempotent and commits on its own, so a crash or a stop between steps loses nothing.
 */
import { startLoop } from '../../platform/loop.js';
import type { Scrm } from '../deps.js';
import { type OpsContext, opsContext, opsDb } from './context.js';
import { syncHandoverResults } from './handover.service.js';
import { OPS_STEPS, type OpsStep, runTrackedStep } from './health.js';
import { syncSopTaskResults } from './sop-results.js';
import { runSopTick } from './sop-tick.js';

/** A running operations worker. */
export interface ScrmOpsWorker {
  /** Runs one cycle now (tests and the CLI use this); waits for a cycle already running first. */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One cycle over every connected workspace; a failure in one workspace or step is recorded with its
 * reason and backed off (health.ts, `GET /v1/wecom/ops/health`), and the rest go on.
 */
export async function runOpsCycle(ctx: OpsContext): Promise<void> {
  const workspaces = (await opsDb(ctx).selectFrom('wecom_apps').select('workspace_id').execute()).map((r) => r.workspace_id);
  const steps: Record<OpsStep, (ws: string) => Promise<unknown>> = {
    'sop tick': (ws) => runSopTick(ctx, ws),
    'sop results': (ws) => syncSopTaskResults(ctx, ws),
    'handover results': (ws) => syncHandoverResults(ctx, ws),
  };
  for (const ws of workspaces) {
    for (const name of OPS_STEPS) {
      const r = await runTrackedStep(ctx, ws, name, () => steps[name](ws));
      if (r.outcome === 'failed') ctx.log.error({ err: r.err, workspaceId: ws, step: name }, 'scrm ops step failed; backed off');
      else ctx.log.debug({ workspaceId: ws, step: name, ...r }, 'scrm ops step');
    }
  }
}

/** Starts the worker: a cycle every `intervalMs` (default one minute), never two at once; `groupsWithTags` as in OpsContext. */
export function startScrmOpsWorker(scrm: Scrm, opts: { intervalMs?: number; groupsWithTags?: OpsContext['groupsWithTags'] } = {}): ScrmOpsWorker {
  const ctx = opsContext(scrm, { groupsWithTags: opts.groupsWithTags });
  const intervalMs = opts.intervalMs ?? 60_000;
  const loop = startLoop({ pass: () => runOpsCycle(ctx), idleMs: intervalMs, fixedRate: true, log: ctx.log, failed: 'scrm ops cycle failed' });
  loop.schedule(intervalMs);
  return { runOnce: loop.runOnce, stop: loop.stop };
}
