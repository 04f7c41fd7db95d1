/** Coupon templates: the offer, its validity window, stacking and limits; created, listed, changed and archived by the admin API. */
import { withRetries } from '../platform/db/database.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { newId } from '../platform/ids.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';
import { findTemplate, type TemplateRow, templateFromRow } from './coupons.repo.js';
import type { CouponKind, TemplateStatus } from './coupons.tables.js';
import { type CouponStats, statsOfTemplates } from './coupons.stats.js';

/** A template as the API takes it (POST /v1/loyalty/coupon-templates). */
export interface TemplateBody {
  key?: string | null;
  name: string;
  description?: string | null;
  kind: CouponKind;
  amountFen?: number;
  percentOff?: number;
  capFen?: number | null;
  thresholdFen?: number;
  itemKey?: string;
  validity: { from?: string | null; until?: string | null; days?: number | null };
  stackable?: boolean;
  maxPerOrder?: number;
  perPersonLimit?: number | null;
  stock?: number | null;
  codePrefix?: string;
}

/** What PATCH may change: presentation, status and limits (the offer itself is fixed once coupons exist: make a new template). */
export interface TemplatePatch {
  name?: string;
  description?: string | null;
  status?: 'active' | 'paused';
  stock?: number | null;
  perPersonLimit?: number | null;
}

/** A template as the API answers it. */
export interface TemplateView {
  id: string;
  key: string | null;
  name: string;
  description: string | null;
  kind: CouponKind;
  amountFen: number | null;
  percentOff: number | null;
  capFen: number | null;
  thresholdFen: number;
  itemKey: string | null;
  validity: { from: string | null; until: string | null; days: number | null };
  stackable: boolean;
  maxPerOrder: number;
  perPersonLimit: number | null;
  stock: number | null;
  /** Coupons created so far (issued and generated); stock minus this is what is left. */
  created: number;
  codePrefix: string;
  status: TemplateStatus;
  createdAt: string;
  updatedAt: string;
  stats?: CouponStats;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A template row as the API shows it. */
export function templateView(t: TemplateRow, stats?: CouponStats): TemplateView {
  return {
    id: t.id,
    key: t.key,
    name: t.name,
    description: t.description,
    kind: t.kind,
    amountFen: t.amount_fen,
    percentOff: t.percent_off,
    capFen: t.cap_fen,
    thresholdFen: t.threshold_fen,
    itemKey: t.item_key,
    validity: { from: iso(t.valid_from), until: iso(t.valid_until), days: t.valid_days },
    stackable: t.stackable === 1,
    maxPerOrder: t.max_per_order,
    perPersonLimit: t.per_person_limit,
    stock: t.stock,
    created: t.created_count,
    codePrefix: t.code_prefix,
    status: t.status,
    createdAt: iso(t.created_at)!,
    updatedAt: iso(t.updated_at)!,
    ...(stats ? { stats } : {}),
  };
}

/** Parses an ISO-8601 time with an offset or Z into epoch ms; VALIDATION_FAILED naming the field otherwise. */
export function parseTime(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!/(Z|[+-]\d\d:?\d\d)$/i.test(value) || Number.isNaN(ms)) {
    throw new LoyaltyError('VALIDATION_FAILED', `${field} must be an ISO-8601 time with an offset or Z (e.g. 2027-01-31T16:00:00Z), got "${value}"`, { field });
  }
  return ms;
}

const invalid = (field: string, message: string) => new LoyaltyError('VALIDATION_FAILED', message, { field });

/** The offer's fields, checked against its kind: each kind takes exactly the fields it uses. */
function offerOf(b: TemplateBody) {
  const need = (field: keyof TemplateBody, ok: boolean, what: string) => {
    if (!ok) throw invalid(field, `a ${b.kind} coupon needs ${field} (${what})`);
  };
  const refuse = (fields: (keyof TemplateBody)[]) => {
    for (const f of fields) if (b[f] !== undefined && b[f] !== null) throw invalid(f, `${f} does not apply to a ${b.kind} coupon`);
  };
  const threshold = b.thresholdFen ?? 0;
  if (b.kind === 'fixed') {
    need('amountFen', b.amountFen !== undefined, 'fen taken off the order');
    refuse(['percentOff', 'capFen', 'itemKey']);
  } else if (b.kind === 'threshold') {
    need('amountFen', b.amountFen !== undefined, 'fen taken off the order');
    need('thresholdFen', threshold > 0, 'the order amount in fen from which it applies, e.g. 10000 for ¥100');
    if (b.amountFen! > threshold) throw invalid('amountFen', `amountFen (${b.amountFen}) must not exceed thresholdFen (${threshold})`);
    refuse(['percentOff', 'capFen', 'itemKey']);
  } else if (b.kind === 'percent') {
    need('percentOff', b.percentOff !== undefined, 'percent taken off, 1-99');
    refuse(['amountFen', 'itemKey']);
  } else {
    need('itemKey', b.itemKey !== undefined, 'the product_id or sku given free');
    refuse(['amountFen', 'percentOff', 'capFen']);
  }
  return {
    amount_fen: b.amountFen ?? null,
    percent_off: b.percentOff ?? null,
    cap_fen: b.capFen ?? null,
    threshold_fen: threshold,
    item_key: b.itemKey ?? null,
  };
}

/** The validity window: fixed dates, N days after issue, or both (the earlier end wins). */
function validityOf(v: TemplateBody['validity'], now: number) {
  const from = v.from == null ? null : parseTime(v.from, 'validity.from');
  const until = v.until == null ? null : parseTime(v.until, 'validity.until');
  const days = v.days ?? null;
  if (until === null && days === null) throw invalid('validity', 'validity needs until (a fixed end), days (N days after issue), or both');
  if (until !== null && from !== null && until <= from) throw invalid('validity.until', 'validity.until must be after validity.from');
  if (until !== null && until <= now) throw invalid('validity.until', `validity.until must be in the future, got ${v.until}`);
  return { valid_from: from, valid_until: until, valid_days: days };
}

/** Creates a template (201). */
export async function createTemplate(deps: LoyaltyDeps, ws: string, b: TemplateBody): Promise<TemplateView> {
  const now = deps.now();
  const db = deps.database.db;
  const row: TemplateRow = {
    workspace_id: ws,
    id: newId('cpt', now),
    key: b.key ?? null,
    name: b.name,
    description: b.description ?? null,
    kind: b.kind,
    ...offerOf(b),
    ...validityOf(b.validity, now),
    stackable: b.stackable ? 1 : 0,
    max_per_order: b.maxPerOrder ?? 1,
    per_person_limit: b.perPersonLimit ?? null,
    stock: b.stock ?? null,
    created_count: 0,
    code_prefix: b.codePrefix ?? '',
    status: 'active',
    created_at: now,
    updated_at: now,
  };
  // Retried: two creations with one key at once race on the unique index, and the retry answers COUPON_TEMPLATE_KEY_TAKEN.
  await withRetries(deps.database, () =>
    db.transaction().execute(async (trx) => {
      if (row.key !== null && (await findTemplate(trx, deps.database.dialect, ws, row.key))) {
        throw new LoyaltyError('COUPON_TEMPLATE_KEY_TAKEN', `template key "${row.key}" is used by another template of this workspace; choose another key`, {
          key: row.key,
        });
      }
      await trx.insertInto('coupon_templates').values(row).execute();
    }),
  );
  return templateView(row, emptyStats());
}

/** The template an id or key names, with its statistics; COUPON_TEMPLATE_NOT_FOUND otherwise. */
export async function getTemplate(deps: LoyaltyDeps, ws: string, ref: string): Promise<TemplateView> {
  const t = await requireTemplate(deps, ws, ref);
  const stats = await statsOfTemplates(deps, ws, [t.id]);
  return templateView(t, stats.get(t.id));
}

/** The template row an id or key names; COUPON_TEMPLATE_NOT_FOUND otherwise. */
export async function requireTemplate(deps: LoyaltyDeps, ws: string, ref: string): Promise<TemplateRow> {
  const t = await findTemplate(deps.database.db, deps.database.dialect, ws, ref);
  if (!t) throw notFound(ref);
  return t;
}

/** COUPON_TEMPLATE_NOT_FOUND for a reference. */
export function notFound(ref: string) {
  return new LoyaltyError('COUPON_TEMPLATE_NOT_FOUND', `no coupon template with id or key "${ref}" in this workspace`, { template: ref });
}

/** The workspace's templates, newest first, with their statistics; archived ones only when asked for by status. */
export async function listTemplates(
  deps: LoyaltyDeps,
  ws: string,
  q: { limit: number; cursor?: string; status?: TemplateStatus },
): Promise<Page<TemplateView>> {
  let sel = deps.database.db.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', ws);
  sel = q.status ? sel.where('status', '=', q.status) : sel.where('status', '!=', 'archived');
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = (
    await sel
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute()
  ).map(templateFromRow);
  const stats = await statsOfTemplates(
    deps,
    ws,
    rows.slice(0, q.limit).map((r) => r.id),
  );
  return pageOf(
    rows,
    q.limit,
    (r) => templateView(r, stats.get(r.id)),
    (r) => [r.id],
  );
}

/** Changes a template's name, description, status or limits; archived templates may be changed back to active or paused. */
export async function updateTemplate(deps: LoyaltyDeps, ws: string, ref: string, p: TemplatePatch | { status: 'archived' }): Promise<TemplateView> {
  const now = deps.now();
  const row = await deps.database.db.transaction().execute(async (trx) => {
    const t = await findTemplate(trx, deps.database.dialect, ws, ref, true);
    if (!t) throw notFound(ref);
    const patch = p as TemplatePatch;
    if (patch.stock != null && patch.stock < t.created_count) {
      throw invalid('stock', `stock must be at least the ${t.created_count} coupons already created from this template, got ${patch.stock}`);
    }
    const set = {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(p.status !== undefined ? { status: p.status } : {}),
      ...(patch.stock !== undefined ? { stock: patch.stock } : {}),
      ...(patch.perPersonLimit !== undefined ? { per_person_limit: patch.perPersonLimit } : {}),
      updated_at: now,
    };
    await trx.updateTable('coupon_templates').set(set).where('workspace_id', '=', ws).where('id', '=', t.id).execute();
    return { ...t, ...set };
  });
  const stats = await statsOfTemplates(deps, ws, [row.id]);
  return templateView(row, stats.get(row.id));
}

/** The statistics of a template without coupons. */
export function emptyStats(): CouponStats {
  return { created: 0, unassigned: 0, issued: 0, claimed: 0, redeemed: 0, reversed: 0, redemptionRate: 0, discountFen: 0, revenueFen: 0, ordersNotSeen: 0 };
}
