/**
 * Which web origins may call a workspace's tracking API from a browser (CORS). Kept in the
 * workspace settings as `settings.tracking.allowedOrigins`; a workspace without a list allows
 * the development default, loopback pages only. Patterns: `*` (any origin, Segment's own
 * behaviour), `https://shop.example.com`, `https://*.example.com` (sub-domains, not the domain
 * itself), `http://localhost:*` (any port), and `null` (sandboxed frames, file pages).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../platform/db/schema.js';
import { getWorkspace, updateWorkspaceSettings, type WorkspaceSettings } from '../platform/workspaces.js';
import { CdpError } from './errors.js';

/** Allowed when a workspace has set no list: pages served from this machine, for development. */
export const DEVELOPMENT_ORIGINS: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '[::1]'].flatMap((h) => [`http://${h}:*`, `https://${h}:*`]));

/** Most entries in a workspace's list. */
export const MAX_ALLOWED_ORIGINS = 100;

interface Pattern {
  any: boolean;
  scheme: string;
  /** For `*.example.com`: `.example.com`. */
  suffix?: string;
  host: string;
  /** `''` for the scheme's default port, `'*'` for any. */
  port: string;
}

const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}|\*))?$/;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

function parse(raw: string, wildcards: boolean): Pattern | undefined {
  const s = raw.trim().toLowerCase().replace(/\/$/, '');
  if (s === '*') return wildcards ? { any: true, scheme: '', host: '', port: '' } : undefined;
  if (s === 'null') return { any: false, scheme: 'null', host: '', port: '' };
  const m = ORIGIN.exec(s);
  if (!m || (!wildcards && (m[2] || m[4] === '*'))) return undefined;
  const port = m[4] === undefined || m[4] === DEFAULT_PORT[m[1]!] ? '' : m[4];
  return { any: false, scheme: m[1]!, suffix: m[2] ? `.${m[3]}` : undefined, host: m[3]!, port };
}

function text(p: Pattern): string {
  if (p.any) return '*';
  if (p.scheme === 'null') return 'null';
  return `${p.scheme}://${p.suffix ? '*.' : ''}${p.host}${p.port ? `:${p.port}` : ''}`;
}

/** Validates and normalises a list of origin patterns (lower case, default ports dropped); throws a 400 naming the bad entry. */
export function normaliseOriginList(list: readonly unknown[]): string[] {
  if (list.length > MAX_ALLOWED_ORIGINS) throw new CdpError('VALIDATION_FAILED', `allowedOrigins: at most ${MAX_ALLOWED_ORIGINS} entries`);
  return [
    ...new Set(
      list.map((raw, i) => {
        const p = typeof raw === 'string' && raw.length <= 300 ? parse(raw, true) : undefined;
        if (!p) {
          throw new CdpError(
            'VALIDATION_FAILED',
            `allowedOrigins[${i}]: ${JSON.stringify(raw)} is not an origin; give "scheme://host[:port]" without a path (e.g. https://shop.example.com), "https://*.example.com", "http://localhost:*", "null" or "*"`,
          );
        }
        return text(p);
      }),
    ),
  ];
}

/** True when `origin` (an Origin header) matches one of `patterns` (normalised). */
export function originMatches(origin: string, patterns: readonly string[]): boolean {
  const o = parse(origin, false);
  for (const raw of patterns) {
    const p = parse(raw, true);
    if (!p) continue;
    if (p.any) return true;
    if (!o || p.scheme !== o.scheme) continue;
    if (p.scheme === 'null') return true;
    const hostOk = p.suffix ? o.host.endsWith(p.suffix) : o.host === p.host;
    if (hostOk && (p.port === '*' || p.port === o.port)) return true;
  }
  return false;
}

/** A workspace's origin list as stored (`null`: none set, the development default applies). */
export function storedOrigins(settings: WorkspaceSettings | undefined): string[] | null {
  const list = (settings as { tracking?: { allowedOrigins?: unknown } } | undefined)?.tracking?.allowedOrigins;
  return Array.isArray(list) ? list.filter((o): o is string => typeof o === 'string') : null;
}

/** Per-workspace origin decisions, cached (`ttlMs`, default 10 s: another process's change applies within it). */
export interface OriginPolicies {
  allowed(workspaceId: string, origin: string): Promise<boolean>;
  /** The stored list (null when unset) and the list in effect. */
  read(workspaceId: string): Promise<{ allowedOrigins: string[] | null; effectiveOrigins: string[] }>;
  /** Replaces the list (null: back to the development default). */
  save(workspaceId: string, list: readonly unknown[] | null): Promise<{ allowedOrigins: string[] | null; effectiveOrigins: string[] }>;
}

/** Creates the origin policies over the workspaces table. */
export function createOriginPolicies(db: Kysely<DB>, now: () => number, ttlMs = 10_000): OriginPolicies {
  const cache = new Map<string, { effective: string[]; decisions: Map<string, boolean>; until: number }>();
  const entry = async (ws: string) => {
    const hit = cache.get(ws);
    if (hit && hit.until > now()) return hit;
    const stored = storedOrigins((await getWorkspace(db, ws))?.settings);
    const e = { effective: stored ?? [...DEVELOPMENT_ORIGINS], decisions: new Map<string, boolean>(), until: now() + ttlMs };
    if (cache.size > 10_000) cache.clear();
    cache.set(ws, e);
    return e;
  };
  const read = async (ws: string) => {
    const stored = storedOrigins((await getWorkspace(db, ws))?.settings);
    return { allowedOrigins: stored, effectiveOrigins: stored ?? [...DEVELOPMENT_ORIGINS] };
  };
  return {
    async allowed(ws, origin) {
      const e = await entry(ws);
      let ok = e.decisions.get(origin);
      if (ok === undefined) {
        ok = originMatches(origin, e.effective);
        if (e.decisions.size < 1000) e.decisions.set(origin, ok);
      }
      return ok;
    },
    read,
    async save(ws, list) {
      const next = list === null ? null : normaliseOriginList(list);
      await updateTrackingSettings(db, ws, (t) => ({ ...t, allowedOrigins: next ?? undefined }));
      cache.delete(ws);
      return read(ws);
    },
  };
}

/** Rewrites `settings.tracking` through platform's compare-and-swap of the settings document (a concurrent change of another part is not lost). */
async function updateTrackingSettings(db: Kysely<DB>, ws: string, change: (t: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const saved = await updateWorkspaceSettings(db, ws, (current) => ({
    tracking: change(current.tracking ?? {}),
  }));
  if (!saved) throw new CdpError('NOT_FOUND', `workspace ${ws} does not exist`);
}
