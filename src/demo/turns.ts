/** Running the demo's independent steps side by side where the database allows it. */
import type { Database } from '../platform/db/database.js';

/**
 * How many independent steps (live codes, callbacks, dispatch passes, receipts) the demo runs at
 * once: on PostgreSQL the database works on them in parallel while this process prepares the
 * next; SQLite has one writer, so one at a time.
 */
export function sideBySide(database: Pick<Database, 'dialect'>): number {
  return database.dialect.singleProcess ? 1 : 4;
}

/** Runs `fn` over `items`, `n` at a time (in order when n is 1). */
export async function inTurns<T>(items: readonly T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
