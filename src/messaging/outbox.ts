import type { Insertable, Kysely } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { MessagingError } from './errors.js';
import { newId } from '../platform/ids.js';
import { CHANNELS, type ChannelName, isChannel, type Purpose, validateContent } from './content.js';
import { type CallerDb, mdb } from './deps.js';
import { checkLiquid } from './render.js';
import type { MessagesTable, MessagingDB } from './schema.js';

/** Who asked for a message: a journey step, a broadcast, or the API. */
export interface MessageSource {
  kind: 'journey' | 'broadcast' | 'api';
  id?: string;
  step?: string;
}

/**
 * A message to send. Give a template (`templateId`, optionally pinned to `templateVersion`; the
 * current version is pinned at enqueue otherwise) or inline `content` in the channel's shape.
 */
export interface EnqueueInput {
  workspaceId: string;
  /** The recipient profile; omitted only for `wecom_group` messages (sent to `recipient.chatId`). */
  profileId?: string;
  channel: ChannelName;
  templateId?: string;
  templateVersion?: number;
  content?: Record<string, unknown>;
  purpose: Purpose;
  /** Unique per workspace: the same key always names the same message (journeys: state id + step + entry). */
  idempotencyKey: string;
  source: MessageSource;
  /** Extra values for the template (`{{ data.coupon_code }}`). */
  data?: Record<string, unknown>;
  /** The triggering event's properties (`{{ event.product_name }}`). */
  event?: Record<string, unknown>;
  /** Explicit recipient details: a WeCom group's `chatId`, a `sender` overriding the owner. */
  recipient?: { chatId?: string; sender?: string };
  /** Locale override; default the profile's `locale` trait, then the workspace default. */
  locale?: string;
  /** Not before this time (epoch ms); default now. Guardrails are applied when it comes due. */
  sendAt?: number;
  /** Now, from the caller's clock. */
  now: number;
}

/** The outcome of an enqueue: the message id, and whether this call created it (false: the key was used before). */
export interface EnqueueResult {
  id: string;
  created: boolean;
  status: string;
}

function check(input: EnqueueInput): void {
  const bad = (m: string): never => {
    throw new MessagingError('VALIDATION_FAILED', m);
  };
  if (!isChannel(input.channel)) bad(`channel must be one of ${CHANNELS.join(', ')}`);
  if (input.purpose !== 'marketing' && input.purpose !== 'service') bad('purpose must be "marketing" or "service"');
  if (typeof input.idempotencyKey !== 'string' || !input.idempotencyKey || input.idempotencyKey.length > 255)
    bad('idempotencyKey is required (1-255 characters)');
  if (!['journey', 'broadcast', 'api'].includes(input.source?.kind)) bad('source.kind must be journey, broadcast or api');
  if (input.channel === 'wecom_group') {
    if (!input.recipient?.chatId) bad('a wecom_group message needs recipient.chatId');
  } else if (!input.profileId) bad(`a ${input.channel} message needs profileId`);
  if ((input.templateId === undefined) === (input.content === undefined)) bad('give either templateId or content');
  if (input.content !== undefined) {
    validateContent(input.channel, input.content, 'content');
    checkLiquid(input.content, 'content');
  }
  for (const k of ['data', 'event'] as const) {
    const v = input[k];
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) bad(`${k} must be an object`);
  }
}

type TemplateHead = { channel: string; current_version: number; status: string };

/** The template version a message pins: the one asked for, else the current one of an active template. */
function pinVersion(input: EnqueueInput, t: TemplateHead | undefined): number {
  if (!t) throw new MessagingError('TEMPLATE_NOT_FOUND', `no template ${input.templateId} in this workspace`);
  if (t.channel !== input.channel)
    throw new MessagingError('VALIDATION_FAILED', `template ${input.templateId} is for channel ${t.channel}, not ${input.channel}`);
  if (input.templateVersion !== undefined) {
    if (!Number.isInteger(input.templateVersion) || input.templateVersion < 1 || input.templateVersion > t.current_version) {
      throw new MessagingError('TEMPLATE_NOT_FOUND', `template ${input.templateId} has no version ${input.templateVersion} (current: ${t.current_version})`);
    }
    return input.templateVersion;
  }
  if (t.status !== 'active') throw new MessagingError('VALIDATION_FAILED', `template ${input.templateId} is archived`);
  return t.current_version;
}

/**
 * The outbox row of a new message. A test send is marked in the row's `data` JSON (`test: true`)
 * rather than in a column of its own: adding a column means a migration, and migration names are
 * global and ordered while other modules add theirs in parallel; `data` is read with the row anyway.
 */
function rowOf(input: EnqueueInput, id: string, templateVersion: number | null, test = false): Insertable<MessagesTable> {
  return {
    workspace_id: input.workspaceId,
    id,
    idempotency_key: input.idempotencyKey,
    profile_id: input.profileId ?? null,
    channel: input.channel,
    purpose: input.purpose,
    status: 'queued',
    reason: null,
    template_id: input.templateId ?? null,
    template_version: templateVersion,
    content: input.content === undefined ? null : JSON.stringify(input.content),
    data: JSON.stringify({ data: input.data ?? {}, event: input.event ?? {}, ...(test ? { test: true } : {}) }),
    recipient: input.recipient ? JSON.stringify(input.recipient) : null,
    rendered: null,
    locale: input.locale ?? null,
    source_kind: input.source.kind,
    source_id: input.source.id ?? null,
    source_step: input.source.step ?? null,
    attempts: 0,
    next_attempt_at: input.sendAt ?? input.now,
    lease_until: null,
    provider_message_id: null,
    error_code: null,
    sent_at: null,
    delivered_at: null,
    opened_at: null,
    clicked_at: null,
    address_key: null,
    replied_at: null,
    created_at: input.now,
    updated_at: input.now,
  };
}

/**
 * Puts a message in the outbox inside the caller's transaction (journeys write it in the same
 * transaction that advances the step). Unique on (workspace, idempotencyKey): calling again with
 * the same key returns the first message and changes nothing. The dispatcher sends it when due.
 */
export async function enqueueMessage(trx: CallerDb, input: EnqueueInput): Promise<EnqueueResult> {
  return enqueue(trx, input, false);
}

/** A test send (test-sends.ts): like enqueueMessage, but the dispatcher sends it without applying the guardrails. */
export async function enqueueTestMessage(trx: CallerDb, input: EnqueueInput): Promise<EnqueueResult> {
  return enqueue(trx, input, true);
}

/** True for a row written by enqueueTestMessage. */
export function isTestMessage(row: { data: unknown }): boolean {
  return parseJson<{ test?: unknown }>(row.data).test === true;
}

async function enqueue(trx: CallerDb, input: EnqueueInput, test: boolean): Promise<EnqueueResult> {
  check(input);
  const db = mdb(trx);
  const ws = input.workspaceId;
  const existing = await db
    .selectFrom('messages')
    .select(['id', 'status'])
    .where('workspace_id', '=', ws)
    .where('idempotency_key', '=', input.idempotencyKey)
    .executeTakeFirst();
  if (existing) return { id: existing.id, created: false, status: existing.status };
  let templateVersion: number | null = null;
  if (input.templateId !== undefined) {
    const t = await db
      .selectFrom('message_templates')
      .select(['channel', 'current_version', 'status'])
      .where('workspace_id', '=', ws)
      .where('id', '=', input.templateId)
      .executeTakeFirst();
    templateVersion = pinVersion(input, t);
  }
  const id = newId('msg', input.now);
  const inserted = await db
    .insertInto('messages')
    .values(rowOf(input, id, templateVersion, test))
    .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
    // A concurrent enqueue with the same key won between our read and insert.
    const row = await db
      .selectFrom('messages')
      .select(['id', 'status'])
      .where('workspace_id', '=', ws)
      .where('idempotency_key', '=', input.idempotencyKey)
      .executeTakeFirstOrThrow();
    return { id: row.id, created: false, status: row.status };
  }
  return { id, created: true, status: 'queued' };
}

/**
 * Rows per multi-row insert. 500 rows x 33 columns = 16,500 bound parameters: under SQLite's
 * 32,766 and PostgreSQL's 65,535, and large enough that a fan-out pays ~3 statements per 500
 * messages instead of 2-3 per message.
 */
export const BULK_ENQUEUE_ROWS = 500;

/**
 * Puts many messages in the outbox inside the caller's transaction, with the same validation and
 * meaning as calling `enqueueMessage` for each input in order (a key used before, or earlier in
 * the list, returns that message with `created: false`; the template version is pinned), but
 * set-based: per 500 inputs one read of the keys already used, one read of the templates, and one
 * multi-row `INSERT ... ON CONFLICT DO NOTHING RETURNING id`. Results are in input order. An
 * invalid input throws (message prefixed `inputs[i]:`); the caller's transaction then writes nothing.
 */
export async function enqueueMessages(trx: CallerDb, inputs: readonly EnqueueInput[]): Promise<EnqueueResult[]> {
  if (!Array.isArray(inputs)) throw new MessagingError('VALIDATION_FAILED', 'inputs must be a list of messages');
  inputs.forEach((input, i) => atInput(i, () => check(input)));
  const db = mdb(trx);
  const results: EnqueueResult[] = new Array(inputs.length);
  // The same key twice in one call: later inputs name the first one's message, as sequential calls would.
  const firstOf = new Map<string, number>();
  const repeats: [number, number][] = [];
  const unique: number[] = [];
  inputs.forEach((input, i) => {
    const k = `${input.workspaceId}\u0000${input.idempotencyKey}`;
    const first = firstOf.get(k);
    if (first === undefined) {
      firstOf.set(k, i);
      unique.push(i);
    } else repeats.push([i, first]);
  });
  const templates: TemplateCache = new Map();
  for (let b = 0; b < unique.length; b += BULK_ENQUEUE_ROWS) await enqueuePart(db, inputs, unique.slice(b, b + BULK_ENQUEUE_ROWS), templates, results);
  for (const [i, first] of repeats) results[i] = { id: results[first]!.id, created: false, status: results[first]!.status };
  return results;
}

/** Runs `fn` for `inputs[i]`, prefixing an expected failure's message with `inputs[i]:`. */
function atInput<T>(i: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AppError) throw new AppError(err.code, `inputs[${i}]: ${err.message}`, err.details, err.status);
    throw err;
  }
}

/** Template heads read during one bulk enqueue, by `<workspace>\0<template id>` (undefined: no such template). */
type TemplateCache = Map<string, TemplateHead | undefined>;

/** Enqueues one part (at most BULK_ENQUEUE_ROWS inputs with distinct keys): a read of used keys and templates per workspace, one insert. */
async function enqueuePart(
  db: Kysely<MessagingDB>,
  inputs: readonly EnqueueInput[],
  part: number[],
  templates: TemplateCache,
  results: EnqueueResult[],
): Promise<void> {
  const byWorkspace = new Map<string, number[]>();
  for (const i of part) byWorkspace.set(inputs[i]!.workspaceId, [...(byWorkspace.get(inputs[i]!.workspaceId) ?? []), i]);
  const rows: Insertable<MessagesTable>[] = [];
  const pending = new Map<string, number>(); // generated message id -> input index
  for (const [ws, idx] of byWorkspace) {
    const fresh = await withoutUsedKeys(db, ws, inputs, idx, results);
    await readTemplates(
      db,
      ws,
      fresh.map((i) => inputs[i]!.templateId),
      templates,
    );
    for (const i of fresh) {
      const input = inputs[i]!;
      const version = input.templateId === undefined ? null : atInput(i, () => pinVersion(input, templates.get(`${ws}\u0000${input.templateId}`)));
      const id = newId('msg', input.now);
      rows.push(rowOf(input, id, version));
      pending.set(id, i);
    }
  }
  if (!rows.length) return;
  const inserted = await db
    .insertInto('messages')
    .values(rows)
    .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
    .returning('id')
    .execute();
  for (const r of inserted) {
    results[pending.get(r.id)!] = { id: r.id, created: true, status: 'queued' };
    pending.delete(r.id);
  }
  // Left over: a concurrent enqueue took the key between our read and insert.
  for (const i of pending.values()) {
    const input = inputs[i]!;
    const row = await db
      .selectFrom('messages')
      .select(['id', 'status'])
      .where('workspace_id', '=', input.workspaceId)
      .where('idempotency_key', '=', input.idempotencyKey)
      .executeTakeFirstOrThrow();
    results[i] = { id: row.id, created: false, status: row.status };
  }
}

/** The inputs (indexes) of a workspace whose keys are not used yet; the others get their message in `results`. */
async function withoutUsedKeys(
  db: Kysely<MessagingDB>,
  ws: string,
  inputs: readonly EnqueueInput[],
  idx: number[],
  results: EnqueueResult[],
): Promise<number[]> {
  const used = await db
    .selectFrom('messages')
    .select(['id', 'status', 'idempotency_key'])
    .where('workspace_id', '=', ws)
    .where(
      'idempotency_key',
      'in',
      idx.map((i) => inputs[i]!.idempotencyKey),
    )
    .execute();
  const usedBy = new Map(used.map((r) => [r.idempotency_key, r]));
  return idx.filter((i) => {
    const r = usedBy.get(inputs[i]!.idempotencyKey);
    if (r) results[i] = { id: r.id, created: false, status: r.status };
    return !r;
  });
}

/** Reads the heads of the templates named that are not in the cache yet. */
async function readTemplates(db: Kysely<MessagingDB>, ws: string, named: (string | undefined)[], templates: TemplateCache): Promise<void> {
  const missing = [...new Set(named.filter((t): t is string => t !== undefined && !templates.has(`${ws}\u0000${t}`)))];
  if (!missing.length) return;
  const found = await db
    .selectFrom('message_templates')
    .select(['id', 'channel', 'current_version', 'status'])
    .where('workspace_id', '=', ws)
    .where('id', 'in', missing)
    .execute();
  for (const t of missing)
    templates.set(
      `${ws}\u0000${t}`,
      found.find((f) => f.id === t),
    );
}

/** Which messages to cancel: every not-yet-sent message of one source (a broadcast, a journey). */
export interface CancelInput {
  workspaceId: string;
  source: { kind: MessageSource['kind']; id: string };
  /** Stored as the messages' `reason`; default `<kind>_cancelled` (e.g. `broadcast_cancelled`). */
  reason?: string;
  /** Now, from the caller's clock. */
  now: number;
}

/**
 * Cancels the messages of a source that have not gone to a provider yet (`queued`, `held`) inside
 * the caller's transaction: they become `cancelled` with the reason and are never sent. Messages
 * already `sending` (the provider call may be under way) or sent keep their course. Returns how
 * many were cancelled; cancelling again finds none.
 */
export async function cancelMessages(trx: CallerDb, input: CancelInput): Promise<{ cancelled: number }> {
  const kind = input.source?.kind;
  if (!['journey', 'broadcast', 'api'].includes(kind)) throw new MessagingError('VALIDATION_FAILED', 'source.kind must be journey, broadcast or api');
  if (typeof input.source.id !== 'string' || !input.source.id)
    throw new MessagingError('VALIDATION_FAILED', 'source.id is required: cancelling names one journey or broadcast');
  const reason = input.reason ?? `${kind}_cancelled`;
  if (typeof reason !== 'string' || !reason || reason.length > 200) throw new MessagingError('VALIDATION_FAILED', 'reason must be 1-200 characters');
  // On PostgreSQL a row a dispatcher is claiming stays locked until its claim commits; this update
  // then re-reads it as `sending` and leaves it alone (no cancel of a message already handed over).
  const res = await mdb(trx)
    .updateTable('messages')
    .set({ status: 'cancelled', reason, lease_until: null, updated_at: input.now })
    .where('workspace_id', '=', input.workspaceId)
    .where('source_kind', '=', kind)
    .where('source_id', '=', input.source.id)
    .where('status', 'in', ['queued', 'held'])
    .executeTakeFirst();
  return { cancelled: Number(res.numUpdatedRows) };
}
