/** Static segments: members set, extended or removed from an uploaded CSV of identifiers. */
import type { Readable } from 'node:stream';
import type { Kysely, Selectable } from 'kysely';
import { readRows } from '../cdp/index.js';
import { AppError } from '../platform/errors.js';
import { SegmentError } from './errors.js';
import { propagate } from './evaluate.js';
import { recordDepartures } from './history.js';
import { dependentsOf, loadLiveSegments } from './live-segments.js';
import { listenedFlag, lockSegments, markListened } from './locks.js';
import { segmentsDb, type SegmentsSqlDB, type SegmentsTable } from './schema.js';
import { getRow, type SegmentDeps } from './segment-rows.js';

/** What an upload did: rows read, members added, already there and removed, and the rows refused with their line and reason. */
export interface StaticUploadReport {
  rows: number;
  added: number;
  alreadyMembers: number;
  removed: number;
  errors: { line: number; reason: string }[];
  errorCount: number;
}

/**
 * Sets or extends a static segment's members from a CSV with an `identifier` column (a profile
 * id, or `type:value` such as `user_id:42` or `phone:13800138000`). Rows that do not resolve are
 * reported with their line and reason; the rest are applied in one transaction (`replace` also
 * removes members not in the file). Entering and leaving are timeline events like rule segments'.
 */
export async function uploadStaticMembers(
  deps: SegmentDeps,
  ws: string,
  id: string,
  input: Readable,
  mode: 'add' | 'replace' | 'remove',
): Promise<StaticUploadReport> {
  const db = deps.database.db;
  const row = await getRow(db, ws, id);
  if (row.kind !== 'static') throw new SegmentError('VALIDATION_FAILED', `segment "${id}" is a rule segment; only static segments take uploaded members`);
  if (row.status !== 'active') throw new SegmentError('CONFLICT', `segment "${id}" is archived`);
  const report: StaticUploadReport = { rows: 0, added: 0, alreadyMembers: 0, removed: 0, errors: [], errorCount: 0 };
  const wanted = await readIdentifiers(deps, ws, input, report);
  const now = deps.now();
  await db.transaction().execute((trx) => applyUpload(segmentsDb(trx), deps, ws, row, wanted, mode, now, report));
  return report;
}

/** The live profile ids the CSV names; rows that do not resolve are counted and listed (the first 1,000) in `report`. */
async function readIdentifiers(deps: SegmentDeps, ws: string, input: Readable, report: StaticUploadReport): Promise<Set<string>> {
  const fail = (line: number, reason: string) => {
    report.errorCount++;
    if (report.errors.length < 1000) report.errors.push({ line, reason });
  };
  const wanted = new Set<string>();
  const rows = readRows(input, 'csv', {
    checkHeader: (names) =>
      names.includes('identifier') ? undefined : `the CSV needs an "identifier" column (profile id or type:value); found: ${names.join(', ') || 'no columns'}`,
  });
  for await (const r of rows) {
    if ('error' in r) {
      fail(r.line, r.error);
      continue;
    }
    report.rows++;
    const ref = typeof r.record.identifier === 'string' ? r.record.identifier.trim() : '';
    if (!ref) {
      fail(r.line, 'identifier is empty');
      continue;
    }
    try {
      wanted.add(await deps.resolveProfileRef(ws, ref));
    } catch (err) {
      if (err instanceof AppError) fail(r.line, err.message);
      else throw err;
    }
    if (wanted.size > 1_000_000) throw new SegmentError('VALIDATION_FAILED', 'a static upload may name at most 1,000,000 profiles');
  }
  return wanted;
}

/** The upload's one transaction: members added and removed (departures to history), rule segments built on this list, the count. */
async function applyUpload(
  trx: Kysely<SegmentsSqlDB>,
  deps: SegmentDeps,
  ws: string,
  row: Selectable<SegmentsTable>,
  wanted: Set<string>,
  mode: 'add' | 'replace' | 'remove',
  now: number,
  report: StaticUploadReport,
): Promise<void> {
  const { id } = row;
  const { dialect } = deps.database;
  const dependents = dependentsOf(await loadLiveSegments(trx, ws, now), id);
  const locked = await lockSegments(trx, dialect, ws, [id, ...dependents.map((d) => d.id)]);
  markListened(dependents, locked);
  const currentRows = await trx
    .selectFrom('segment_members')
    .select(['profile_id', 'version', 'entered_at'])
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', id)
    .execute();
  const current = new Map(currentRows.map((m) => [m.profile_id, m]));
  const toAdd = mode === 'remove' ? [] : [...wanted].filter((p) => !current.has(p));
  const toRemove = mode === 'remove' ? [...wanted].filter((p) => current.has(p)) : mode === 'replace' ? [...current.keys()].filter((p) => !wanted.has(p)) : [];
  report.added = toAdd.length;
  report.alreadyMembers = mode === 'remove' ? 0 : wanted.size - toAdd.length;
  report.removed = toRemove.length;
  await dialect.insertMany(
    trx,
    'segment_members',
    toAdd.map((p) => ({ workspace_id: ws, segment_id: id, profile_id: p, version: row.version, entered_at: now, listened: listenedFlag(locked, id) })),
  );
  for (let i = 0; i < toRemove.length; i += 1000) {
    await trx
      .deleteFrom('segment_members')
      .where('workspace_id', '=', ws)
      .where('segment_id', '=', id)
      .where('profile_id', 'in', toRemove.slice(i, i + 1000))
      .execute();
  }
  await recordDepartures(
    trx,
    dialect,
    ws,
    id,
    row.version,
    now,
    toRemove.map((p) => ({ profileId: p, version: current.get(p)!.version, enteredAt: Number(current.get(p)!.entered_at), reason: 'manual' as const })),
  );
  // Rule segments built on this list follow in the same transaction.
  const ctx = { workspaceId: ws, now, timeZone: await deps.timeZoneOf(ws) };
  await propagate(
    trx,
    dialect,
    ws,
    dependents.filter((d) => locked.get(d.id)?.version === d.version),
    [...toAdd, ...toRemove],
    ctx,
  );
  await trx
    .updateTable('segments')
    .set((eb) => ({ member_count: eb('member_count', '+', toAdd.length - toRemove.length), evaluated_at: now, updated_at: now }))
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
}
