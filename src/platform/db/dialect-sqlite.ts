import type BetterSqlite3 from 'better-sqlite3';
import { type QueryExecutorProvider, sql } from 'kysely';
import { alsoSet, type Dialect, type PairsUpdate } from './dialect.js';

/**
 * SQLite's bulk writes run one cached prepared statement per row on the raw connection. This is
 * safe inside a Kysely transaction because the SQLite driver has a single connection, held by the
 * transaction while it runs. Measured (2 cores, 50k events through the ingest path): 6 µs per row
 * against 16 µs per row for multi-row statements built by Kysely, whose compile cost grows with rows.
 */
export function sqliteDialect(raw: BetterSqlite3.Database): Dialect {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    ...sqliteBase,
    async insertMany(_db, table, rows, conflict) {
      if (rows.length === 0) return 0;
      const cols = Object.keys(rows[0]!);
      const key = `${table}|${cols.join(',')}|${conflict ? conflict.columns.join(',') + '|' + conflict.update.join(',') : ''}`;
      let stmt = cache.get(key);
      if (!stmt) {
        const q = (c: string) => `"${c}"`;
        let text = `insert into ${q(table)} (${cols.map(q).join(', ')}) values (${cols.map(() => '?').join(', ')})`;
        if (conflict) {
          text += ` on conflict (${conflict.columns.map(q).join(', ')}) do `;
          text += conflict.update.length ? `update set ${conflict.update.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}` : 'nothing';
        }
        stmt = raw.prepare(text);
        cache.set(key, stmt);
      }
      let written = 0;
      for (const row of rows) written += stmt.run(cols.map((c) => row[c] as unknown)).changes;
      return written;
    },
  };
}

const sqliteBase = {
  engine: 'sqlite' as const,
  singleProcess: true,
  // Like PostgreSQL's ->>: booleans as 'true'/'false' (json_extract would give 1/0), numbers as text.
  jsonText: (column: string, key: string) => {
    const path = '$.' + JSON.stringify(key);
    return sql<
      string | null
    >`(case json_type(${sql.ref(column)}, ${path}) when 'true' then 'true' when 'false' then 'false' else cast(json_extract(${sql.ref(column)}, ${path}) as text) end)`;
  },
  isRetryable: (err: unknown) => {
    const code = (err as { code?: string })?.code ?? '';
    return code.startsWith('SQLITE_BUSY') || code === 'SIYU_CONCURRENT_WRITE';
  },
  maxParams: 32_000,
  pairs: (rows: readonly (readonly [string, string])[]) =>
    sql`(select json_extract(value, '$[0]') as from_id, json_extract(value, '$[1]') as into_id from json_each(${JSON.stringify(rows)}))`,
  idList: (values: readonly string[]) => sql`(select value as id from json_each(${JSON.stringify(values)}))`,
  updateFromPairs: async (db: QueryExecutorProvider, u: PairsUpdate) => {
    const m = u.pairs;
    await sql`update ${sql.table(u.table)} set ${sql.ref(u.set)} = (select m.into_id from ${m} as m where m.from_id = ${sql.ref(u.table + '.' + u.match)})${alsoSet(u.also)}
            where workspace_id = ${u.workspaceId} and ${sql.ref(u.match)} in (select from_id from ${m} as m)`.execute(db);
  },
  concurrentWriters: false,
  needsAnalyze: false,
  forUpdate: <Q>(q: Q) => q,
  claim: <Q>(q: Q) => q,
  claimSuffix: sql``,
  advisoryXactLock: async () => {},
};
