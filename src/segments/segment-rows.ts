/**
 * Segment rows as the API shows them, the look-ups every segment service starts with, and the
 * page cursors of its lists.
 */
import type { Kysely, Selectable } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import type { Hub } from '../platform/hub.js';
import type { SegmentsDeps } from './deps.js';
import type { SegmentsHubEvents } from './hub-events.js';
import { SegmentError } from './errors.js';
import { RECOMPUTE_BACKOFF } from './recompute-failures.js';
import { describeRule } from './rule-describe.js';
import { validateRule } from './rule-validation.js';
import type { Rule } from './rule.types.js';
import type { SegmentsSqlDB, SegmentsTable } from './schema.js';

/** What the segment services need (a part of the module's deps; they only emit on the hub). */
export type SegmentDeps = Pick<SegmentsDeps, 'database' | 'now' | 'timeZoneOf' | 'resolveProfileRef' | 'profileCards'> & {
  hub: Pick<Hub<SegmentsHubEvents>, 'emit'>;
};

/** A segment as the API shows it. */
export interface SegmentView {
  id: string;
  name: string;
  description: string;
  kind: 'rule' | 'static';
  rule: Rule | null;
  summary: { en: string; 'zh-CN': string } | null;
  version: number;
  timeDependent: boolean;
  status: 'active' | 'archived';
  memberCount: number;
  /** A full recompute in progress (the size is still settling). */
  computing: boolean;
  /** How its computation is going: failures in a row, the last reason, the next try (see recompute-failures.ts). */
  recompute: RecomputeHealth;
  evaluatedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A rule segment's computation as the API shows it. */
export interface RecomputeHealth {
  /** `ok`; `retrying` after a failure (backed off until `retryAt`); `failed` after 8 failures in a row (retried hourly). */
  state: 'ok' | 'retrying' | 'failed';
  failures: number;
  lastError: string | null;
  lastFailedAt: string | null;
  retryAt: string | null;
}

/** Epoch ms as an ISO string. */
export const iso = (ms: number) => new Date(ms).toISOString();

/** A segment row as the API shows it. */
export function view(r: Selectable<SegmentsTable>): SegmentView {
  const rule = r.rule === null ? null : parseJson<Rule>(r.rule);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    kind: r.kind,
    rule,
    summary: rule ? { en: describeRule(rule, 'en'), 'zh-CN': describeRule(rule, 'zh-CN') } : null,
    version: r.version,
    timeDependent: r.time_dependent === 1,
    status: r.status,
    memberCount: r.member_count,
    computing: r.recompute_version !== null,
    recompute: {
      state: r.recompute_failures === 0 ? 'ok' : r.recompute_failures >= RECOMPUTE_BACKOFF.failedAfter ? 'failed' : 'retrying',
      failures: r.recompute_failures,
      lastError: r.recompute_error,
      lastFailedAt: r.recompute_failed_at === null ? null : iso(Number(r.recompute_failed_at)),
      retryAt: r.recompute_retry_at === null ? null : iso(Number(r.recompute_retry_at)),
    },
    evaluatedAt: r.evaluated_at === null ? null : iso(r.evaluated_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** Validates a rule from a request: RULE_INVALID with every problem and its path. */
export function checkRule(input: unknown, where = 'rule'): Rule {
  const res = validateRule(input);
  if (!res.ok) {
    const list = res.errors.map((e) => `${e.path.replace(/^rule/, where)}: ${e.message}`);
    throw new SegmentError('RULE_INVALID', `${list.length} problem(s) in the rule: ${list.slice(0, 10).join('; ')}`, { errors: res.errors });
  }
  return res.rule;
}

/** The segment row, or SEGMENT_NOT_FOUND. */
export async function getRow(db: Kysely<SegmentsSqlDB>, ws: string, id: string): Promise<Selectable<SegmentsTable>> {
  const row = await db.selectFrom('segments').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!row) throw new SegmentError('SEGMENT_NOT_FOUND', `no segment "${id}" in this workspace`);
  return row;
}
