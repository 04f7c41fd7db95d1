/**
 * The personal-data port (issue #19, data-subject rights): each module that holds data about a
 * person publishes a {@link PersonalDataSource} from its index.ts, reading (and, for erasure,
 * removing) its own tables; the composition root hands them all to the compliance module, which
 * never reads another module's tables itself. A person is the live profile and the profiles merged
 * into it (their ids are what the sources are given).
 */

/** A row of a kind: a flat record (nested values are written as JSON in the CSV). */
export type PersonalRow = Record<string, unknown>;

/** One kind of a person's data held by a module (`events`, `coupons`…): its rows, read each time they are asked for. */
export interface PersonalDataKind {
  kind: string;
  rows(): AsyncIterable<PersonalRow>;
}

/**
 * The person an erasure forgets: their profile ids (the live one first, then those merged into it)
 * and the one anonymous stand-in id (`ers_…`) that the records kept for the workspace's totals
 * (orders, points ledger, exposures…) are detached to, the same in every module.
 */
export interface ErasureTarget {
  profileIds: string[];
  detachedId: string;
  /** When the erasure runs (epoch ms). */
  at: number;
}

/** Rows affected by an erasure, per kind (removed, anonymised or detached). */
export type ErasureCounts = Record<string, number>;

/** What one module holds about a person, and (when it can) how it forgets them. */
export interface PersonalDataSource {
  /** The module (`cdp`, `messaging`…), the archive's folder of its kinds. */
  module: string;
  /** The kinds this module holds about the profiles `profileIds` (the person and the profiles merged into them). */
  read(workspaceId: string, profileIds: string[]): Promise<PersonalDataKind[]>;
  /**
   * Removes or irreversibly anonymises the person in this module's own tables, in one transaction,
   * so a second run (after a crash, or a repeated request) finds nothing left and counts zeros.
   */
  erase(workspaceId: string, target: ErasureTarget): Promise<ErasureCounts>;
  /**
   * Erase after every other module: the source that holds the person's identity (cdp). Until its
   * step the person's profiles stay as they were, so no module's worker starts rows for the
   * stand-in while the others are still moving theirs to it.
   */
  eraseLast?: boolean;
}

/** The rows a Kysely delete or update touched, as a number. */
export function affected(r: { numDeletedRows?: bigint; numUpdatedRows?: bigint }): number {
  return Number(r.numDeletedRows ?? r.numUpdatedRows ?? 0);
}

/** A kind whose rows are read in one query (bounded per person: a profile's coupons, consents, memberships). */
export function listedKind(kind: string, fetch: () => Promise<PersonalRow[]>): PersonalDataKind {
  return {
    kind,
    async *rows() {
      yield* await fetch();
    },
  };
}

/** A kind read page by page (unbounded per person: events, messages): `page(after)` returns rows after the last one's key. */
export function pagedKind<R extends PersonalRow>(
  kind: string,
  page: (after: R | undefined) => Promise<R[]>,
  pageSize: number,
  view: (r: R) => PersonalRow,
): PersonalDataKind {
  return {
    kind,
    async *rows() {
      let after: R | undefined;
      for (;;) {
        const rows = await page(after);
        for (const r of rows) yield view(r);
        if (rows.length < pageSize) return;
        after = rows[rows.length - 1];
      }
    },
  };
}

/** Epoch milliseconds as an ISO time (null stays null), for rows of an archive. */
export function isoOrNull(ms: number | string | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * A stored row as an archive shows it: `workspace_id` and the `omit` columns left out (internal
 * keys, hashes), keys in camelCase, times (`…_at`, `…_until`, epoch ms) as ISO, `json` columns parsed.
 */
export function plainRow(row: object, opts: { json?: readonly string[]; omit?: readonly string[] } = {}): PersonalRow {
  const out: PersonalRow = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'workspace_id' || opts.omit?.includes(k)) continue;
    if (opts.json?.includes(k)) out[camel(k)] = typeof v === 'string' ? JSON.parse(v) : (v ?? null);
    else if (/_(at|until)$/.test(k) && (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)))) out[camel(k)] = isoOrNull(v);
    else out[camel(k)] = typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}
