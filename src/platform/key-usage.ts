import type { Kysely } from 'kysely';
import type { DB } from './db/schema.js';

/**
 * How often a key's `last_used_at` is written: at most once per key per minute. Tracking calls
 * authenticate every request with a write key; a write each time would turn every read path into
 * a write (and on PostgreSQL, hot keys into row-lock contention), while "last used" only needs to
 * say whether a key is still in use and roughly since when.
 */
export const KEY_USE_WRITE_EVERY_MS = 60_000;

/** Records that a key (by its hash) authenticated a request. Never throws: a failed write is logged and the request goes on. */
export type KeyUseRecorder = (keyHash: string) => Promise<void>;

/**
 * A per-process recorder of key use: an in-memory note of the last write per key keeps it to one
 * write a minute in this process, and the UPDATE's own condition (`last_used_at` older than a
 * minute) keeps other processes' writes in the same minute from changing the row again.
 */
export function createKeyUseRecorder(
  db: Kysely<DB>,
  now: () => number,
  onError: (err: unknown) => void = () => undefined,
  everyMs = KEY_USE_WRITE_EVERY_MS,
): KeyUseRecorder {
  const written = new Map<string, number>();
  return async (keyHash) => {
    const at = now();
    const last = written.get(keyHash);
    if (last !== undefined && at - last < everyMs && at >= last) return;
    if (written.size > 10_000) written.clear();
    // Noted before the write, so concurrent requests of the same key do not all write.
    written.set(keyHash, at);
    try {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: at })
        .where('key_hash', '=', keyHash)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', at - everyMs)]))
        .execute();
    } catch (err) {
      onError(err);
    }
  };
}
