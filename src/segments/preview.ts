/** Preview of an unsaved rule: how many live profiles it matches, of how many, and a sample. */
import { type RawBuilder, sql } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { isStatementTimeout } from '../platform/db/statement-limits.js';
import { compileRule } from './compile.js';
import type { SegmentsDeps } from './deps.js';
import { SegmentError } from './errors.js';
import { checkReferences } from './segments.service.js';
import { checkRule, iso, type SegmentDeps } from './segment-rows.js';

/** Count and a sample of the live profiles matching an unsaved rule. */
export async function previewRule(
  deps: SegmentDeps & Partial<Pick<SegmentsDeps, 'queryLimits'>>,
  ws: string,
  input: unknown,
  sampleSize: number,
): Promise<{ count: number; total: number; sample: { id: string; traits: Record<string, unknown>; lastSeenAt: string | null }[]; tookMs: number }> {
  const started = Date.now();
  const rule = checkRule(input);
  await checkReferences(deps.database.db, ws, undefined, rule);
  // The whole-workspace form (each condition's table read once, as a recompute's scan does), read
  // off the JavaScript thread (Database.scan): a preview of an event rule over a large workspace
  // must not hold the server's thread on SQLite.
  const ctx = { workspaceId: ws, now: deps.now(), timeZone: await deps.timeZoneOf(ws), wholeWorkspace: true };
  const where = compileRule(rule, ctx, deps.database.dialect);
  const db = deps.database.db;
  // Each statement within the preview's limits (SIYU_SEGMENT_PREVIEW_TIMEOUT_MS, work_mem, no JIT).
  const limits = deps.queryLimits?.preview;
  const stop = new AbortController(); // one read failed: the others end too
  const rows = async (query: RawBuilder<unknown>) => {
    const out: unknown[][] = [];
    for await (const batch of deps.database.scan(query.compile(db), 1_000, stop.signal, limits)) out.push(...batch);
    return out;
  };
  const [count, total, sample] = await Promise.all([
    rows(sql`select count(*) from profiles as p where p.workspace_id = ${ws} and p.merged_into is null and (${where})`),
    rows(sql`select count(*) from profiles as p where p.workspace_id = ${ws} and p.merged_into is null`),
    rows(sql`select p.id, p.traits, p.last_seen_at from profiles as p
      where p.workspace_id = ${ws} and p.merged_into is null and (${where}) order by p.id limit ${sampleSize}`),
  ]).catch((err: unknown) => {
    stop.abort();
    if (!isStatementTimeout(err)) throw err;
    const s = (limits?.timeoutMs ?? 0) / 1000;
    throw new SegmentError(
      'SEGMENT_QUERY_TIMEOUT',
      `the preview ran longer than ${s} s and was stopped (SIYU_SEGMENT_PREVIEW_TIMEOUT_MS): narrow the rule (fewer tags, conditions or list values) or try again when the database is less busy`,
    );
  });
  return {
    count: Number(count[0]?.[0] ?? 0),
    total: Number(total[0]?.[0] ?? 0),
    sample: sample.map(([id, traits, lastSeenAt]) => ({
      id: id as string,
      traits: parseJson<Record<string, unknown>>(traits),
      lastSeenAt: lastSeenAt === null ? null : iso(Number(lastSeenAt)),
    })),
    tookMs: Date.now() - started,
  };
}
