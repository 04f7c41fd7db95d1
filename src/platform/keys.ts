import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { legacyKeys, type PiiCipher } from './crypto.js';
import type { DB } from './db/schema.js';

/**
 * Envelope encryption (issue #19): each workspace has data keys (one active version, older ones
 * retiring while a rotation re-encrypts their ciphertext, then retired) and one blind-index key,
 * all random 32-byte keys stored wrapped (AES-256-GCM) by the server's key (`SIYU_ENCRYPTION_KEY`).
 * Ciphertext names its key version: `v2.<version>.<iv>.<tag>.<ct>`; the legacy `v1.` tokens (one
 * key derived from the server key for every workspace) still decrypt, and a rotation rewrites them.
 * See docs/compliance.md, "Encryption at rest".
 */

/** The per-workspace ciphers, loaded from `data_keys` and cached (bounded) per process. */
export interface PiiKeyring {
  /**
   * The cipher of a workspace. Pass the caller's transaction when inside one (SQLite has one
   * connection: a query outside the transaction would wait for it). Its key is created on first use.
   */
  forWorkspace(workspaceId: string, handle?: Kysely<any>): Promise<PiiCipher>;
  /** Loads (creating where missing) the keys of these workspaces, outside any transaction: at boot, so a first use inside one finds them cached. */
  warm(workspaceIds: string[]): Promise<void>;
  /** Forgets the cached keys of a workspace (after a rotation in this process). */
  invalidate(workspaceId: string): void;
  /** The server key's short id (which key wrapped a data key). */
  readonly masterKeyId: string;
}

export interface KeyringOptions {
  masterKey: Buffer;
  /** The server key before a rotation of it: accepted for unwrapping (and for legacy v1 tokens) until `siyu keys rewrap` ran. */
  previousMasterKey?: Buffer | undefined;
  now: () => number;
  /** How long a process trusts its cached view of which version is active (another process may rotate). */
  ttlMs?: number;
  /** Workspaces kept in the cache (least recently used dropped first). */
  maxWorkspaces?: number;
}

/** How long a process may keep writing with a version after another process rotated it: a rotation waits this long (plus margin) before re-encrypting. */
export const KEY_CACHE_TTL_MS = 30_000;

/** The id of a server key: 8 base64url characters of a hash of a key derived from it (never the key itself). */
export function masterKeyId(masterKey: Buffer): string {
  return createHash('sha256').update(createHmac('sha256', masterKey).update('siyu:keys:id').digest()).digest('base64url').slice(0, 8);
}

/** Wraps a data key under a server key: `k1.<masterKeyId>.<iv>.<tag>.<ct>`, bound to what it is for (`aad`). */
export function wrapKey(masterKey: Buffer, key: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', wrappingKey(masterKey), iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(key), c.final()]);
  return ['k1', masterKeyId(masterKey), iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** Unwraps with whichever of the given server keys wrapped it; throws when none did. */
export function unwrapKey(masterKeys: Buffer[], wrapped: string, aad: string): Buffer {
  const [v, id, iv, tag, body] = wrapped.split('.');
  if (v !== 'k1' || !iv || !tag || body === undefined) throw new Error('not a wrapped Siyu data key');
  const key = masterKeys.find((k) => masterKeyId(k) === id);
  if (!key)
    throw new Error(`data key wrapped by server key ${id}, which this process does not hold (set SIYU_ENCRYPTION_KEY_PREVIOUS during a server-key rotation)`);
  const d = createDecipheriv('aes-256-gcm', wrappingKey(key), Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]);
}

/** The id of the server key that wrapped a data key. */
export function wrappedBy(wrapped: string): string {
  return wrapped.split('.')[1] ?? '';
}

function wrappingKey(masterKey: Buffer): Buffer {
  return createHmac('sha256', masterKey).update('siyu:keys:wrap').digest();
}

export const dataKeyAad = (ws: string, version: number) => `siyu:data-key:${ws}:${version}`;
export const indexKeyAad = (ws: string) => `siyu:index-key:${ws}`;

/** A workspace's keys as one process holds them. */
interface Entry {
  active: number;
  keys: Map<number, Buffer>;
  indexKey: Buffer;
  loadedAt: number;
  cipher: PiiCipher;
}

/** Builds the keyring over the database (`data_keys`, `blind_index_keys`: platform's tables). */
export function createKeyring(database: { db: Kysely<DB> }, opts: KeyringOptions): PiiKeyring {
  const ttl = opts.ttlMs ?? KEY_CACHE_TTL_MS;
  const max = opts.maxWorkspaces ?? 10_000;
  const masters = [opts.masterKey, ...(opts.previousMasterKey ? [opts.previousMasterKey] : [])];
  const legacy = masters.map(legacyKeys);
  const cache = new Map<string, Entry>();
  // Workspaces whose keys this process created inside a caller's transaction: not cached until read committed.
  const provisional = new Set<string>();
  const refreshing = new Set<string>();

  async function load(ws: string, handle: Kysely<any>): Promise<Entry> {
    const inTrx = handle.isTransaction;
    let rows = await readKeys(handle, ws);
    let index = await readIndexKey(handle, ws);
    if (!index) {
      index = await createIndexKey(handle, ws, opts);
      if (inTrx) provisional.add(ws);
    } else if (index.wrapped_key === null) index = await materialiseLegacyIndexKey(handle, ws, opts, legacy[legacy.length - 1]!.lookup);
    if (!rows.some((r) => r.state === 'active')) {
      await createFirstDataKey(handle, ws, opts);
      rows = await readKeys(handle, ws);
      if (inTrx) provisional.add(ws);
    }
    const keys = new Map(rows.map((r) => [r.version, unwrapKey(masters, r.wrapped_key, dataKeyAad(ws, r.version))]));
    const active = rows.find((r) => r.state === 'active')!.version;
    const indexKey = unwrapKey(masters, index.wrapped_key!, indexKeyAad(ws));
    const entry: Entry = { active, keys, indexKey, loadedAt: opts.now(), cipher: undefined as unknown as PiiCipher };
    entry.cipher = workspaceCipher(ws, entry, legacy, () => cache.delete(ws));
    // Keys this process created inside a caller's transaction are cached only once read outside one
    // (committed): if that transaction rolled back, a cached key would encrypt with a key nobody stored.
    if (!inTrx) provisional.delete(ws);
    if (!(inTrx && provisional.has(ws))) {
      cache.delete(ws);
      cache.set(ws, entry);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
    }
    return entry;
  }

  return {
    masterKeyId: masterKeyId(opts.masterKey),
    async forWorkspace(ws, handle) {
      const hit = cache.get(ws);
      if (hit && opts.now() - hit.loadedAt < ttl) {
        // Most recently used last: the first key is the one to drop.
        cache.delete(ws);
        cache.set(ws, hit);
        return hit.cipher;
      }
      if (hit && !handle) {
        // Stale, and the caller may be inside a transaction it did not pass (on SQLite a query on
        // the root handle would wait for that transaction): answer from the cache, refresh behind.
        if (!refreshing.has(ws)) {
          refreshing.add(ws);
          void load(ws, database.db)
            .catch(() => undefined)
            .finally(() => refreshing.delete(ws));
        }
        return hit.cipher;
      }
      return (await load(ws, handle ?? database.db)).cipher;
    },
    async warm(workspaceIds) {
      for (const ws of workspaceIds.slice(0, max)) await load(ws, database.db);
    },
    invalidate(ws) {
      cache.delete(ws);
    },
  };
}

interface KeyRow {
  version: number;
  wrapped_key: string;
  state: string;
}

async function readKeys(handle: Kysely<DB>, ws: string): Promise<KeyRow[]> {
  return handle.selectFrom('data_keys').select(['version', 'wrapped_key', 'state']).where('workspace_id', '=', ws).execute();
}

async function readIndexKey(handle: Kysely<DB>, ws: string) {
  return handle.selectFrom('blind_index_keys').select(['wrapped_key', 'legacy']).where('workspace_id', '=', ws).executeTakeFirst();
}

/** A new workspace's blind-index key: random, its own (equal phones in two workspaces have different lookup keys). */
async function createIndexKey(handle: Kysely<DB>, ws: string, opts: KeyringOptions) {
  const wrapped = wrapKey(opts.masterKey, randomBytes(32), indexKeyAad(ws));
  await handle
    .insertInto('blind_index_keys')
    .values({ workspace_id: ws, wrapped_key: wrapped, legacy: 0, created_at: opts.now() })
    .onConflict((oc) => oc.column('workspace_id').doNothing())
    .execute();
  return (await readIndexKey(handle, ws))!;
}

/**
 * A workspace that existed before envelope encryption keeps the lookup key its identities were
 * stored under (derived from the server key), now stored wrapped so a server-key rotation keeps it.
 */
async function materialiseLegacyIndexKey(handle: Kysely<DB>, ws: string, opts: KeyringOptions, derived: Buffer) {
  const wrapped = wrapKey(opts.masterKey, derived, indexKeyAad(ws));
  await handle.updateTable('blind_index_keys').set({ wrapped_key: wrapped }).where('workspace_id', '=', ws).where('wrapped_key', 'is', null).execute();
  return (await readIndexKey(handle, ws))!;
}

async function createFirstDataKey(handle: Kysely<DB>, ws: string, opts: KeyringOptions): Promise<void> {
  await handle
    .insertInto('data_keys')
    .values({
      workspace_id: ws,
      version: 1,
      wrapped_key: wrapKey(opts.masterKey, randomBytes(32), dataKeyAad(ws, 1)),
      state: 'active',
      created_at: opts.now(),
      rotated_at: null,
      retired_at: null,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'version']).doNothing())
    .execute();
}

/** The sync cipher of one workspace over its loaded keys. */
function workspaceCipher(ws: string, e: Entry, legacy: { enc: Buffer }[], forget: () => void): PiiCipher {
  const encrypt = (plain: string): string => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', e.keys.get(e.active)!, iv);
    c.setAAD(Buffer.from(ws));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v2.${e.active}.${iv.toString('base64url')}.${c.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
  };
  const decrypt = (token: string): string => {
    if (token.startsWith('v1.')) return decryptLegacy(legacy, token);
    const [v, ver, iv, tag, body] = token.split('.');
    if (v !== 'v2' || !ver || !iv || !tag || body === undefined) throw new Error('not a Siyu PII token');
    const key = e.keys.get(Number(ver));
    if (!key) {
      // Another process rotated since this one loaded the workspace's keys: reload on the next call.
      forget();
      throw new Error(`data key version ${ver} of workspace ${ws} is not loaded yet; retry`);
    }
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(ws));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
  };
  const prefix = () => `v2.${e.active}.`;
  return {
    lookupKey: (type, value) => createHmac('sha256', e.indexKey).update(type).update('\0').update(value).digest('base64url'),
    encrypt,
    decrypt,
    isCurrent: (token) => token.startsWith(prefix()),
    reencrypt: (token) => (token.startsWith(prefix()) ? token : encrypt(decrypt(token))),
    version: (token) => (token.startsWith('v1.') ? 0 : Number(token.split('.')[1])),
    get activeVersion() {
      return e.active;
    },
  };
}

function decryptLegacy(legacy: { enc: Buffer }[], token: string): string {
  const [, iv, tag, body] = token.split('.');
  if (!iv || !tag || body === undefined) throw new Error('not a Siyu PII token');
  let last: unknown;
  for (const { enc } of legacy) {
    try {
      const d = createDecipheriv('aes-256-gcm', enc, Buffer.from(iv, 'base64url'));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
