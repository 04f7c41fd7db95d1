import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import { postgresLimitSettings, type StatementLimits, statementTimeoutError } from './statement-limits.js';

/** A compiled query (Kysely's `compile()` output) to read in batches. */
export interface ScanQuery {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * Reads the rows of one long query in batches (rows as arrays, in select order), without holding
 * the JavaScript thread while the database works: segment recomputes run a whole-workspace
 * query, which on SQLite would otherwise block the server for seconds (better-sqlite3 is
 * synchronous). The query sees one snapshot from its start to its end. `limits` bound each
 * batch's wait (PostgreSQL: each FETCH, with work_mem and JIT off; SQLite: the thread is ended
 * when a batch takes longer), failing with an error `isStatementTimeout` recognises.
 */
export type Scanner = (query: ScanQuery, batchSize?: number, signal?: AbortSignal, limits?: StatementLimits) => AsyncGenerator<unknown[][]>;

// The worker thread's program. It opens its own read-only connection to the same file (WAL:
// readers never block the writer) and registers the same SQL functions as openDatabase.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.function('siyu_bucket', { deterministic: true }, (salt, id) =>
    parseInt(createHash('md5').update(String(salt) + ':' + String(id)).digest('hex').slice(0, 8), 16) % 100);
  const it = db.prepare(workerData.sql).raw(true).iterate(...workerData.parameters);
  // One batch is read ahead: while the main thread works on a batch, this thread reads the next.
  const read = () => {
    const rows = [];
    let r;
    while (rows.length < workerData.batch && !(r = it.next()).done) rows.push(r.value);
    return { rows, done: rows.length < workerData.batch };
  };
  let ahead;
  parentPort.on('message', () => {
    try {
      const batch = ahead || read();
      ahead = undefined;
      parentPort.postMessage(batch);
      if (batch.done) db.close();
      else ahead = read();
    } catch (err) {
      parentPort.postMessage({ error: String(err && err.message || err) });
    }
  });
  parentPort.postMessage({ ready: true });
} catch (err) {
  parentPort.postMessage({ error: String(err && err.message || err) });
}
`;

/** SQLite: the query runs in a worker thread on its own read-only connection. */
export function sqliteScanner(file: string): Scanner {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return async function* scan(query, batchSize = 10_000, signal, limits) {
    const worker = new Worker(WORKER, { eval: true, workerData: { driver, file, sql: query.sql, parameters: query.parameters, batch: batchSize } });
    const inbox: Array<{ rows?: unknown[][]; done?: boolean; ready?: boolean; error?: string }> = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    worker.on('message', (m) => {
      inbox.push(m);
      wake?.();
    });
    worker.on('error', (err) => {
      failure = err;
      wake?.();
    });
    // An abort (shutdown) ends the read at once, even in the middle of a long first batch.
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      void worker.terminate();
      wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // A batch past the time limit answers the caller at once and ends the thread. SQLite cannot
    // interrupt a statement (better-sqlite3 has no sqlite3_interrupt): the thread ends when the
    // statement next returns a row or finishes, which is not waited for.
    const timeoutMs = limits?.timeoutMs;
    let timedOut = false;
    const receive = async () => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              failure ??= statementTimeoutError(timeoutMs);
              void worker.terminate();
              wake?.();
            }, timeoutMs);
      try {
        for (;;) {
          if (aborted) return undefined;
          if (failure) throw failure;
          const m = inbox.shift();
          if (m) {
            if (m.error) throw new Error(`scan failed: ${m.error}`);
            return m;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      if (!(await receive())) return; // ready
      for (;;) {
        if (signal?.aborted) return;
        worker.postMessage('next');
        const m = await receive();
        if (!m) return;
        if (m.rows!.length) yield m.rows!;
        if (m.done) return;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (timedOut) void worker.terminate();
      else await worker.terminate();
    }
  };
}

/** PostgreSQL: a server-side cursor in a repeatable-read transaction on one pooled connection. */
export function postgresScanner(pool: pg.Pool): Scanner {
  return async function* scan(query, batchSize = 10_000, signal, limits) {
    const client = await pool.connect();
    let ok = false;
    try {
      await client.query('begin isolation level repeatable read read only');
      if (limits) {
        const { text, values } = postgresLimitSettings(limits);
        await client.query(text, values);
      }
      await client.query(`declare siyu_scan no scroll cursor for ${query.sql}`, query.parameters as unknown[]);
      for (;;) {
        if (signal?.aborted) break;
        const r = await client.query({ text: `fetch ${Math.max(1, Math.floor(batchSize))} from siyu_scan`, rowMode: 'array' });
        if (r.rows.length) yield r.rows as unknown[][];
        if (r.rows.length < batchSize) break;
      }
      await client.query('commit');
      ok = true;
    } finally {
      if (!ok) await client.query('rollback').catch(() => undefined);
      client.release();
    }
  };
}
