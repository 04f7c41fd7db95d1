/**
 * The rate limits of a workspace's public endpoints (issue #19): per endpoint class, requests a
 * minute per key and per client address. Stored in `rate_limit_settings` (migration 0038) as the
 * workspace's overrides; what is not overridden is the default. Read through a 30-second cache
 * per process, dropped at once in the process that saves a change.
 */
import type { Kysely } from 'kysely';
import { type Database, parseJson } from '../platform/db/database.js';
import type { ComplianceDB } from './schema.js';

/** The public endpoints that are limited, by class. */
export const LIMIT_CLASSES = ['tracking', 'member', 'wecomCallback', 'surveyPages', 'links'] as const;
/** One class of public endpoint. */
export type LimitClass = (typeof LIMIT_CLASSES)[number];

/** Requests a minute for one class: per key (write key, member, workspace) and per client address. */
export interface ClassLimits {
  /** Per key: a write key (tracking), a member (member API), the workspace (WeCom callback); absent where the request carries no key. */
  perKey?: number;
  perIp: number;
}

/** Every class's limits. */
export type RateLimits = Record<LimitClass, ClassLimits>;

/**
 * The defaults, requests a minute. Tracking must not slow real ingestion: 300,000 a minute per
 * write key is 5,000 requests/s, i.e. up to 500,000 events/s in 100-event batches — far above what
 * one 2-core server ingests (bench/README.md's target: 20,000 events/s, ~200 requests/s) — and 120,000 a minute per
 * address (2,000/s; a server-side SDK posts from one address). Pages people open by hand (survey
 * answers, links) are stricter per address; the member API is per member, so one member's app
 * cannot hammer it for all. WeCom callbacks: 2,000/s per workspace and address, above
 * `npm run bench -- wecom`'s default of 20,000 callbacks in all, whatever their pace.
 */
export const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = Object.freeze({
  tracking: { perKey: 300_000, perIp: 120_000 },
  member: { perKey: 600, perIp: 6_000 },
  wecomCallback: { perKey: 120_000, perIp: 120_000 },
  surveyPages: { perIp: 600 },
  links: { perIp: 1_200 },
});

/** A workspace's overrides: any class, any of its numbers. */
export type RateLimitOverrides = Partial<Record<LimitClass, Partial<ClassLimits>>>;

const db = (d: Database) => d.db as unknown as Kysely<ComplianceDB>;

/** The defaults with a workspace's overrides laid over them. */
export function effectiveLimits(overrides: RateLimitOverrides): RateLimits {
  const out = {} as RateLimits;
  for (const c of LIMIT_CLASSES) {
    const d = DEFAULT_RATE_LIMITS[c];
    const o = overrides[c] ?? {};
    out[c] = { ...(d.perKey !== undefined ? { perKey: o.perKey ?? d.perKey } : {}), perIp: o.perIp ?? d.perIp };
  }
  return out;
}

/** The overrides a workspace stored (empty when none). */
export async function readOverrides(database: Database, workspaceId: string): Promise<RateLimitOverrides> {
  const row = await db(database).selectFrom('rate_limit_settings').select('limits').where('workspace_id', '=', workspaceId).executeTakeFirst();
  return row ? parseJson<RateLimitOverrides>(row.limits) : {};
}

/**
 * Stores a workspace's limits: only the numbers that differ from the default are kept as
 * overrides, so a default raised in a later release reaches workspaces that never changed it.
 */
export async function saveLimits(database: Database, workspaceId: string, limits: RateLimitOverrides, now: number): Promise<RateLimits> {
  const kept: RateLimitOverrides = {};
  for (const c of LIMIT_CLASSES) {
    const o = limits[c];
    if (!o) continue;
    const d = DEFAULT_RATE_LIMITS[c];
    const diff: Partial<ClassLimits> = {};
    if (o.perKey !== undefined && d.perKey !== undefined && o.perKey !== d.perKey) diff.perKey = o.perKey;
    if (o.perIp !== undefined && o.perIp !== d.perIp) diff.perIp = o.perIp;
    if (Object.keys(diff).length) kept[c] = diff;
  }
  const limitsJson = JSON.stringify(kept);
  await db(database)
    .insertInto('rate_limit_settings')
    .values({ workspace_id: workspaceId, limits: limitsJson, updated_at: now })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ limits: limitsJson, updated_at: now }))
    .execute();
  return effectiveLimits(kept);
}

/** Reads workspaces' limits through a short cache (a change made in another process is seen within `ttlMs`). */
export interface LimitsCache {
  limitsOf(workspaceId: string | undefined): Promise<RateLimits>;
  forget(workspaceId: string): void;
}

/** A per-process cache of workspaces' limits (30 s by default). */
export function createLimitsCache(database: Database, now: () => number, ttlMs = 30_000): LimitsCache {
  const cache = new Map<string, { limits: RateLimits; until: number }>();
  const defaults = effectiveLimits({});
  return {
    async limitsOf(workspaceId) {
      if (!workspaceId) return defaults;
      const hit = cache.get(workspaceId);
      if (hit && hit.until > now()) return hit.limits;
      const limits = effectiveLimits(await readOverrides(database, workspaceId));
      if (cache.size > 10_000) cache.clear();
      cache.set(workspaceId, { limits, until: now() + ttlMs });
      return limits;
    },
    forget: (workspaceId) => void cache.delete(workspaceId),
  };
}
