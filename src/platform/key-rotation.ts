import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { parseJson } from './db/database.js';
import type { DB, KeyRotationsTable } from './db/schema.js';
import { newId } from './ids.js';
import { dataKeyAad, indexKeyAad, KEY_CACHE_TTL_MS, type PiiKeyring, unwrapKey, wrapKey } from './keys.js';
import type { CiphertextStore } from './reencrypt.js';

/**
 * Rotation of a workspace's data key without downtime (issue #19): a new version becomes active at
 * once (new ciphertext uses it), the old ones turn `retiring`; a background runner then walks every
 * module's ciphertext store in bounded batches, re-encrypting what is not under the new version,
 * recording its cursor after each batch (resumable after a crash: at most one batch is redone, and
 * redoing one changes nothing), holding a lease so several processes never work the same rotation;
 * when every store is through, the old versions are `retired`.
 */

/** What rotation needs. */
export interface RotationDeps {
  database: { db: Kysely<DB> };
  keyring: PiiKeyring;
  masterKey: Buffer;
  now: () => number;
  stores: CiphertextStore[];
  /** Wait before re-encrypting (other processes' key caches expire); default the cache TTL plus 30 s. */
  graceMs?: number;
  /** Rows per batch (one transaction each); default 500. */
  batchSize?: number;
  /** How long a claimed rotation stays this process's between batches; default 60 s. */
  leaseMs?: number;
}

/** A workspace's key versions and its latest rotation, as `GET /v1/keys` shows them. */
export interface KeyStatus {
  versions: { version: number; state: string; createdAt: number; rotatedAt: number | null; retiredAt: number | null }[];
  rotation: RotationView | null;
}

/** A rotation and its progress per store. */
export interface RotationView {
  id: string;
  toVersion: number;
  state: 'running' | 'done';
  startedAt: number;
  notBefore: number;
  finishedAt: number | null;
  changed: number;
  stores: { name: string; done: boolean; changed: number }[];
}

type Progress = Record<string, { cursor: string | null; done: boolean; changed: number }>;

/** Thrown when a rotation of the workspace is still running. */
export class RotationRunningError extends Error {
  constructor(readonly rotationId: string) {
    super(`a key rotation of this workspace is still running (${rotationId})`);
  }
}

/** Makes a new data key version active now and records a rotation for the runner; returns it. */
export async function startRotation(deps: RotationDeps, ws: string): Promise<RotationView> {
  await deps.keyring.forWorkspace(ws); // the workspace's first key, if it had none yet
  const now = deps.now();
  const id = newId('krt', now);
  await deps.database.db.transaction().execute(async (trx) => {
    const running = await trx.selectFrom('key_rotations').select('id').where('workspace_id', '=', ws).where('state', '=', 'running').executeTakeFirst();
    if (running) throw new RotationRunningError(running.id);
    const top = await trx
      .selectFrom('data_keys')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('workspace_id', '=', ws)
      .executeTakeFirst();
    const version = Number(top?.v ?? 0) + 1;
    await trx.updateTable('data_keys').set({ state: 'retiring', rotated_at: now }).where('workspace_id', '=', ws).where('state', '=', 'active').execute();
    // A unique violation here means a rotation started concurrently in another process: that one wins.
    await trx
      .insertInto('data_keys')
      .values({
        workspace_id: ws,
        version,
        wrapped_key: wrapKey(deps.masterKey, randomBytes(32), dataKeyAad(ws, version)),
        state: 'active',
        created_at: now,
        rotated_at: null,
        retired_at: null,
      })
      .execute();
    await trx
      .insertInto('key_rotations')
      .values({
        workspace_id: ws,
        id,
        to_version: version,
        state: 'running',
        progress: JSON.stringify({}),
        changed: 0,
        started_at: now,
        not_before: now + (deps.graceMs ?? KEY_CACHE_TTL_MS + 30_000),
        finished_at: null,
        lease_owner: null,
        lease_until: null,
      })
      .execute();
  });
  deps.keyring.invalidate(ws);
  return (await keyStatus(deps, ws)).rotation!;
}

/** The workspace's key versions (newest first) and latest rotation. */
export async function keyStatus(deps: Pick<RotationDeps, 'database' | 'stores'>, ws: string): Promise<KeyStatus> {
  const db = deps.database.db;
  const rows = await db.selectFrom('data_keys').selectAll().where('workspace_id', '=', ws).orderBy('version', 'desc').execute();
  const rot = await db
    .selectFrom('key_rotations')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return {
    versions: rows.map((r) => ({ version: r.version, state: r.state, createdAt: r.created_at, rotatedAt: r.rotated_at, retiredAt: r.retired_at })),
    rotation: rot ? rotationView(rot, deps.stores) : null,
  };
}

function rotationView(r: Selectable<KeyRotationsTable>, stores: CiphertextStore[]): RotationView {
  const progress = parseJson<Progress>(r.progress);
  return {
    id: r.id,
    toVersion: r.to_version,
    state: r.state,
    startedAt: r.started_at,
    notBefore: r.not_before,
    finishedAt: r.finished_at,
    changed: r.changed,
    stores: stores.map((s) => ({ name: s.name, done: r.state === 'done' || (progress[s.name]?.done ?? false), changed: progress[s.name]?.changed ?? 0 })),
  };
}

/**
 * One step of the runner: claims a due rotation (lease) and re-encrypts one batch of one store,
 * or finishes the rotation when every store is through. Returns false when there was nothing to do.
 */
export async function rotationStep(deps: RotationDeps, owner: string, only?: { workspaceId: string }): Promise<boolean> {
  const db = deps.database.db;
  const now = deps.now();
  let q = db
    .selectFrom('key_rotations')
    .selectAll()
    .where('state', '=', 'running')
    .where('not_before', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]));
  if (only) q = q.where('workspace_id', '=', only.workspaceId);
  const due = await q.orderBy('started_at').limit(1).executeTakeFirst();
  if (!due) return false;
  const leaseUntil = now + (deps.leaseMs ?? 60_000);
  // Claim (or extend) the lease only if nobody else holds it: a compare-and-set on both engines.
  const claimed = await db
    .updateTable('key_rotations')
    .set({ lease_owner: owner, lease_until: leaseUntil })
    .where('workspace_id', '=', due.workspace_id)
    .where('id', '=', due.id)
    .where('state', '=', 'running')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return true;
  const ws = due.workspace_id;
  const progress = parseJson(due.progress) as Progress;
  const store = deps.stores.find((s) => !progress[s.name]?.done);
  if (!store) {
    await finishRotation(db, ws, due.id, due.to_version, now);
    deps.keyring.invalidate(ws);
    return true;
  }
  let cipher = await deps.keyring.forWorkspace(ws);
  if (cipher.activeVersion !== due.to_version) {
    // Rotated by another process within this one's cache TTL: load the new version.
    deps.keyring.invalidate(ws);
    cipher = await deps.keyring.forWorkspace(ws);
  }
  const p = progress[store.name] ?? { cursor: null, done: false, changed: 0 };
  const out = await store.reencrypt(ws, p.cursor, deps.batchSize ?? 500, cipher);
  progress[store.name] = { cursor: out.cursor, done: out.cursor === null, changed: p.changed + out.changed };
  await db
    .updateTable('key_rotations')
    .set({ progress: JSON.stringify(progress), changed: due.changed + out.changed })
    .where('workspace_id', '=', ws)
    .where('id', '=', due.id)
    .where('lease_owner', '=', owner)
    .execute();
  return true;
}

async function finishRotation(db: Kysely<DB>, ws: string, id: string, toVersion: number, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('data_keys')
      .set({ state: 'retired', retired_at: now })
      .where('workspace_id', '=', ws)
      .where('state', '=', 'retiring')
      .where('version', '<', toVersion)
      .execute();
    await trx
      .updateTable('key_rotations')
      .set({ state: 'done', finished_at: now, lease_owner: null, lease_until: null })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
  });
}

/** Runs rotation steps until none is due (the CLI's `--wait`, tests); `onStep` after each. */
export async function runRotations(deps: RotationDeps, owner: string, opts: { workspaceId?: string; onStep?: () => Promise<void> | void } = {}): Promise<void> {
  while (await rotationStep(deps, owner, opts.workspaceId ? { workspaceId: opts.workspaceId } : undefined)) await opts.onStep?.();
}

/**
 * Rewraps every data and blind-index key under the current server key (a server-key rotation:
 * start with the new key in SIYU_ENCRYPTION_KEY and the old one in SIYU_ENCRYPTION_KEY_PREVIOUS,
 * run this, then drop the old one). Returns how many keys were rewrapped.
 */
export async function rewrapKeys(
  deps: Pick<RotationDeps, 'database' | 'masterKey'> & { keyring: PiiKeyring; previousMasterKey?: Buffer | undefined },
): Promise<number> {
  const masters = [deps.masterKey, ...(deps.previousMasterKey ? [deps.previousMasterKey] : [])];
  const db = deps.database.db;
  const id = deps.keyring.masterKeyId;
  let n = 0;
  // Workspaces of before 0046 whose legacy lookup key was never stored: store it now (derived from whichever key is given).
  const unstored = await db.selectFrom('blind_index_keys').select('workspace_id').where('wrapped_key', 'is', null).execute();
  for (const r of unstored) await deps.keyring.forWorkspace(r.workspace_id);
  for (const r of await db.selectFrom('data_keys').select(['workspace_id', 'version', 'wrapped_key']).execute()) {
    if (r.wrapped_key.split('.')[1] === id) continue;
    const aad = dataKeyAad(r.workspace_id, r.version);
    const wrapped = wrapKey(deps.masterKey, unwrapKey(masters, r.wrapped_key, aad), aad);
    await db.updateTable('data_keys').set({ wrapped_key: wrapped }).where('workspace_id', '=', r.workspace_id).where('version', '=', r.version).execute();
    n++;
  }
  for (const r of await db.selectFrom('blind_index_keys').select(['workspace_id', 'wrapped_key']).execute()) {
    if (r.wrapped_key === null || r.wrapped_key.split('.')[1] === id) continue;
    const aad = indexKeyAad(r.workspace_id);
    const wrapped = wrapKey(deps.masterKey, unwrapKey(masters, r.wrapped_key, aad), aad);
    await db.updateTable('blind_index_keys').set({ wrapped_key: wrapped }).where('workspace_id', '=', r.workspace_id).execute();
    n++;
  }
  return n;
}
