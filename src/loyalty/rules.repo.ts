/** The earning rules' SQL: versions of a rule, the versions in force, deactivation. */
import type { Selectable } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import type { LoyaltyRulesTable, RuleKind } from './earning.tables.js';
import type { Conn } from './ledger.repo.js';

/** A rule version, its definition parsed. */
export interface RuleVersion {
  id: string;
  version: number;
  kind: RuleKind;
  name: string;
  status: 'active' | 'inactive';
  definition: Record<string, unknown>;
  createdAt: number;
  deactivatedAt: number | null;
}

/** A stored row as a rule version. */
export function ruleFromRow(r: Selectable<LoyaltyRulesTable>): RuleVersion {
  return {
    id: r.id,
    version: Number(r.version),
    kind: r.kind,
    name: r.name,
    status: r.status,
    definition: parseJson(r.definition),
    createdAt: Number(r.created_at),
    deactivatedAt: r.deactivated_at === null ? null : Number(r.deactivated_at),
  };
}

/** Every version of a rule, newest first (empty when there is no such rule). */
export async function ruleVersions(db: Conn, ws: string, id: string): Promise<RuleVersion[]> {
  const rows = await db.selectFrom('loyalty_rules').selectAll().where('workspace_id', '=', ws).where('id', '=', id).orderBy('version', 'desc').execute();
  return rows.map(ruleFromRow);
}

/** Appends a version of a rule. */
export async function insertRuleVersion(db: Conn, ws: string, r: RuleVersion): Promise<void> {
  await db
    .insertInto('loyalty_rules')
    .values({
      workspace_id: ws,
      id: r.id,
      version: r.version,
      kind: r.kind,
      name: r.name,
      status: r.status,
      definition: JSON.stringify(r.definition),
      created_at: r.createdAt,
      deactivated_at: r.deactivatedAt,
    })
    .execute();
}

/** Marks every version of a rule inactive from `now`. */
export async function deactivateRuleRows(db: Conn, ws: string, id: string, now: number): Promise<void> {
  await db
    .updateTable('loyalty_rules')
    .set({ status: 'inactive', deactivated_at: now })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', '=', 'active')
    .execute();
}

/** The latest version of each rule, by id, a page after `afterId`. */
export async function latestRules(db: Conn, ws: string, limit: number, afterId?: string): Promise<RuleVersion[]> {
  let q = db
    .selectFrom('loyalty_rules as r')
    .selectAll()
    .where('r.workspace_id', '=', ws)
    .where('r.version', '=', (eb) =>
      eb
        .selectFrom('loyalty_rules as v')
        .select((e) => e.fn.max('v.version').as('m'))
        .whereRef('v.workspace_id', '=', 'r.workspace_id')
        .whereRef('v.id', '=', 'r.id'),
    );
  if (afterId !== undefined) q = q.where('r.id', '>', afterId);
  return (await q.orderBy('r.id').limit(limit).execute()).map(ruleFromRow);
}

/** Every version of the workspace's rules that are active (of the given kinds), oldest first: what the engine applies. */
export async function activeRuleVersions(db: Conn, ws: string, kinds: readonly RuleKind[]): Promise<RuleVersion[]> {
  const rows = await db
    .selectFrom('loyalty_rules')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('status', '=', 'active')
    .where('kind', 'in', [...kinds])
    .orderBy('id')
    .orderBy('version')
    .execute();
  return rows.map(ruleFromRow);
}

/** Workspaces that have an active rule of one of `kinds`. */
export async function workspacesWithRules(db: Conn, kinds: readonly RuleKind[]): Promise<string[]> {
  const rows = await db
    .selectFrom('loyalty_rules')
    .select('workspace_id')
    .distinct()
    .where('status', '=', 'active')
    .where('kind', 'in', [...kinds])
    .execute();
  return rows.map((r) => r.workspace_id);
}

/**
 * The version of a rule in force at time `t`: the latest version created at or before `t`
 * (versions are listed oldest first); undefined before its first version.
 */
export function versionAt(versions: readonly RuleVersion[], t: number): RuleVersion | undefined {
  let found: RuleVersion | undefined;
  for (const v of versions) if (v.createdAt <= t) found = v;
  return found;
}
