import type { Readable } from 'node:stream';
import { type Database, withRetries } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { readRows, type ImportFormat } from './import.readers.js';
import { headerProblem, type ImportKind, prepareRow, type RowWarning } from './import.rows.js';
import { tagProfiles } from './import.tags.js';
import { fallbackSpoolDir, openSpool, type StagedRow } from './import.spool.js';
import type { IngestDeps } from './ingest.types.js';
import { cdpDb } from './schema.js';
import type { NormaliseContext } from './tracking.js';
import type { IngestWriter } from './writer.js';

export type { ImportFormat } from './import.readers.js';
export type { ImportKind } from './import.rows.js';

/** `skip-bad-rows` stores every good row chunk by chunk; `all-or-nothing` stores nothing unless every row of the file is good. */
export type ImportMode = 'skip-bad-rows' | 'all-or-nothing';

/** The import kinds, for schemas and option parsing. */
export const IMPORT_KINDS: readonly ImportKind[] = ['profiles', 'orders'];
/** The file formats, for schemas and option parsing. */
export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'ndjson'];
/** The import modes, for schemas and option parsing. */
export const IMPORT_MODES: readonly ImportMode[] = ['skip-bad-rows', 'all-or-nothing'];

/** A row that was not imported: the 1-based physical line it starts on (CSV header = line 1), the column at fault when one is, and why. */
export interface RowError {
  line: number;
  field?: string;
  reason: string;
}

/** A row that was imported without one of its values (such as an invalid phone beside a usable member id). */
export interface RowWarningAt extends RowWarning {
  line: number;
}

/** The outcome of an import. */
export interface ImportReport {
  kind: ImportKind;
  format: ImportFormat;
  mode: ImportMode;
  /** Data rows read (not counting the CSV header or blank lines). */
  rows: number;
  /** Rows stored by this import. */
  imported: number;
  /** Good rows already stored by an earlier import (or earlier in this file). */
  duplicates: number;
  /** Rows not stored: the bad ones, or every row when an all-or-nothing import was rejected. */
  skipped: number;
  /** True when an all-or-nothing import found bad rows and stored nothing. */
  rejected: boolean;
  /** Profiles that were given tags from a `tags` column. */
  tagged: number;
  errorCount: number;
  /** The first 1,000 row errors in file order (all of them go to `onError`). */
  errors: RowError[];
  warningCount: number;
  /** The first 1,000 warnings in file order: rows imported without one of their values. */
  warnings: RowWarningAt[];
}

/** Progress after each chunk, for progress bars. */
export interface ImportProgress {
  /** All-or-nothing: `validating` reads and stages the file, `importing` applies the staged rows. */
  phase: 'validating' | 'importing';
  rows: number;
  /** Rows to apply, once known (the importing phase of all-or-nothing). */
  total?: number;
  imported: number;
  errors: number;
}

/** What an import needs: the writer (group commit) and the ingest dependencies. */
export interface ImportDeps {
  writer: IngestWriter;
  /** For retrying transactions that lost a race with another writer. */
  database: Database;
  ingest: IngestDeps;
  defaultRegion: string;
  /** Where all-or-nothing imports stage their rows: `importSpoolDir(dataDir)`; default a per-user folder in the temp dir. */
  spoolDir?: string;
}

/** One import's file and options; `open` is called once. */
export interface ImportOptions {
  workspaceId: string;
  kind: ImportKind;
  format: ImportFormat;
  mode?: ImportMode;
  open: () => Readable;
  onProgress?: (p: ImportProgress) => void;
  onError?: (e: RowError) => void;
  /** Rows per chunk, the unit submitted to the writer (default CHUNK_ROWS). */
  chunkRows?: number;
}

/** The most row errors (and warnings) kept in a report. */
export const MAX_REPORTED_ERRORS = 1000;

/**
 * Rows per writer submission, and submissions not yet committed. Together they bound how long a
 * tracking call waits behind an import, whatever the file's size: the writer's queue is first come,
 * first served, so at most IN_FLIGHT chunks of CHUNK_ROWS rows (1,000 rows, and one chunk's tags)
 * are ahead of it. Measured during a 15,000-order all-or-nothing import, 2 cores at load 13
 * (docs/import.md): the longest tracking call in another workspace took 0.28 s on SQLite and
 * 0.78 s on PostgreSQL (500 x 2: 0.2 s and 1.1 s; 250 x 2: 0.35 s and 0.58 s but ~15% slower
 * imports); in one transaction it waited for the whole apply (8.7 s on PostgreSQL).
 */
const CHUNK_ROWS = 250;
const IN_FLIGHT = 4;

/** Picks the format from a file name (`.csv`, `.ndjson`, `.jsonl`), or undefined. */
export function formatFromFileName(name: string): ImportFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  return undefined;
}

interface Tally {
  rows: number;
  imported: number;
  duplicates: number;
  tagged: number;
  errorCount: number;
  errors: RowError[];
  warningCount: number;
  warnings: RowWarningAt[];
}

/**
 * Imports a CSV or NDJSON file of profiles or orders, streaming it in chunks. Every row becomes a
 * Segment message checked by the tracking API's own normalisation; re-importing a file stores
 * nothing twice (orders by order id, profiles by a hash of the row). Throws AppError IMPORT_INVALID
 * for a file that cannot be read at all (such as a CSV header missing required columns).
 *
 * All-or-nothing validates the whole file into a spool (writing nothing to the database) and only
 * then applies the staged rows, chunk by chunk, through the same group-commit writer as tracking:
 * never one long transaction that would hold the write lock (issue #14 §2; see docs/import.md).
 */
export async function runImport(deps: ImportDeps, opts: ImportOptions): Promise<ImportReport> {
  const mode = opts.mode ?? 'skip-bad-rows';
  const settings = await deps.writer.settingsFor(opts.workspaceId);
  const ctx: NormaliseContext = { receivedAt: deps.ingest.now(), rules: settings.rules, currency: settings.currency, defaultRegion: deps.defaultRegion };
  const report = (t: Tally, rejected: boolean): ImportReport => ({
    kind: opts.kind,
    format: opts.format,
    mode,
    rows: t.rows,
    imported: t.imported,
    duplicates: t.duplicates,
    skipped: rejected ? t.rows : t.errorCount,
    rejected,
    tagged: t.tagged,
    errorCount: t.errorCount,
    errors: t.errors,
    warningCount: t.warningCount,
    warnings: t.warnings,
  });
  const t = newTally();

  if (mode === 'skip-bad-rows') {
    await storing(deps, opts.workspaceId, t, (store) => pass(opts, ctx, t, 'importing', store));
    await deps.writer.settleStatistics();
    opts.onProgress?.({ phase: 'importing', rows: t.rows, imported: t.imported, errors: t.errorCount });
    return report(t, false);
  }

  // All-or-nothing: validate and stage the whole file, writing nothing to the database.
  const spool = await openSpool(deps.spoolDir ?? fallbackSpoolDir());
  try {
    await pass(opts, ctx, t, 'validating', (chunk) => spool.write(chunk));
    await spool.finish();
    if (t.errorCount > 0) return report(t, true);
    // Then apply it in chunks, each its own short transaction.
    const size = opts.chunkRows ?? CHUNK_ROWS;
    let applied = 0;
    await storing(deps, opts.workspaceId, t, async (store) => {
      for await (const chunk of spool.read(size)) {
        await store(chunk);
        applied += chunk.length;
        opts.onProgress?.({ phase: 'importing', rows: applied, total: t.rows, imported: t.imported, errors: 0 });
      }
    });
    await deps.writer.settleStatistics();
    return report(t, false);
  } finally {
    await spool.remove();
  }
}

function newTally(): Tally {
  return { rows: 0, imported: 0, duplicates: 0, tagged: 0, errorCount: 0, errors: [], warningCount: 0, warnings: [] };
}

/**
 * Runs `feed`, which hands chunks to `store`; each chunk is submitted to the writer with at most
 * IN_FLIGHT uncommitted. Never returns (or throws) with submissions still running; the first
 * failure stops the feed and is thrown.
 */
async function storing(deps: ImportDeps, ws: string, t: Tally, feed: (store: (chunk: StagedRow[]) => Promise<void>) => Promise<void>): Promise<void> {
  const inFlight: Promise<void>[] = [];
  let failure: unknown;
  try {
    await feed(async (chunk) => {
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      if (failure) throw failure;
      inFlight.push(storeChunk(deps, ws, chunk, t).catch((err) => void (failure ??= err)));
    });
  } finally {
    await Promise.all(inFlight);
  }
  if (failure) throw failure;
}

/** Reads the file once, preparing rows and handing them over in chunks; bad rows and warnings are tallied. */
async function pass(
  opts: ImportOptions,
  ctx: NormaliseContext,
  t: Tally,
  phase: ImportProgress['phase'],
  onChunk: (chunk: StagedRow[]) => Promise<void>,
): Promise<void> {
  const size = opts.chunkRows ?? CHUNK_ROWS;
  const input = opts.open();
  const progress = () => opts.onProgress?.({ phase, rows: t.rows, imported: t.imported, errors: t.errorCount });
  const fail = (e: RowError) => {
    t.errorCount++;
    if (t.errors.length < MAX_REPORTED_ERRORS) t.errors.push(e);
    opts.onError?.(e);
  };
  let chunk: StagedRow[] = [];
  try {
    for await (const row of readRows(input, opts.format, { checkHeader: (names) => headerProblem(opts.kind, names) })) {
      t.rows++;
      if ('error' in row) {
        fail({ line: row.line, reason: row.error });
        continue;
      }
      try {
        const { warnings, ...prepared } = prepareRow(opts.kind, row.record, opts.format, ctx);
        chunk.push({ line: row.line, ...prepared });
        for (const w of warnings) {
          t.warningCount++;
          if (t.warnings.length < MAX_REPORTED_ERRORS) t.warnings.push({ line: row.line, ...w });
        }
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const field = (err.details as { field?: string } | undefined)?.field;
        fail({ line: row.line, ...(field === undefined ? {} : { field }), reason: err.message });
      }
      if (chunk.length >= size) {
        await onChunk(chunk);
        chunk = [];
        progress();
      }
    }
    if (chunk.length) await onChunk(chunk);
    progress();
  } finally {
    input.destroy();
  }
}

/** Commits one chunk through the group-commit writer, then tags its profiles. */
async function storeChunk(deps: ImportDeps, ws: string, chunk: StagedRow[], t: Tally): Promise<void> {
  const r = await deps.writer.submit(
    ws,
    chunk.map((c) => c.event),
  );
  t.imported += r.stored;
  t.duplicates += r.duplicates;
  if (!chunk.some((c) => c.tags.length)) return;
  const { rules } = await deps.writer.settingsFor(ws);
  const ctx = { rules, cipher: await deps.ingest.cipher.forWorkspace(ws), now: deps.ingest.now() };
  t.tagged += await withRetries(deps.database, () => deps.writer.exclusive((trx) => tagProfiles(cdpDb(trx), ctx, ws, chunk)));
}
