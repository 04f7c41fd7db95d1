import type { Selectable } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { MessagingError } from './errors.js';
import { newId } from '../platform/ids.js';
import { findUnstorableText, unstorableText } from '../platform/text.js';
import { CHANNELS, type ChannelName, isChannel, pickLocale, type Purpose, validateContent } from './content.js';
import { type CallerDb, type DbScope, mdb, type MessagingDeps } from './deps.js';
import { linkBaseUrlWarning, linkUses, liquidProblems, throwIfProblems } from './render.js';
import { loadSettings } from './settings.js';
import { decodeCursor, encodeCursor, type Page } from '../platform/paging.js';
import type { MessageTemplatesTable } from './schema.js';

/** A template as the API shows it, with its current version's content. */
export interface TemplateView {
  id: string;
  name: string;
  channel: ChannelName;
  purpose: Purpose;
  status: 'active' | 'archived';
  version: number;
  defaultLocale: string;
  variants: Record<string, Record<string, unknown>>;
  createdAt: string;
  updatedAt: string;
}

/** One version of a template. */
export interface TemplateVersion {
  version: number;
  defaultLocale: string;
  variants: Record<string, Record<string, unknown>>;
  createdAt: string;
}

/** Something the client should know about a template it saved or previewed, though it was accepted. */
export interface TemplateWarning {
  code: 'LINK_BASE_URL_MISSING';
  message: string;
}

/** The warnings of a template's variants: tracked or unsubscribe links while the workspace has no linkBaseUrl. */
export async function templateWarnings(deps: DbScope, ws: string, variants: Record<string, unknown>, where = 'variants'): Promise<TemplateWarning[]> {
  if ((await loadSettings(deps, ws)).linkBaseUrl) return [];
  const uses = Object.entries(variants).flatMap(([locale, content]) => linkUses(content, `${where}.${locale}`));
  return uses.length ? [linkBaseUrlWarning(uses)] : [];
}

/** Body of create and update. */
export interface TemplateInput {
  name?: string;
  channel?: string;
  purpose?: Purpose;
  defaultLocale?: string;
  variants?: Record<string, unknown>;
}

const LOCALE_RE = /^[a-z]{2}(-[A-Z][A-Za-z]{1,3})?$/;
const iso = (ms: number) => new Date(ms).toISOString();

/** Validates the locale variants of a channel: shape, then Liquid syntax (TEMPLATE_INVALID with line and column). */
function checkVariants(channel: ChannelName, variants: unknown, defaultLocale: string): Record<string, Record<string, unknown>> {
  if (!variants || typeof variants !== 'object' || Array.isArray(variants) || Object.keys(variants).length === 0) {
    throw new MessagingError('TEMPLATE_INVALID', 'variants must be an object of locale -> content, e.g. { "zh-CN": {...}, "en": {...} }');
  }
  // Text PostgreSQL cannot store (it answered 500 there, SQLite stored it): refused on both.
  const bad = findUnstorableText(variants, 'variants');
  if (bad) throw new MessagingError('TEMPLATE_INVALID', `${bad.path} ${bad.message}`, { problems: [bad] });
  for (const [locale, content] of Object.entries(variants)) {
    if (!LOCALE_RE.test(locale)) throw new MessagingError('TEMPLATE_INVALID', `variants.${locale}: not a locale tag; use e.g. zh-CN or en`);
    validateContent(channel, content, `variants.${locale}`);
  }
  throwIfProblems(Object.entries(variants).flatMap(([locale, content]) => liquidProblems(content, `variants.${locale}`)));
  if ((variants as Record<string, unknown>)[defaultLocale] === undefined) {
    throw new MessagingError('TEMPLATE_INVALID', `defaultLocale "${defaultLocale}" has no variant; variants: ${Object.keys(variants).join(', ')}`);
  }
  return variants as Record<string, Record<string, unknown>>;
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim() || name.length > 200)
    throw new MessagingError('VALIDATION_FAILED', 'name must be a non-empty string of at most 200 characters');
  const bad = unstorableText(name);
  if (bad) throw new MessagingError('VALIDATION_FAILED', `name ${bad}`);
  return name.trim();
}

function checkPurpose(p: unknown): Purpose {
  if (p !== 'marketing' && p !== 'service') throw new MessagingError('VALIDATION_FAILED', `purpose must be "marketing" or "service", not ${JSON.stringify(p)}`);
  return p;
}

/** A saved template with its versions and what the client should know (`warnings`, empty when none). */
export type SavedTemplate = TemplateView & { versions: TemplateVersion[]; warnings: TemplateWarning[] };

/** Creates a template at version 1. */
export async function createTemplate(deps: MessagingDeps, ws: string, input: TemplateInput): Promise<SavedTemplate> {
  const name = checkName(input.name);
  if (!isChannel(input.channel)) throw new MessagingError('VALIDATION_FAILED', `channel must be one of ${CHANNELS.join(', ')}`);
  const channel = input.channel;
  const purpose = checkPurpose(input.purpose ?? 'marketing');
  const defaultLocale = input.defaultLocale ?? 'zh-CN';
  const variants = checkVariants(channel, input.variants, defaultLocale);
  const now = deps.now();
  const id = newId('tpl', now);
  const db = mdb(deps.database.db);
  await db.transaction().execute(async (trx) => {
    const dup = await trx.selectFrom('message_templates').select('id').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
    if (dup) throw new MessagingError('CONFLICT', `a template named "${name}" exists (${dup.id})`);
    await trx
      .insertInto('message_templates')
      .values({ workspace_id: ws, id, name, channel, purpose, current_version: 1, status: 'active', created_at: now, updated_at: now })
      .execute();
    await trx
      .insertInto('message_template_versions')
      .values({ workspace_id: ws, template_id: id, version: 1, default_locale: defaultLocale, variants: JSON.stringify(variants), created_at: now })
      .execute();
  });
  return saved(deps, ws, id);
}

async function saved(deps: DbScope, ws: string, id: string): Promise<SavedTemplate> {
  const t = await getTemplate(deps, ws, id);
  return { ...t, warnings: await templateWarnings(deps, ws, t.variants) };
}

/** Edits a template: content changes make a new version (older versions stay for messages that pinned them). */
export async function updateTemplate(deps: MessagingDeps, ws: string, id: string, input: TemplateInput): Promise<SavedTemplate> {
  if (input.channel !== undefined) throw new MessagingError('VALIDATION_FAILED', 'channel cannot change; create a new template');
  const db = mdb(deps.database.db);
  const now = deps.now();
  await db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('message_templates').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!t) throw new MessagingError('TEMPLATE_NOT_FOUND', `no template ${id} in this workspace`);
    const patch: Partial<Selectable<MessageTemplatesTable>> = { updated_at: now };
    if (input.name !== undefined) {
      patch.name = checkName(input.name);
      const dup = await trx
        .selectFrom('message_templates')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('name', '=', patch.name)
        .where('id', '!=', id)
        .executeTakeFirst();
      if (dup) throw new MessagingError('CONFLICT', `a template named "${patch.name}" exists (${dup.id})`);
    }
    if (input.purpose !== undefined) patch.purpose = checkPurpose(input.purpose);
    if (input.variants !== undefined || input.defaultLocale !== undefined) {
      const cur = await trx
        .selectFrom('message_template_versions')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('template_id', '=', id)
        .where('version', '=', t.current_version)
        .executeTakeFirstOrThrow();
      const defaultLocale = input.defaultLocale ?? cur.default_locale;
      const variants = checkVariants(t.channel as ChannelName, input.variants ?? parseJson(cur.variants), defaultLocale);
      const version = t.current_version + 1;
      await trx
        .insertInto('message_template_versions')
        .values({ workspace_id: ws, template_id: id, version, default_locale: defaultLocale, variants: JSON.stringify(variants), created_at: now })
        .execute();
      patch.current_version = version;
    }
    await trx.updateTable('message_templates').set(patch).where('workspace_id', '=', ws).where('id', '=', id).execute();
  });
  return saved(deps, ws, id);
}

/** Archives a template: it can no longer be used for new messages; queued ones still send. */
export async function archiveTemplate(deps: MessagingDeps, ws: string, id: string): Promise<void> {
  const res = await mdb(deps.database.db)
    .updateTable('message_templates')
    .set({ status: 'archived', updated_at: deps.now() })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new MessagingError('TEMPLATE_NOT_FOUND', `no template ${id} in this workspace`);
}

/** Loads one version (the current one by default) of a template with its channel. */
export async function loadTemplateVersion(deps: DbScope, ws: string, id: string, version?: number): Promise<{ template: TemplateView; v: TemplateVersion }> {
  const db = mdb(deps.database.db);
  const t = await db.selectFrom('message_templates').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!t) throw new MessagingError('TEMPLATE_NOT_FOUND', `no template ${id} in this workspace`);
  const want = version ?? t.current_version;
  const v = await db
    .selectFrom('message_template_versions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('template_id', '=', id)
    .where('version', '=', want)
    .executeTakeFirst();
  if (!v) throw new MessagingError('TEMPLATE_NOT_FOUND', `template ${id} has no version ${want} (current: ${t.current_version})`);
  const ver: TemplateVersion = { version: v.version, defaultLocale: v.default_locale, variants: parseJson(v.variants), createdAt: iso(v.created_at) };
  return { template: toView(t, ver), v: ver };
}

function toView(t: Selectable<MessageTemplatesTable>, v: TemplateVersion): TemplateView {
  return {
    id: t.id,
    name: t.name,
    channel: t.channel as ChannelName,
    purpose: t.purpose,
    status: t.status,
    version: t.current_version,
    defaultLocale: v.defaultLocale,
    variants: v.variants,
    createdAt: iso(t.created_at),
    updatedAt: iso(t.updated_at),
  };
}

/** A template with its current content and the list of its versions. */
export async function getTemplate(deps: DbScope, ws: string, id: string): Promise<TemplateView & { versions: TemplateVersion[] }> {
  const { template } = await loadTemplateVersion(deps, ws, id);
  const rows = await mdb(deps.database.db)
    .selectFrom('message_template_versions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('template_id', '=', id)
    .orderBy('version', 'desc')
    .execute();
  return {
    ...template,
    versions: rows.map((v) => ({ version: v.version, defaultLocale: v.default_locale, variants: parseJson(v.variants), createdAt: iso(v.created_at) })),
  };
}

/** Templates (current versions) by name, optionally of one channel or status, a page at a time (at most 1,000 a page). */
export async function listTemplatesPage(
  deps: Pick<MessagingDeps, 'database'>,
  ws: string,
  q: { channel?: string; status?: string; limit?: number; cursor?: string },
): Promise<Page<TemplateView>> {
  const limit = Math.min(q.limit ?? 1000, 1000);
  const db = mdb(deps.database.db);
  let sel = db
    .selectFrom('message_templates as t')
    .innerJoin('message_template_versions as v', (j) =>
      j.onRef('v.workspace_id', '=', 't.workspace_id').onRef('v.template_id', '=', 't.id').onRef('v.version', '=', 't.current_version'),
    )
    .selectAll('t')
    .select(['v.default_locale', 'v.variants', 'v.created_at as v_created_at'])
    .where('t.workspace_id', '=', ws);
  if (q.channel) sel = sel.where('t.channel', '=', q.channel);
  if (q.status && q.status !== 'all') sel = sel.where('t.status', '=', q.status as 'active');
  // Names are unique in a workspace: the name alone is the keyset.
  if (q.cursor) sel = sel.where('t.name', '>', (decodeCursor(q.cursor, ['s']) as [string])[0]);
  const rows = await sel
    .orderBy('t.name')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  return {
    data: page.map((r) =>
      toView(r, { version: r.current_version, defaultLocale: r.default_locale, variants: parseJson(r.variants), createdAt: iso(r.v_created_at) }),
    ),
    nextCursor: rows.length > limit ? encodeCursor([page[page.length - 1]!.name]) : null,
  };
}

/** Lists templates (current versions), optionally of one channel (the first 1,000 by name). */
export async function listTemplates(deps: Pick<MessagingDeps, 'database'>, ws: string, q: { channel?: string; status?: string }): Promise<TemplateView[]> {
  return (await listTemplatesPage(deps, ws, q)).data;
}

/** The content variant for a locale (with fallback) of a template version. */
export function variantFor(v: TemplateVersion, locale: string | undefined): { locale: string; content: Record<string, unknown> } {
  const chosen = pickLocale(v.variants, locale, v.defaultLocale);
  return { locale: chosen, content: v.variants[chosen]! };
}

/** The ids among `ids` of templates in the workspace (active or archived): for checking the templates a definition names. */
export async function existingTemplateIds(db: CallerDb, ws: string, ids: readonly string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await mdb(db)
    .selectFrom('message_templates')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', 'in', [...ids])
    .execute();
  return new Set(rows.map((r) => r.id));
}
