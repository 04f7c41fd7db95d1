import type { ConsoleAuth } from './principal.js';
import type { Kysely } from 'kysely';
import { hashApiKey } from './crypto.js';
import type { DB } from './db/schema.js';
import { parseJson } from './db/database.js';
import { AppError } from './errors.js';
import { newId, newSecret } from './ids.js';
import { createKeyUseRecorder } from './key-usage.js';
import { canonicalTimeZone, isTimeZone } from './time.js';
import { type Page, decodeCursor, keysetAfter, pageOf } from './paging.js';

/** A tenant: every row of every table belongs to exactly one. */
export interface Workspace {
  id: string;
  name: string;
  settings: WorkspaceSettings;
  createdAt: string;
}

/** Per-workspace settings (identity rules and currency live here). */
export interface WorkspaceSettings {
  currency?: string;
  timezone?: string;
  /** Public holidays (YYYY-MM-DD, sorted), set by PATCH /v1/workspace: not working days for privacy requests' deadlines. */
  holidays?: string[];
  identityRules?: unknown;
  /** Settings of the built-in segmentation models (RFM, lifecycle, community), validated by segments/models. */
  segmentation?: { rfm?: unknown; lifecycle?: unknown; community?: unknown };
  /** Settings of the tracking API (allowed browser origins, validated by cdp). */
  tracking?: Record<string, unknown>;
}

/** Write keys go in tracking calls (public, like Segment's); secret keys open the management API. */
export type KeyKind = 'write' | 'secret';

/** An API key as listed: never the key itself, which is shown once at creation. */
export interface ApiKeyInfo {
  id: string;
  kind: KeyKind;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  /** When the key last authenticated a request (to the minute: key-usage.ts); null if never. */
  lastUsedAt: string | null;
}

const KEY_PREFIX: Record<KeyKind, string> = { write: 'wk_', secret: 'sk_' };

/** Creates a workspace with one write key and one secret key; returns the keys in clear, once. */
export async function createWorkspace(
  db: Kysely<DB>,
  input: { name: string; settings?: WorkspaceSettings },
  now = Date.now(),
): Promise<{ workspace: Workspace; writeKey: string; secretKey: string }> {
  const name = input.name.trim();
  if (!name) throw new AppError('VALIDATION_FAILED', 'workspace name must not be empty');
  const id = newId('ws', now);
  const settings = input.settings ?? {};
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('workspaces')
      .values({ id, name, settings: JSON.stringify(settings), created_at: now })
      .execute();
    const writeKey = await insertKey(trx, id, 'write', 'default write key', now);
    const secretKey = await insertKey(trx, id, 'secret', 'default secret key', now);
    return {
      workspace: { id, name, settings, createdAt: new Date(now).toISOString() },
      writeKey: writeKey.key,
      secretKey: secretKey.key,
    };
  });
}

async function insertKey(db: Kysely<DB>, workspaceId: string, kind: KeyKind, name: string, now: number) {
  const key = newSecret(KEY_PREFIX[kind]);
  const id = newId('key', now);
  await db
    .insertInto('api_keys')
    .values({ workspace_id: workspaceId, id, kind, name, key_hash: hashApiKey(key), key_prefix: key.slice(0, 8), created_at: now, revoked_at: null })
    .execute();
  return { id, key };
}

/** Adds a key to an existing workspace; the clear key is returned only here. */
export async function createKey(
  db: Kysely<DB>,
  workspaceId: string,
  kind: KeyKind,
  name: string,
  now = Date.now(),
): Promise<{ key: string; info: ApiKeyInfo }> {
  const ws = await db.selectFrom('workspaces').select('id').where('id', '=', workspaceId).executeTakeFirst();
  if (!ws) throw new AppError('NOT_FOUND', `workspace ${workspaceId} does not exist`);
  const { id, key } = await insertKey(db, workspaceId, kind, name, now);
  return { key, info: { id, kind, name, prefix: key.slice(0, 8), createdAt: new Date(now).toISOString(), revokedAt: null, lastUsedAt: null } };
}

/** Lists a workspace's keys (without the keys themselves). */
export async function listKeys(db: Kysely<DB>, workspaceId: string, limit: number, cursor?: string): Promise<Page<ApiKeyInfo>> {
  let q = db.selectFrom('api_keys').selectAll().where('workspace_id', '=', workspaceId);
  if (cursor) q = q.where(keysetAfter(['created_at', 'id'], 'asc', decodeCursor(cursor, ['n', 's'])));
  const rows = await q
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return pageOf(
    rows,
    limit,
    (r) => ({
      id: r.id,
      kind: r.kind,
      name: r.name,
      prefix: r.key_prefix,
      createdAt: new Date(r.created_at).toISOString(),
      revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString(),
      lastUsedAt: r.last_used_at === null ? null : new Date(Number(r.last_used_at)).toISOString(),
    }),
    (r) => [Number(r.created_at), r.id],
  );
}

/** Revokes a key of this workspace; a key of another workspace is "not found". */
export async function revokeKey(db: Kysely<DB>, workspaceId: string, keyId: string, now = Date.now()): Promise<void> {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new AppError('KEY_NOT_FOUND', `no active key ${keyId} in this workspace`);
}

/** Reads one workspace. */
export async function getWorkspace(db: Kysely<DB>, id: string): Promise<Workspace | undefined> {
  const r = await db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  return r && { id: r.id, name: r.name, settings: parseJson<WorkspaceSettings>(r.settings), createdAt: new Date(r.created_at).toISOString() };
}

/** Lists all workspaces (for the CLI). */
export async function listWorkspaces(db: Kysely<DB>): Promise<Workspace[]> {
  const rows = await db.selectFrom('workspaces').selectAll().orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, settings: parseJson<WorkspaceSettings>(r.settings), createdAt: new Date(r.created_at).toISOString() }));
}

/** The ids of all workspaces, oldest first (for the workers that visit every workspace). */
export async function listWorkspaceIds(db: Kysely<DB>): Promise<string[]> {
  const rows = await db.selectFrom('workspaces').select('id').orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => r.id);
}

/**
 * Changes some top-level settings of a workspace, leaving the others alone: `patch` gives the new
 * values (a function of the current settings may check them together and throw before anything is
 * written). A compare-and-set on the stored value, retried, so a concurrent change of another
 * setting is not lost. Returns the settings now stored, or undefined when there is no such
 * workspace; AppError CONFLICT when the settings kept changing meanwhile.
 */
export async function updateWorkspaceSettings(
  db: Kysely<DB>,
  id: string,
  patch: Partial<WorkspaceSettings> | ((current: WorkspaceSettings) => Partial<WorkspaceSettings>),
): Promise<WorkspaceSettings | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await db.selectFrom('workspaces').select('settings').where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const before = typeof row.settings === 'string' ? row.settings : JSON.stringify(row.settings);
    const current = parseJson<WorkspaceSettings>(row.settings);
    const next: WorkspaceSettings = { ...current, ...(typeof patch === 'function' ? patch(current) : patch) };
    const res = await db
      .updateTable('workspaces')
      .set({ settings: JSON.stringify(next) })
      .where('id', '=', id)
      .where('settings', '=', before)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return next;
  }
  throw new AppError('CONFLICT', 'the workspace settings kept changing while being saved; try again');
}

/** What an owner may change of a workspace (`PATCH /v1/workspace`); other settings have their own routes. */
export interface WorkspacePatch {
  name?: string;
  /** An IANA zone (`Asia/Shanghai`): local days, quiet hours, schedules and reports of the workspace use it. */
  timezone?: string;
  /** Public holidays (YYYY-MM-DD), replacing the list: not working days for privacy requests' deadlines. */
  holidays?: string[];
}

/** The holidays as stored: each a real calendar date, without repeats, sorted; VALIDATION_FAILED names the first bad one. */
function checkHolidays(dates: readonly string[]): string[] {
  dates.forEach((d, i) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== d) {
      throw new AppError('VALIDATION_FAILED', `holidays[${i}]: "${d}" is not a date (YYYY-MM-DD, e.g. 2027-10-01)`, { field: `holidays[${i}]` });
    }
  });
  return [...new Set(dates)].sort();
}

/**
 * Renames a workspace and/or sets its time zone (checked against the zones this runtime knows, and
 * stored as the IANA database spells it) and/or its list of public holidays. NOT_FOUND for an
 * unknown workspace; VALIDATION_FAILED for an empty name, an unknown zone or a date that is not
 * one, naming the field; nothing is written then.
 */
export async function updateWorkspace(db: Kysely<DB>, id: string, patch: WorkspacePatch): Promise<Workspace> {
  const name = patch.name === undefined ? undefined : patch.name.trim();
  if (name !== undefined && !name) throw new AppError('VALIDATION_FAILED', 'name must not be empty', { field: 'name' });
  let timezone: string | undefined;
  if (patch.timezone !== undefined) {
    timezone = canonicalTimeZone(patch.timezone.trim());
    if (!timezone) {
      throw new AppError(
        'VALIDATION_FAILED',
        `timezone "${patch.timezone}" is not an IANA time zone this server knows (e.g. Asia/Shanghai, Europe/Berlin, UTC)`,
        {
          field: 'timezone',
        },
      );
    }
  }
  const holidays = patch.holidays === undefined ? undefined : checkHolidays(patch.holidays);
  if (!(await getWorkspace(db, id))) throw new AppError('NOT_FOUND', `workspace ${id} does not exist`);
  if (name !== undefined) await db.updateTable('workspaces').set({ name }).where('id', '=', id).execute();
  if (timezone !== undefined || holidays !== undefined) {
    await updateWorkspaceSettings(db, id, { ...(timezone === undefined ? {} : { timezone }), ...(holidays === undefined ? {} : { holidays }) });
  }
  return (await getWorkspace(db, id))!;
}

/** Resolves API keys to workspaces, with a short-lived cache so tracking calls cost no query (and a use write once a minute). */
export interface KeyResolver {
  resolve(key: string, kind: KeyKind): Promise<string | undefined>;
  /** The workspace and the key's id (what the audit log names a machine by); undefined like `resolve`. */
  identify?(key: string, kind: KeyKind): Promise<{ workspaceId: string; keyId: string } | undefined>;
  /** Console sessions and roles (the access module's, set by the root): secret-key routes accept a signed-in user too. */
  console?: ConsoleAuth;
}

/**
 * A key → workspace resolver. Cached entries live `ttlMs` (default 10 s), so a revoked key stops
 * working within that time on every process. Every key that resolves has its use recorded (at
 * most one write per key per minute: key-usage.ts); `onUseError` hears a failed write.
 */
export function createKeyResolver(db: Kysely<DB>, opts: { ttlMs?: number; now?: () => number; onUseError?: (err: unknown) => void } = {}): KeyResolver {
  const ttlMs = opts.ttlMs ?? 10_000;
  const now = opts.now ?? (() => Date.now());
  const recordUse = createKeyUseRecorder(db, now, opts.onUseError);
  const cache = new Map<string, { found: { workspaceId: string; keyId: string } | undefined; until: number }>();
  const lookup = async (hash: string, kind: KeyKind) => {
    const hit = cache.get(hash);
    if (hit && hit.until > now()) return hit.found;
    const row = await db.selectFrom('api_keys').select(['workspace_id', 'id', 'kind', 'revoked_at']).where('key_hash', '=', hash).executeTakeFirst();
    const found = row && row.kind === kind && row.revoked_at === null ? { workspaceId: row.workspace_id, keyId: row.id } : undefined;
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { found, until: now() + ttlMs });
    return found;
  };
  const identify = async (key: string, kind: KeyKind) => {
    if (!key || !key.startsWith(KEY_PREFIX[kind])) return undefined;
    const hash = hashApiKey(key);
    const found = await lookup(hash, kind);
    if (found) await recordUse(hash);
    return found;
  };
  return {
    identify,
    resolve: async (key, kind) => (await identify(key, kind))?.workspaceId,
  };
}

/**
 * The workspace's time zone: `settings.timezone` when it is a zone this runtime knows, else
 * `fallback` (SIYU_DEFAULT_TIMEZONE). Reads through the caller's connection or transaction: on
 * SQLite a read through another handle would wait on the caller's open transaction.
 */
export async function workspaceTimeZone(db: Kysely<any>, workspaceId: string, fallback: string): Promise<string> {
  const row = await (db as Kysely<DB>).selectFrom('workspaces').select('settings').where('id', '=', workspaceId).executeTakeFirst();
  const tz = row ? parseJson<{ timezone?: unknown }>(row.settings)?.timezone : undefined;
  return isTimeZone(tz) ? tz : fallback;
}
