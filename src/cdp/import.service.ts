import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { type Database, withRetries } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { CdpError } from './errors.js';
import { readRows, type ImportFormat } from './import.readers.js';
import { storedKey } from './identifiers.js';
import { headerProblem, type ImportKind, type ImportTag, prepareRow, type PreparedRow } from './import.rows.js';
import { profilesByIdentifier } from './identities.repo.js';
import { applyEvents, type IngestDeps } from './ingest.service.js';
import type { CdpDB } from './schema.js';
import { addTagsToProfile } from './tags.service.js';
import type { NormaliseContext } from './tracking.js';
import type { IngestWriter } from './writer.js';

export type { ImportFormat } from './import.readers.js';
export type { ImportKind } from './import.rows.js';

/** `skip-bad-rows` stores every good row chunk by chunk; `all-or-nothing` stores the whole file in one transaction or nothing. */
export type ImportMode = 'skip-bad-rows' | 'all-or-nothing';

/** The import kinds, for schemas and option parsing. */
export const IMPORT_KINDS: readonly ImportKind[] = ['profiles', 'orders'];
/** The file formats, for schemas and option parsing. */
export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'ndjson'];
/** The import modes, for schemas and option parsing. */
export const IMPORT_MODES: readonly ImportMode[] = ['skip-bad-rows', 'all-or-nothing'];

/** A row that was not imported: the 1-based physical line it starts on (CSV header = line 1) and why. */
export interface RowError {
  line: number;
  reason: string;
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
}

/** Progress after each chunk, for progress bars. */
export interface ImportProgress {
  phase: 'validating' | 'importing';
  rows: number;
  imported: number;
  errors: number;
}

/** What an import needs: the writer (group commit and exclusive transactions) and the ingest dependencies. */
export interface ImportDeps {
  writer: IngestWriter;
  /** For retrying transactions that lost a race with another writer. */
  database: Database;
  ingest: IngestDeps;
  defaultRegion: string;
}

/** One import's file and options; `open` is called once per pass (twice in all-or-nothing mode). */
export interface ImportOptions {
  workspaceId: string;
  kind: ImportKind;
  format: ImportFormat;
  mode?: ImportMode;
  open: () => Readable;
  onProgress?: (p: ImportProgress) => void;
  onError?: (e: RowError) => void;
  /** Rows per chunk (default 500). */
  chunkRows?: number;
}

/** The most row errors kept in a report. */
export const MAX_REPORTED_ERRORS = 1000;

/**
 * Submissions in flight in skip-bad-rows mode: 4 chunks of 500 fill one 2,000-event group commit
 * while the next chunk is parsed, and bound memory to a few thousand rows.
 */
const IN_FLIGHT = 4;

/** Picks the format from a file name (`.csv`, `.ndjson`, `.jsonl`), or undefined. */
export function formatFromFileName(name: string): ImportFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  return undefined;
}

type Prepared = PreparedRow & { line: number };

interface Tally {
  rows: number;
  imported: number;
  duplicates: number;
  tagged: number;
  errorCount: number;
  errors: RowError[];
}

/**
 * Imports a CSV or NDJSON file of profiles or orders, streaming it in chunks. Every row becomes a
 * Segment message checked by the tracking API's own normalisation; re-importing a file stores
 * nothing twice (orders by order id, profiles by a hash of the row). Throws AppError IMPORT_INVALID
 * for a file that cannot be read at all (such as a CSV header missing required columns).
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
  });

  if (mode === 'skip-bad-rows') {
    const t = newTally();
    const inFlight: Promise<void>[] = [];
    let failure: unknown;
    try {
      await pass(opts, ctx, t, 'importing', async (chunk) => {
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
        if (failure) throw failure;
        inFlight.push(storeChunk(deps, opts.workspaceId, chunk, t).catch((err) => void (failure ??= err)));
      });
    } finally {
      // Never return (or throw) with submissions still running.
      await Promise.all(inFlight);
    }
    if (failure) throw failure;
    opts.onProgress?.({ phase: 'importing', rows: t.rows, imported: t.imported, errors: t.errorCount });
    return report(t, false);
  }

  // All-or-nothing: validate the whole stream first, writing nothing.
  const check = newTally();
  await pass(opts, ctx, check, 'validating', async () => {});
  if (check.errorCount > 0) return report(check, true);
  // A conflict with another process's writer rolls the whole pass back; it is simply run again.
  const t = await withRetries(deps.database, () =>
    deps.writer.exclusive(async (trx) => {
      const inside = newTally();
      await pass(opts, ctx, inside, 'importing', async (chunk) => {
        const out = await applyEvents(
          trx,
          deps.ingest,
          opts.workspaceId,
          settings,
          chunk.map((r) => r.event),
        );
        inside.imported += out.stored;
        inside.duplicates += out.duplicates;
        inside.tagged += await tagProfiles(trx, deps, opts.workspaceId, chunk);
      });
      // Rolls the transaction back: the file changed between the two passes.
      if (inside.errorCount > 0 || inside.rows !== check.rows) {
        throw new CdpError(
          'IMPORT_INVALID',
          `the file changed while it was being imported (${check.rows} rows validated, ${inside.rows} read with ${inside.errorCount} bad); nothing was imported`,
        );
      }
      return inside;
    }),
  );
  return report(t, false);
}

function newTally(): Tally {
  return { rows: 0, imported: 0, duplicates: 0, tagged: 0, errorCount: 0, errors: [] };
}

/** Reads the file once, preparing rows and handing them over in chunks; bad rows are tallied. */
async function pass(
  opts: ImportOptions,
  ctx: NormaliseContext,
  t: Tally,
  phase: ImportProgress['phase'],
  onChunk: (chunk: Prepared[]) => Promise<void>,
): Promise<void> {
  const size = opts.chunkRows ?? 500;
  const input = opts.open();
  const progress = () => opts.onProgress?.({ phase, rows: t.rows, imported: t.imported, errors: t.errorCount });
  const fail = (e: RowError) => {
    t.errorCount++;
    if (t.errors.length < MAX_REPORTED_ERRORS) t.errors.push(e);
    if (phase === 'validating' || opts.mode !== 'all-or-nothing') opts.onError?.(e);
  };
  let chunk: Prepared[] = [];
  try {
    for await (const row of readRows(input, opts.format, { checkHeader: (names) => headerProblem(opts.kind, names) })) {
      t.rows++;
      if ('error' in row) {
        fail({ line: row.line, reason: row.error });
        continue;
      }
      try {
        chunk.push({ line: row.line, ...prepareRow(opts.kind, row.record, opts.format, ctx) });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        fail({ line: row.line, reason: err.message });
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
async function storeChunk(deps: ImportDeps, ws: string, chunk: Prepared[], t: Tally): Promise<void> {
  const r = await deps.writer.submit(
    ws,
    chunk.map((c) => c.event),
  );
  t.imported += r.stored;
  t.duplicates += r.duplicates;
  if (chunk.some((c) => c.tags.length)) t.tagged += await withRetries(deps.database, () => deps.writer.exclusive((trx) => tagProfiles(trx, deps, ws, chunk)));
}

/**
 * Attaches each row's tags (source "import") to the profile its identifiers resolve to now: the
 * owner of its highest-priority identifier. Returns how many profiles were tagged.
 */
async function tagProfiles(trx: Kysely<CdpDB>, deps: ImportDeps, ws: string, chunk: Prepared[]): Promise<number> {
  const rows = chunk.filter((c) => c.tags.length > 0);
  if (rows.length === 0) return 0;
  const { rules } = await deps.writer.settingsFor(ws);
  const keyOf = (type: string, value: string) => storedKey(rules, deps.ingest.cipher, type, value);
  const byType = new Map<string, Set<string>>();
  for (const r of rows) {
    for (const id of r.event.identifiers) {
      const set = byType.get(id.type) ?? new Set<string>();
      set.add(keyOf(id.type, id.value));
      byType.set(id.type, set);
    }
  }
  const owner = new Map<string, string>();
  for (const [type, keys] of byType) {
    for (const [key, profileId] of await profilesByIdentifier(trx, ws, type, [...keys])) owner.set(type + '\u0000' + key, profileId);
  }
  const tagsOf = new Map<string, ImportTag[]>();
  for (const r of rows) {
    const pid = r.event.identifiers.map((id) => owner.get(id.type + '\u0000' + keyOf(id.type, id.value))).find((p) => p !== undefined);
    if (pid === undefined) continue; // unreachable once the row is stored; a concurrent erasure is the only way
    tagsOf.set(pid, [...(tagsOf.get(pid) ?? []), ...r.tags]);
  }
  for (const [pid, tags] of tagsOf) {
    await addTagsToProfile(
      trx,
      ws,
      pid,
      tags.map((t) => ({ group: t.group ?? undefined, name: t.name })),
      'import',
      deps.ingest.now(),
    );
  }
  return tagsOf.size;
}
