import type { PiiCipher } from './crypto.js';
import type { Kysely } from 'kysely';

/**
 * The re-encryption port (issue #19, key rotation): each module that stores PII ciphertext
 * publishes a {@link CiphertextStore} from its index.ts that rewrites only its own tables; the
 * composition root hands them all to the rotation runner (key-rotation.ts), which names no
 * module's table.
 */
export interface CiphertextStore {
  /** `module.table` (`cdp.identities`), the key of its progress in a rotation. */
  name: string;
  /**
   * In one short transaction: of the next `limit` rows of the workspace after `cursor` (in key
   * order), rewrites every token that is not under the active key (`cipher.reencrypt`), each only if
   * it is still the token read (a concurrent writer wins). Returns where to go on from (null: the
   * end) and how many tokens changed. Running a batch twice changes nothing the second time.
   */
  reencrypt(workspaceId: string, cursor: string | null, limit: number, cipher: PiiCipher): Promise<{ cursor: string | null; changed: number }>;
  /** How many tokens of the workspace are not under the active key (a full read: for checks and tests). */
  remaining(workspaceId: string, cipher: PiiCipher): Promise<number>;
}

/** A keyset cursor of several key columns, as the stores write it. */
export const encodeCursor = (parts: string[]): string => JSON.stringify(parts);
export const decodeCursor = (cursor: string): string[] => JSON.parse(cursor) as string[];

/** A column holding ciphertext: a token itself, or (`json`) a JSON document with tokens inside that `rewrite` re-encrypts. */
export interface CipherColumn {
  name: string;
  /** For a JSON column: the document with its tokens re-encrypted, or undefined when none needed it. */
  rewrite?: (doc: unknown, cipher: PiiCipher) => unknown;
}

/** Which rows of a module's table to re-encrypt: the module names its own table and columns. */
export interface KeysetTable {
  db: Kysely<any>;
  table: string;
  /** The primary key after `workspace_id`, in order (empty: one row per workspace). */
  keys: string[];
  columns: CipherColumn[];
}

/**
 * One batch of {@link CiphertextStore.reencrypt} over a table read in primary-key order: the
 * statement every store runs, kept once here. Each changed row is updated only where its columns
 * still hold what was read (a concurrent writer's newer value wins; it is under the active key).
 */
export async function reencryptKeyset(
  t: KeysetTable,
  ws: string,
  cursor: string | null,
  limit: number,
  cipher: PiiCipher,
): Promise<{ cursor: string | null; changed: number }> {
  return t.db.transaction().execute(async (trx) => {
    const rows = await page(trx, t, ws, cursor, limit);
    let changed = 0;
    for (const row of rows) {
      const set: Record<string, unknown> = {};
      let q = trx.updateTable(t.table).where('workspace_id', '=', ws);
      for (const k of t.keys) q = q.where(k, '=', row[k]);
      for (const c of t.columns) {
        const next = renewed(c, row[c.name], cipher);
        if (next === undefined) continue;
        set[c.name] = next;
        q = q.where(c.name, '=', typeof row[c.name] === 'string' ? row[c.name] : JSON.stringify(row[c.name]));
      }
      if (Object.keys(set).length === 0) continue;
      const res = await q.set(set).executeTakeFirst();
      changed += Number(res.numUpdatedRows);
    }
    const last = rows[rows.length - 1];
    const next = rows.length < limit || t.keys.length === 0 || !last ? null : encodeCursor(t.keys.map((k) => String(last[k])));
    return { cursor: next, changed };
  });
}

/** How many rows of the workspace hold a token not under the active key (reads every row, a page at a time). */
export async function staleRows(t: KeysetTable, ws: string, cipher: PiiCipher): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  for (;;) {
    const rows = await page(t.db, t, ws, cursor, 1000);
    for (const row of rows) if (t.columns.some((c) => renewed(c, row[c.name], cipher) !== undefined)) n++;
    const last = rows[rows.length - 1];
    if (rows.length < 1000 || t.keys.length === 0 || !last) return n;
    cursor = encodeCursor(t.keys.map((k) => String(last[k])));
  }
}

async function page(db: Kysely<any>, t: KeysetTable, ws: string, cursor: string | null, limit: number): Promise<Record<string, unknown>[]> {
  let q = db
    .selectFrom(t.table)
    .select([...t.keys, ...t.columns.map((c) => c.name)])
    .where('workspace_id', '=', ws);
  if (cursor !== null && t.keys.length > 0) {
    const after = decodeCursor(cursor);
    q = t.keys.length === 1 ? q.where(t.keys[0]!, '>', after[0]) : q.where((eb) => eb(eb.refTuple(t.keys[0]!, t.keys[1]!), '>', eb.tuple(after[0], after[1])));
  }
  for (const k of t.keys) q = q.orderBy(k);
  return (await q.limit(limit).execute()) as Record<string, unknown>[];
}

/** The column's new value, or undefined when it holds nothing to re-encrypt. */
function renewed(c: CipherColumn, value: unknown, cipher: PiiCipher): unknown {
  if (value === null || value === undefined) return undefined;
  if (c.rewrite) {
    const doc = c.rewrite(typeof value === 'string' ? JSON.parse(value) : value, cipher);
    return doc === undefined ? undefined : JSON.stringify(doc);
  }
  return typeof value === 'string' && !cipher.isCurrent(value) ? cipher.reencrypt(value) : undefined;
}

/** A store over one table of a module (most stores are this). */
export function keysetStore(name: string, t: KeysetTable): CiphertextStore {
  if (t.keys.length > 2) throw new Error(`${name}: keyset re-encryption supports at most two key columns after workspace_id`);
  return {
    name,
    reencrypt: (ws, cursor, limit, cipher) => reencryptKeyset(t, ws, cursor, limit, cipher),
    remaining: (ws, cipher) => staleRows(t, ws, cipher),
  };
}
