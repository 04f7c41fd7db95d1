/**
 * Bounds on the statements of one transaction, for work whose cost a tenant's input decides (a
 * segment preview, a recompute of a rule): how long each statement may run and how much memory a
 * sort or hash of it may take. PostgreSQL sets them for the transaction only (`set_config(...,
 * true)`, i.e. SET LOCAL) and turns JIT compilation off there: PostgreSQL compiles a large
 * generated condition with LLVM in one step that no timeout or cancel interrupts (a rule of 1,980
 * tags held a backend for over ten minutes at 1.6 GB). SQLite has neither setting; a read that
 * runs off the JavaScript thread (Database.scan) is stopped by ending its thread instead.
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from './dialect.js';

/** Limits of each statement of a transaction (see the file comment). */
export interface StatementLimits {
  /** Longest statement in milliseconds (PostgreSQL statement_timeout; SQLite: a scan's wait for its next batch). */
  timeoutMs?: number;
  /** Memory of each sort or hash before it spills to disk, as PostgreSQL writes it (`64MB`). */
  workMem?: string;
}

/** The error code of a statement stopped by its limit on SQLite (PostgreSQL's is 57014). */
export const STATEMENT_TIMEOUT = 'SIYU_STATEMENT_TIMEOUT';

/** The error of a scan stopped by `timeoutMs` (SQLite). */
export function statementTimeoutError(ms: number): Error {
  return Object.assign(new Error(`canceling statement due to statement timeout (${ms} ms)`), { code: STATEMENT_TIMEOUT });
}

/** True for a statement stopped by its time limit (PostgreSQL's statement_timeout, or a SQLite scan's). */
export function isStatementTimeout(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === STATEMENT_TIMEOUT) return true;
    if (e.code === '57014' && typeof e.message === 'string' && /statement timeout/i.test(e.message)) return true;
  }
  return false;
}

/** The `set_config` calls of `limits` for PostgreSQL (SET LOCAL: this transaction only), jit off included. */
export function postgresLimitSettings(limits: StatementLimits): { text: string; values: string[] } {
  const parts = [`set_config('jit', 'off', true)`];
  const values: string[] = [];
  if (limits.timeoutMs !== undefined) {
    values.push(String(Math.max(1, Math.round(limits.timeoutMs))));
    parts.push(`set_config('statement_timeout', $${values.length}, true)`);
  }
  if (limits.workMem !== undefined) {
    values.push(limits.workMem);
    parts.push(`set_config('work_mem', $${values.length}, true)`);
  }
  return { text: `select ${parts.join(', ')}`, values };
}

/**
 * Applies `limits` to the rest of the transaction `trx` (PostgreSQL; nothing on SQLite, whose
 * statements on the main connection cannot be interrupted). Call it first in the transaction.
 */
// Kysely<any>: any database type; the statement names no table.
export async function limitStatements(trx: Kysely<any>, dialect: Dialect, limits: StatementLimits | undefined): Promise<void> {
  if (!limits || dialect.engine !== 'postgres') return;
  const settings = [sql`set_config('jit', 'off', true)`];
  if (limits.timeoutMs !== undefined) settings.push(sql`set_config('statement_timeout', ${String(Math.max(1, Math.round(limits.timeoutMs)))}, true)`);
  if (limits.workMem !== undefined) settings.push(sql`set_config('work_mem', ${limits.workMem}, true)`);
  await sql`select ${sql.join(settings)}`.execute(trx);
}
