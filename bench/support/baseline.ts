import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../../src/platform/db/database.js';
import { migrateSiyu } from '../../src/server/migrations.js';
import { newId } from '../../src/platform/ids.js';
import type { SegmentEvent, SegmentStream } from './segment-stream.js';

/** What a baseline run measured. */
export interface BaselineResult {
  rows: number;
  /** Time spent inside the insert transactions only (row building excluded), ms. */
  insertMs: number;
  /** Wall-clock time including building the rows, ms. */
  wallMs: number;
}

/** A row of the events table, in column order. */
type EventRow = [string, string, string, string, string | null, string | null, string, number, number, string];

const COLUMNS = ['workspace_id', 'message_id', 'profile_id', 'type', 'event', 'user_id', 'anonymous_id', 'timestamp', 'received_at', 'payload'] as const;

/**
 * Turns generated events into the rows Siyu would store: one profile id per person (no identity
 * resolution here) and the payload as the server stores it (the message plus receivedAt and
 * originalTimestamp).
 */
function rowMaker(): (e: SegmentEvent) => EventRow {
  const workspaceId = newId('ws');
  const profileOf: string[] = [];
  return (e) => {
    const receivedAt = Date.now();
    const profileId = (profileOf[e.person] ??= newId('prf'));
    const iso = new Date(e.timestamp).toISOString();
    const payload = `${e.json.slice(0, -1)},"receivedAt":"${new Date(receivedAt).toISOString()}","originalTimestamp":"${iso}"}`;
    return [workspaceId, e.messageId, profileId, e.type, e.event, e.userId, e.anonymousId, e.timestamp, receivedAt, payload];
  };
}

/**
 * Baseline (SQLite): the same rows inserted straight into a fresh database file by one prepared
 * statement, `batch` rows a transaction. The table comes from Siyu's own migrations (same primary
 * key and secondary index) and the connection uses the server's pragmas (WAL,
 * synchronous=NORMAL, 64 MB page cache), so the only difference left is the write path.
 */
export async function sqliteBaseline(dataDir: string, stream: SegmentStream, batch: number, onProgress?: (rows: number) => void): Promise<BaselineResult> {
  const migrated = openDatabase({ dataDir, sqliteFile: 'baseline.db' });
  await migrateSiyu(migrated.db, 'sqlite');
  await migrated.close();

  const raw = new BetterSqlite3(join(dataDir, 'baseline.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('cache_size = -65536');
  const insert = raw.prepare(`insert into events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`);
  const insertMany = raw.transaction((rows: EventRow[]) => {
    for (const r of rows) insert.run(r);
  });
  const toRow = rowMaker();
  let rows = 0;
  let insertMs = 0;
  const wall0 = performance.now();
  for (let events = stream.next(batch); events; events = stream.next(batch)) {
    const part = events.map(toRow);
    const t0 = performance.now();
    insertMany(part);
    insertMs += performance.now() - t0;
    rows += part.length;
    onProgress?.(rows);
  }
  const wallMs = performance.now() - wall0;
  raw.close();
  return { rows, insertMs, wallMs };
}

/**
 * Baseline (PostgreSQL): the same rows as multi-row INSERTs of `batch` rows (one prepared
 * statement, each its own transaction) over one connection, into an identical table created by
 * Siyu's migrations. `url` should name an empty database of its own.
 */
export async function postgresBaseline(url: string, stream: SegmentStream, batch: number, onProgress?: (rows: number) => void): Promise<BaselineResult> {
  const migrated = openDatabase({ databaseUrl: url, dataDir: '.', poolSize: 1 });
  await migrateSiyu(migrated.db, 'postgres');
  await migrated.close();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const sqlFor = (n: number) =>
    `insert into events (${COLUMNS.join(', ')}) values ` +
    Array.from({ length: n }, (_, i) => `(${COLUMNS.map((_c, j) => `$${i * COLUMNS.length + j + 1}`).join(', ')})`).join(', ');
  const toRow = rowMaker();
  let rows = 0;
  let insertMs = 0;
  const wall0 = performance.now();
  try {
    for (let events = stream.next(batch); events; events = stream.next(batch)) {
      const values = events.map(toRow).flat();
      const t0 = performance.now();
      await client.query({ name: `baseline_insert_${events.length}`, text: sqlFor(events.length), values });
      insertMs += performance.now() - t0;
      rows += events.length;
      onProgress?.(rows);
    }
  } finally {
    await client.end();
  }
  return { rows, insertMs, wallMs: performance.now() - wall0 };
}
