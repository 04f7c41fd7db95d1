/**
 * What the data holds, for pickers (the segment rule builder): the track event names stored, the
 * trait keys and consent categories of recent profiles, and the property names of an event's
 * recent occurrences. Names come from the data, not from a declared schema, so they are read from
 * bounded samples (the latest profiles and events, through the indexes that order them) and the
 * keys and their JSON types are gathered in the application: the same on both engines, with no
 * per-engine JSON set functions, and a cost that does not grow with the workspace.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import type { CdpDB } from './schema.js';

/** Profiles read for trait keys and consent categories: the most recently updated ones. */
export const TRAIT_SAMPLE = 2000;
/** Occurrences of an event read for its property names: the latest ones. */
export const PROPERTY_SAMPLE = 1000;

/** A JSON value's type as JSON Schema names it. */
export type JsonType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null';

/** A key seen in a sample: in how many rows, with which JSON types (most frequent first) and its most frequent scalar values. */
export interface SeenKey {
  key: string;
  count: number;
  types: JsonType[];
  examples: (string | number | boolean)[];
}

const typeOf = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));

/** Tallies the top-level keys of JSON objects: per key, rows, types and up to five most frequent scalar values. */
export function tallyKeys(objects: unknown[]): SeenKey[] {
  const keys = new Map<string, { count: number; types: Map<JsonType, number>; values: Map<string, { v: string | number | boolean; n: number }> }>();
  for (const o of objects) {
    if (!o || typeof o !== 'object' || Array.isArray(o)) continue;
    for (const [k, v] of Object.entries(o)) {
      let e = keys.get(k);
      if (!e) keys.set(k, (e = { count: 0, types: new Map(), values: new Map() }));
      e.count++;
      const t = typeOf(v);
      e.types.set(t, (e.types.get(t) ?? 0) + 1);
      if (t === 'string' || t === 'number' || t === 'boolean') {
        const id = `${t}:${String(v)}`;
        const seen = e.values.get(id);
        if (seen) seen.n++;
        else if (e.values.size < 200) e.values.set(id, { v: v as string | number | boolean, n: 1 });
      }
    }
  }
  const byCount = <T>(m: Map<T, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  return [...keys.entries()]
    .map(([key, e]) => ({
      key,
      count: e.count,
      types: byCount(e.types),
      examples: [...e.values.values()]
        .sort((a, b) => b.n - a.n)
        .slice(0, 5)
        .map((x) => x.v),
    }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Trait keys and consent categories of the most recently updated live profiles. */
export async function sampleProfileKeys(db: Kysely<CdpDB>, ws: string): Promise<{ traits: SeenKey[]; consent: SeenKey[]; sampled: number }> {
  const rows = await db
    .selectFrom('profiles')
    .select(['traits', 'consent'])
    .where('workspace_id', '=', ws)
    .where('merged_into', 'is', null)
    .orderBy('updated_at', 'desc')
    .limit(TRAIT_SAMPLE)
    .execute();
  return {
    traits: tallyKeys(rows.map((r) => parseJson(r.traits))),
    consent: tallyKeys(rows.map((r) => parseJson(r.consent))),
    sampled: rows.length,
  };
}

/**
 * The distinct names of stored `track` events after `after` ('' for the first), in code-point
 * order, `limit + 1` at most (the extra one says there are more): a loose scan of the
 * (workspace, event, time) index — each step asks the index for the next track event's name
 * after the last — so the cost is a probe per name, not a read of every event. Page and screen
 * views share the column; a name only they use is stepped over row by row (the type is not in the
 * index), once per listing.
 */
export async function trackEventNames(db: Kysely<CdpDB>, ws: string, after: string, limit: number): Promise<string[]> {
  const next = (prev: RawBuilder<unknown>) =>
    sql`(select e.event from events e where e.workspace_id = ${ws} and e.type = 'track' and e.event > ${prev} order by e.event limit 1)`;
  const res = await sql<{ name: string }>`
    with recursive names(name, n) as (
      select ${next(sql`${after}`)}, 1
      union all
      select ${next(sql.ref('names.name'))}, names.n + 1 from names where names.name is not null and names.n <= ${limit}
    )
    select name from names where name is not null order by name`.execute(db);
  return res.rows.map((r) => r.name);
}

/** The property names (with types and frequent values) of the latest `track` events of one name. */
export async function sampleEventProperties(db: Kysely<CdpDB>, ws: string, event: string): Promise<{ properties: SeenKey[]; sampled: number }> {
  const rows = await db
    .selectFrom('events')
    .select('payload')
    .where('workspace_id', '=', ws)
    .where('event', '=', event)
    .where('type', '=', 'track')
    .orderBy('timestamp', 'desc')
    .limit(PROPERTY_SAMPLE)
    .execute();
  const props = rows.map((r) => (parseJson(r.payload) as { properties?: unknown } | null)?.properties);
  return { properties: tallyKeys(props), sampled: rows.length };
}
