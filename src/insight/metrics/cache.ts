/**
 * The metrics cache: answers kept in `insight_metric_cache` by workspace and query hash, and
 * invalidated by new data. Every write the metrics read reaches the timeline (orders, refunds,
 * WeCom adds and deletions, group joins, message outcomes are all events ingested through cdp),
 * so `cdp.events-committed` on the hub bumps the workspace's generation in this process and every
 * entry computed at an older generation is stale. The hub is per process: an entry computed by
 * another process (another `epoch`), or older than `maxAgeMs` (writes committed by other
 * processes, which this one does not hear), is recomputed too.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Database } from '../../platform/db/database.js';
import type { Hub } from '../../platform/hub.js';
import type { CdpHubEvents } from '../../cdp/index.js';

/** The default longest life of an entry: bounds staleness from writes committed by other processes. */
export const DEFAULT_MAX_AGE_MS = 5 * 60_000;

/** An answer with where it came from. */
export interface Cached<T> {
  value: T;
  cached: boolean;
  computedAt: number;
}

/** The cache of one process. */
export interface MetricCache {
  /** The cached answer to `query` when still valid, else `compute()`'s, stored. */
  get<T>(database: Database, workspaceId: string, query: unknown, compute: () => Promise<T>): Promise<Cached<T>>;
  /** Stops listening to the hub. */
  close(): void;
}

/** A stable JSON text of a value (object keys sorted), for hashing. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Creates a process's cache; it listens to `cdp.events-committed` on `hub` until closed. */
export function createMetricCache(opts: { hub: Hub<Pick<CdpHubEvents, 'cdp.events-committed'>>; now: () => number; maxAgeMs?: number }): MetricCache {
  const epoch = randomUUID();
  const maxAge = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const generations = new Map<string, number>();
  const off = opts.hub.on('cdp.events-committed', ({ workspaceId }) => void generations.set(workspaceId, (generations.get(workspaceId) ?? 0) + 1));
  return {
    async get(database, workspaceId, query, compute) {
      const text = stable(query);
      const hash = createHash('sha256').update(text).digest('base64url');
      const generation = generations.get(workspaceId) ?? 0;
      const now = opts.now();
      const row = await database.db
        .selectFrom('insight_metric_cache')
        .select(['epoch', 'generation', 'computed_at', 'result'])
        .where('workspace_id', '=', workspaceId)
        .where('query_hash', '=', hash)
        .executeTakeFirst();
      if (row && row.epoch === epoch && Number(row.generation) === generation && now - Number(row.computed_at) < maxAge) {
        return { value: JSON.parse(row.result), cached: true, computedAt: Number(row.computed_at) };
      }
      const value = await compute();
      const result = JSON.stringify(value);
      await database.db
        .insertInto('insight_metric_cache')
        .values({ workspace_id: workspaceId, query_hash: hash, query: text, epoch, generation, computed_at: now, result })
        .onConflict((oc) => oc.columns(['workspace_id', 'query_hash']).doUpdateSet({ query: text, epoch, generation, computed_at: now, result }))
        .execute();
      return { value, cached: false, computedAt: now };
    },
    close: off,
  };
}
