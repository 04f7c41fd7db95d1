/** The earning rules' administration: a rule is created, gets new versions (the engine applies the one in force at an event's time), and is deactivated. */
import { newId } from '../platform/ids.js';
import { type Page, decodeCursor, encodeCursor } from '../platform/paging.js';
import type { RuleKind } from './earning.tables.js';
import { LoyaltyError } from './errors.js';
import type { Conn } from './ledger.repo.js';
import { deactivateRuleRows, insertRuleVersion, latestRules, type RuleVersion, ruleVersions } from './rules.repo.js';

/** A rule as the admin API takes it (its definition already validated against its kind's schema by the route). */
export interface RuleInput {
  name: string;
  kind: RuleKind;
  definition: Record<string, unknown>;
}

/** A rule version as the API answers it. */
export interface RuleView {
  id: string;
  version: number;
  kind: RuleKind;
  name: string;
  status: 'active' | 'inactive';
  definition: Record<string, unknown>;
  createdAt: string;
  deactivatedAt: string | null;
}

/** A rule version as the API shows it. */
export function ruleView(r: RuleVersion): RuleView {
  return {
    ...r,
    createdAt: new Date(r.createdAt).toISOString(),
    deactivatedAt: r.deactivatedAt === null ? null : new Date(r.deactivatedAt).toISOString(),
  };
}

/** Checks what the JSON schema cannot: campaign times readable and in order. */
function checkDefinition(input: RuleInput): void {
  const campaigns = (input.definition.campaigns ?? []) as { name: string; from: string; to: string }[];
  campaigns.forEach((c, i) => {
    const [from, to] = [Date.parse(c.from), Date.parse(c.to)];
    const field = `definition/campaigns/${i}`;
    if (Number.isNaN(from) || Number.isNaN(to) || !/(Z|[+-]\d\d:?\d\d)$/i.test(c.from) || !/(Z|[+-]\d\d:?\d\d)$/i.test(c.to)) {
      throw new LoyaltyError('EARNING_RULE_INVALID', `${field}: from and to must be ISO-8601 times with an offset or Z (e.g. 2026-11-11T00:00:00+08:00)`, {
        field,
      });
    }
    if (from >= to) throw new LoyaltyError('EARNING_RULE_INVALID', `${field} ("${c.name}"): from (${c.from}) must be before to (${c.to})`, { field });
  });
}

/** Creates a rule (version 1, active from now). */
export async function createRule(db: Conn, ws: string, input: RuleInput, now: number): Promise<RuleView> {
  checkDefinition(input);
  const r: RuleVersion = { id: newId('lrl', now), version: 1, ...input, status: 'active', createdAt: now, deactivatedAt: null };
  await insertRuleVersion(db, ws, r);
  return ruleView(r);
}

/**
 * Adds the next version of an active rule, in force from now: events before now keep the version
 * they were in force under; what a version awarded is never re-awarded (awards are keyed by rule
 * and subject, not version).
 */
export async function createRuleVersion(db: Conn, ws: string, id: string, input: RuleInput, now: number): Promise<RuleView> {
  checkDefinition(input);
  return db.transaction().execute(async (trx) => {
    const [latest] = await ruleVersions(trx, ws, id);
    if (!latest) throw new LoyaltyError('EARNING_RULE_NOT_FOUND', `no earning rule ${JSON.stringify(id)} in this workspace`);
    if (latest.status !== 'active') throw new LoyaltyError('EARNING_RULE_INVALID', `rule ${id} was deactivated; create a new rule instead`, { field: 'id' });
    if (latest.kind !== input.kind) {
      throw new LoyaltyError('EARNING_RULE_INVALID', `rule ${id} is of kind ${latest.kind}; a version keeps its rule's kind (got ${input.kind})`, {
        field: 'kind',
      });
    }
    // A version in force from the same millisecond as the previous one would hide it entirely.
    const r: RuleVersion = { id, version: latest.version + 1, ...input, status: 'active', createdAt: Math.max(now, latest.createdAt + 1), deactivatedAt: null };
    await insertRuleVersion(trx, ws, r);
    return ruleView(r);
  });
}

/** A rule's latest version with every version, newest first. */
export async function getRule(db: Conn, ws: string, id: string): Promise<{ rule: RuleView; versions: RuleView[] }> {
  const versions = await ruleVersions(db, ws, id);
  if (versions.length === 0) throw new LoyaltyError('EARNING_RULE_NOT_FOUND', `no earning rule ${JSON.stringify(id)} in this workspace`);
  return { rule: ruleView(versions[0]!), versions: versions.map(ruleView) };
}

/** Deactivates a rule: it awards nothing for events after now (what it awarded stays, holds are still released or clawed back). */
export async function deactivateRule(db: Conn, ws: string, id: string, now: number): Promise<{ rule: RuleView; versions: RuleView[] }> {
  await getRule(db, ws, id);
  await deactivateRuleRows(db, ws, id, now);
  return getRule(db, ws, id);
}

/** The workspace's rules at their latest version, paged by id. */
export async function listRules(db: Conn, ws: string, opts: { limit: number; cursor?: string }): Promise<Page<RuleView>> {
  const after = opts.cursor ? (decodeCursor(opts.cursor, ['s'])[0] as string) : undefined;
  const rows = await latestRules(db, ws, opts.limit + 1, after);
  const page = rows.slice(0, opts.limit);
  return { data: page.map(ruleView), nextCursor: rows.length > opts.limit ? encodeCursor([page[page.length - 1]!.id]) : null };
}
