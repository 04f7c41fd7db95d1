/** The segments membership keeps live, and how they depend on each other through `segment` conditions. */
import type { Kysely } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import type { LiveSegment } from './membership.deps.js';
import { referencedSegments } from './rule-queries.js';
import type { Rule } from './rule.types.js';
import type { SegmentsSqlDB } from './schema.js';

/**
 * Loads the workspace's active rule segments, ordered so a segment comes after those it references.
 * With `at`, without those backing off after a failure until then (recompute-failures.ts): their
 * pending full recompute covers what they miss meanwhile.
 */
export async function loadLiveSegments(db: Kysely<SegmentsSqlDB>, workspaceId: string, at?: number): Promise<LiveSegment[]> {
  const rows = await db
    .selectFrom('segments')
    .select(['id', 'name', 'version', 'rule'])
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .where('kind', '=', 'rule')
    .$if(at !== undefined, (q) => q.where((eb) => eb.or([eb('recompute_retry_at', 'is', null), eb('recompute_retry_at', '<=', at!)])))
    .orderBy('id')
    .execute();
  return orderByDependency(rows.map((r) => ({ id: r.id, name: r.name, version: r.version, rule: parseJson<Rule>(r.rule) })));
}

/** Groups segments into levels: level n references only segments of levels < n (or static ones). */
export function dependencyLevels(segments: LiveSegment[]): LiveSegment[][] {
  const byId = new Map(segments.map((s) => [s.id, s]));
  const level = new Map<string, number>();
  const visit = (s: LiveSegment, path: Set<string>): number => {
    const known = level.get(s.id);
    if (known !== undefined) return known;
    if (path.has(s.id)) return 0; // cycles are refused on save; never loop here
    path.add(s.id);
    let l = 0;
    for (const ref of referencedSegments(s.rule)) {
      const dep = byId.get(ref);
      if (dep) l = Math.max(l, visit(dep, path) + 1);
    }
    path.delete(s.id);
    level.set(s.id, l);
    return l;
  };
  const levels: LiveSegment[][] = [];
  for (const s of segments) (levels[visit(s, new Set())] ??= []).push(s);
  return levels.filter(Boolean);
}

/** The live segments that reference `sourceId`, directly or through others. */
export function dependentsOf(segments: LiveSegment[], sourceId: string): LiveSegment[] {
  const out = new Map<string, LiveSegment>();
  const frontier = [sourceId];
  while (frontier.length) {
    const id = frontier.pop()!;
    for (const s of segments) {
      if (!out.has(s.id) && s.id !== sourceId && referencedSegments(s.rule).includes(id)) {
        out.set(s.id, s);
        frontier.push(s.id);
      }
    }
  }
  return [...out.values()];
}

function orderByDependency(segments: LiveSegment[]): LiveSegment[] {
  return dependencyLevels(segments).flat();
}
