/**
 * The health of the operations worker's steps per workspace (issue #14: a job that fails is backed
 * off and shown with its reason, while other workspaces and steps go on). Each step's state is a
 * platform job state `scrm.ops-health:<step>`: failures in a row, the last reason and when the
 * step is tried again (30 s doubling to 1 h, so at the worker's one-minute cadence it is skipped
 * for 1, 2, 4 ... 60 minutes); after 8 failures in a row it shows as failed and is still tried
 * hourly. A success clears it. Database-unavailable errors are the outage's, not the step's: they
 * count nothing.
 */
import { isDatabaseUnavailable } from '../../platform/db/unavailable.js';
import { readJobState, writeJobState } from '../../platform/db/job-state.js';
import { doublingDelayMs, failureText } from '../../platform/failure.js';
import type { OpsContext } from './context.js';

/** The steps of an operations cycle, in their order. */
export const OPS_STEPS = ['sop tick', 'sop results', 'handover results'] as const;
export type OpsStep = (typeof OPS_STEPS)[number];

export const OPS_BACKOFF = { firstMs: 30_000, maxMs: 3_600_000, failedAfter: 8 } as const;

interface StoredHealth {
  failures: number;
  lastError: string | null;
  lastFailedAt: number | null;
  retryAt: number | null;
  lastOkAt: number | null;
}

/** A step's health as the API answers it. */
export interface OpsStepHealth {
  step: OpsStep;
  state: 'ok' | 'retrying' | 'failed';
  failures: number;
  lastError: string | null;
  lastFailedAt: string | null;
  retryAt: string | null;
  lastOkAt: string | null;
}

const nameOf = (step: OpsStep) => `scrm.ops-health:${step.replace(/ /g, '-')}`;
const EMPTY: StoredHealth = { failures: 0, lastError: null, lastFailedAt: null, retryAt: null, lastOkAt: null };
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** How a tracked step went. */
export type StepOutcome<T> = { outcome: 'done'; report: T } | { outcome: 'skipped'; retryAt: number } | { outcome: 'failed'; err: unknown };

/**
 * Runs `step` for the workspace unless it is backing off, and records how it went (a failure's
 * error is recorded here and logged by the caller). Database-unavailable errors are thrown on.
 */
export async function runTrackedStep<T>(ctx: OpsContext, ws: string, step: OpsStep, run: () => Promise<T>): Promise<StepOutcome<T>> {
  const now = ctx.now();
  const health = (await readJobState<StoredHealth>(ctx.db, ws, nameOf(step))) ?? EMPTY;
  if (health.retryAt !== null && health.retryAt > now) return { outcome: 'skipped', retryAt: health.retryAt };
  try {
    const out = await run();
    if (health.failures > 0 || health.lastOkAt === null || now - health.lastOkAt > 3_600_000) {
      await writeJobState(ctx.db, ws, nameOf(step), { ...EMPTY, lastOkAt: now }, now);
    }
    return { outcome: 'done', report: out };
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw err;
    const failures = health.failures + 1;
    const next = {
      ...health,
      failures,
      lastError: failureText(err),
      lastFailedAt: now,
      retryAt: now + doublingDelayMs(failures, OPS_BACKOFF.firstMs, OPS_BACKOFF.maxMs),
    };
    await writeJobState(ctx.db, ws, nameOf(step), next, now);
    return { outcome: 'failed', err };
  }
}

/** The health of every step in the workspace. */
export async function opsHealth(ctx: OpsContext, ws: string): Promise<OpsStepHealth[]> {
  const out: OpsStepHealth[] = [];
  for (const step of OPS_STEPS) {
    const h = (await readJobState<StoredHealth>(ctx.db, ws, nameOf(step))) ?? EMPTY;
    const state = h.failures === 0 ? 'ok' : h.failures >= OPS_BACKOFF.failedAfter ? 'failed' : 'retrying';
    out.push({
      step,
      state,
      failures: h.failures,
      lastError: h.lastError,
      lastFailedAt: iso(h.lastFailedAt),
      retryAt: iso(h.retryAt),
      lastOkAt: iso(h.lastOkAt),
    });
  }
  return out;
}
