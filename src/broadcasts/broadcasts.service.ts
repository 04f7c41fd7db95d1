/**
 * Broadcast management: create and edit drafts, schedule, send now, cancel, test sends. The
 * fan-out itself is the worker's (fanout.ts); every message goes through the messaging outbox,
 * which applies consent, frequency caps and quiet hours when it dispatches.
 */
import {
  type CallerDb,
  CHANNELS,
  cancelMessages,
  enqueueMessage,
  getTemplate,
  isChannel,
  type ChannelName,
  type EnqueueInput,
  type Purpose,
  type TestSendResult,
} from '../messaging/index.js';
import { newId } from '../platform/ids.js';
import { SegmentError, segmentStatus } from '../segments/index.js';
import { BROADCAST_CHANNELS, MAX_HOLDOUT_PERCENT, MAX_TEST_PROFILES } from './broadcasts.schemas.js';
import { bdb, type BroadcastRow, type BroadcastView, getRow, toView } from './broadcasts.repo.js';
import type { BroadcastsDeps } from './deps.js';
import { BroadcastError } from './errors.js';
import type { BroadcastStatus } from './schema.js';

/** What the broadcast services need: the module's deps but the log and the keys. */
export type BroadcastDeps = Pick<BroadcastsDeps, 'database' | 'now' | 'hub' | 'resolveProfile' | 'queueTestSends'>;

/** The fields of a broadcast a client sets; on update, only those given change. */
export interface BroadcastInput {
  name?: string;
  description?: string;
  channel?: string;
  purpose?: Purpose;
  templateId?: string | null;
  templateVersion?: number | null;
  content?: Record<string, unknown> | null;
  data?: Record<string, unknown>;
  segmentId?: string;
  excludeSegmentId?: string | null;
  holdoutPercent?: number;
  goalEvent?: string | null;
  goalDays?: number;
  /** ISO-8601 with an offset or Z, e.g. 2026-11-11T20:00:00+08:00. */
  sendAt?: string | null;
}

/** How far ahead a broadcast may be scheduled. */
const MAX_AHEAD_MS = 366 * 86_400_000;
/** A send time this far in the past is refused (clock skew between client and server is tolerated). */
const PAST_TOLERANCE_MS = 60_000;

// The route schemas list the broadcast channels without importing messaging (the console derives
// its types from them): this fails the build when messaging's channels and that list part.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const channelsAgree: Same<(typeof BROADCAST_CHANNELS)[number], Exclude<ChannelName, 'wecom_group'>> = true;
void channelsAgree;

const bad = (m: string): never => {
  throw new BroadcastError('VALIDATION_FAILED', m);
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses an ISO-8601 time that names its offset; local times without one are ambiguous and refused. */
export function parseSendAt(v: unknown, where = 'sendAt'): number {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
    bad(`${where} must be an ISO-8601 time with an offset or Z (e.g. "2026-11-11T20:00:00+08:00"), got ${JSON.stringify(v)}`);
  }
  const ms = Date.parse(v as string);
  if (!Number.isFinite(ms)) bad(`${where} "${v}" is not a valid time`);
  return ms;
}

/** A broadcast's editable fields as the service checks them (the view's, with a typed channel and millis). */
type Draft = Pick<
  BroadcastView,
  | 'name'
  | 'description'
  | 'templateId'
  | 'templateVersion'
  | 'content'
  | 'data'
  | 'segmentId'
  | 'excludeSegmentId'
  | 'holdoutPercent'
  | 'goalEvent'
  | 'goalDays'
> & {
  channel: ChannelName;
  purpose: Purpose | undefined;
  sendAt: number | null;
};

function fromRow(r: BroadcastRow): Draft {
  const v = toView(r);
  return { ...v, channel: v.channel as ChannelName, sendAt: r.send_at };
}

/** Applies the input over a draft and checks every field's shape (not yet the database references). */
function apply(base: Partial<Draft>, input: BroadcastInput): Draft {
  const d = { ...base } as Draft;
  if (input.name !== undefined) d.name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!d.name || d.name.length > 200) bad('name must be 1 to 200 characters');
  if (input.description !== undefined) d.description = String(input.description).trim();
  d.description ??= '';
  if (d.description.length > 2000) bad('description must be at most 2000 characters');
  if (input.channel !== undefined) d.channel = input.channel as ChannelName;
  if (!isChannel(d.channel)) bad(`channel must be one of ${CHANNELS.filter((c) => c !== 'wecom_group').join(', ')}`);
  if (d.channel === 'wecom_group')
    bad('a broadcast sends one message per profile; wecom_group messages go to a group chat (use the SCRM group mass-message instead)');
  if (input.purpose !== undefined) {
    if (input.purpose !== 'marketing' && input.purpose !== 'service') bad('purpose must be "marketing" or "service"');
    d.purpose = input.purpose;
  }
  // Template and inline content replace each other: giving one clears the other.
  if (input.templateId !== undefined || input.content !== undefined) {
    d.templateId = input.templateId ?? null;
    d.content = input.content ?? null;
    d.templateVersion = input.templateVersion ?? null;
  } else if (input.templateVersion !== undefined) d.templateVersion = input.templateVersion;
  d.templateId ??= null;
  d.content ??= null;
  d.templateVersion ??= null;
  if ((d.templateId === null) === (d.content === null)) bad('give either templateId (optionally templateVersion) or inline content, not both');
  if (d.content !== null && !isObj(d.content)) bad("content must be an object in the channel's shape");
  if (d.templateId === null && d.templateVersion !== null) bad('templateVersion needs templateId');
  if (d.templateVersion !== null && (!Number.isInteger(d.templateVersion) || d.templateVersion < 1)) bad('templateVersion must be a positive integer');
  if (input.data !== undefined) d.data = input.data;
  d.data ??= {};
  if (!isObj(d.data)) bad('data must be an object');
  if (input.segmentId !== undefined) d.segmentId = input.segmentId;
  if (typeof d.segmentId !== 'string' || !d.segmentId) bad('segmentId is required: the audience segment');
  if (input.excludeSegmentId !== undefined) d.excludeSegmentId = input.excludeSegmentId || null;
  d.excludeSegmentId ??= null;
  if (d.excludeSegmentId === d.segmentId) bad('excludeSegmentId must differ from segmentId (excluding the audience from itself leaves nobody)');
  if (input.holdoutPercent !== undefined) d.holdoutPercent = input.holdoutPercent;
  d.holdoutPercent ??= 0;
  if (!Number.isInteger(d.holdoutPercent) || d.holdoutPercent < 0 || d.holdoutPercent > MAX_HOLDOUT_PERCENT)
    bad(`holdoutPercent must be an integer from 0 to ${MAX_HOLDOUT_PERCENT}`);
  if (input.goalEvent !== undefined) d.goalEvent = input.goalEvent === null ? null : String(input.goalEvent).trim() || null;
  d.goalEvent ??= null;
  if (d.goalEvent !== null && d.goalEvent.length > 200) bad('goalEvent must be at most 200 characters');
  if (input.goalDays !== undefined) d.goalDays = input.goalDays;
  d.goalDays ??= 7;
  if (!Number.isInteger(d.goalDays) || d.goalDays < 1 || d.goalDays > 90) bad('goalDays must be an integer from 1 to 90');
  if (input.sendAt !== undefined) d.sendAt = input.sendAt === null ? null : parseSendAt(input.sendAt);
  d.sendAt ??= null;
  return d;
}

class DryRun extends Error {}

/**
 * Checks what only the database can tell: the segments exist and are active, and the message is
 * one the outbox accepts. The latter is a real enqueue in a transaction that is then rolled back,
 * so a broadcast is judged by exactly the rules its sends will meet (template exists, is for this
 * channel, has the pinned version, is not archived; inline content has the channel's shape and
 * valid Liquid) and those rules live in one place, the messaging domain.
 */
async function checkReferences(deps: BroadcastDeps, ws: string, d: Draft): Promise<Purpose> {
  for (const [field, id] of [
    ['segmentId', d.segmentId],
    ['excludeSegmentId', d.excludeSegmentId],
  ] as const) {
    if (id === null) continue;
    const status = await segmentStatus(deps.database.db, ws, id);
    if (!status) throw new SegmentError('SEGMENT_NOT_FOUND', `${field}: no segment "${id}" in this workspace`);
    if (status !== 'active') throw new BroadcastError('VALIDATION_FAILED', `${field}: segment "${id}" is archived`);
  }
  let purpose = d.purpose;
  if (d.templateId !== null && purpose === undefined) purpose = (await getTemplate(deps, ws, d.templateId)).purpose;
  purpose ??= 'marketing';
  const input: EnqueueInput = {
    workspaceId: ws,
    profileId: 'prf_dry_run',
    channel: d.channel,
    purpose,
    idempotencyKey: `broadcast-dry-run:${newId('x')}`,
    source: { kind: 'broadcast' },
    data: d.data,
    now: deps.now(),
    ...(d.templateId !== null
      ? { templateId: d.templateId, ...(d.templateVersion !== null ? { templateVersion: d.templateVersion } : {}) }
      : { content: d.content! }),
  };
  await deps.database.db
    .transaction()
    .execute(async (trx) => {
      await enqueueMessage(trx, input);
      throw new DryRun();
    })
    .catch((err) => {
      if (!(err instanceof DryRun)) throw err;
    });
  return purpose;
}

function columns(d: Draft, purpose: Purpose) {
  return {
    name: d.name,
    description: d.description,
    channel: d.channel,
    purpose,
    template_id: d.templateId,
    template_version: d.templateVersion,
    content: d.content === null ? null : JSON.stringify(d.content),
    data: JSON.stringify(d.data),
    segment_id: d.segmentId,
    exclude_segment_id: d.excludeSegmentId,
    holdout_percent: d.holdoutPercent,
    goal_event: d.goalEvent,
    goal_days: d.goalDays,
    send_at: d.sendAt,
  };
}

/** Creates a draft broadcast (nothing is sent until it is scheduled or sent now). */
export async function createBroadcast(deps: BroadcastDeps, ws: string, input: BroadcastInput): Promise<BroadcastView> {
  for (const k of ['name', 'channel', 'segmentId'] as const) if (input[k] === undefined) bad(`${k} is required`);
  const d = apply({}, input);
  const purpose = await checkReferences(deps, ws, d);
  const now = deps.now();
  const id = newId('bc', now);
  await bdb(deps.database.db)
    .insertInto('broadcasts')
    .values({
      workspace_id: ws,
      id,
      ...columns(d, purpose),
      status: 'draft',
      total: null,
      enqueued: 0,
      holdout_count: 0,
      excluded_count: 0,
      cursor: null,
      error: null,
      started_at: null,
      finished_at: null,
      cancelled_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return toView(await getRow(deps.database.db, ws, id));
}

/** Moves a broadcast from one of `from` to `set.status`; BROADCAST_INVALID_STATE if it is in another state by then. */
async function transition(db: CallerDb, ws: string, id: string, from: BroadcastStatus[], set: Record<string, unknown>, action: string): Promise<void> {
  const res = await bdb(db)
    .updateTable('broadcasts')
    .set(set)
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const row = await getRow(db, ws, id);
    throw new BroadcastError('BROADCAST_INVALID_STATE', `cannot ${action} broadcast "${id}": it is ${row.status} (allowed from: ${from.join(', ')})`);
  }
}

/** Edits a draft or a scheduled broadcast (a scheduled one stays scheduled, at its possibly new time). */
export async function updateBroadcast(deps: BroadcastDeps, ws: string, id: string, input: BroadcastInput): Promise<BroadcastView> {
  const row = await getRow(deps.database.db, ws, id);
  if (row.status !== 'draft' && row.status !== 'scheduled')
    throw new BroadcastError('BROADCAST_INVALID_STATE', `cannot edit broadcast "${id}": it is ${row.status}; only drafts and scheduled broadcasts change`);
  const d = apply(fromRow(row), input);
  if (row.status === 'scheduled') checkSendTime(deps, d.sendAt);
  const purpose = await checkReferences(deps, ws, d);
  await transition(deps.database.db, ws, id, ['draft', 'scheduled'], { ...columns(d, purpose), updated_at: deps.now() }, 'edit');
  deps.hub.emit('broadcasts.due', { workspaceId: ws });
  return toView(await getRow(deps.database.db, ws, id));
}

/** Deletes a draft (a broadcast that ever sent keeps its record; cancel it instead). */
export async function deleteBroadcast(deps: BroadcastDeps, ws: string, id: string): Promise<void> {
  const res = await bdb(deps.database.db)
    .deleteFrom('broadcasts')
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', '=', 'draft')
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) {
    const row = await getRow(deps.database.db, ws, id);
    throw new BroadcastError(
      'BROADCAST_INVALID_STATE',
      `cannot delete broadcast "${id}": it is ${row.status}; only drafts are deleted (cancel a scheduled one)`,
    );
  }
}

function checkSendTime(deps: BroadcastDeps, at: number | null): asserts at is number {
  const now = deps.now();
  if (at === null) bad('sendAt is required to schedule (or use send-now)');
  if (at! < now - PAST_TOLERANCE_MS)
    bad(`sendAt ${new Date(at!).toISOString()} is in the past (now is ${new Date(now).toISOString()}); use send-now to send at once`);
  if (at! > now + MAX_AHEAD_MS) bad('sendAt must be within a year from now');
}

/** Scheduling again (or sending now) ends the back-off of a scheduled broadcast whose start failed: the operator asked for it. */
const RETRY_CLEARED = { failures: 0, retry_at: null, error: null } as const;

/** Schedules a draft (or moves a scheduled broadcast) to `sendAt`, or to its stored send time. */
export async function scheduleBroadcast(deps: BroadcastDeps, ws: string, id: string, sendAtIso?: string): Promise<BroadcastView> {
  const row = await getRow(deps.database.db, ws, id);
  const at = sendAtIso !== undefined ? parseSendAt(sendAtIso) : row.send_at;
  checkSendTime(deps, at);
  // The template, segments and content are checked again: they may have changed since the draft.
  const d = fromRow(row);
  await checkReferences(deps, ws, { ...d, purpose: row.purpose });
  await transition(
    deps.database.db,
    ws,
    id,
    ['draft', 'scheduled'],
    { status: 'scheduled', send_at: at, ...RETRY_CLEARED, updated_at: deps.now() },
    'schedule',
  );
  deps.hub.emit('broadcasts.due', { workspaceId: ws });
  return toView(await getRow(deps.database.db, ws, id));
}

/** Schedules a draft or scheduled broadcast for now; the worker starts it on its next pass. */
export async function sendNow(deps: BroadcastDeps, ws: string, id: string): Promise<BroadcastView> {
  const row = await getRow(deps.database.db, ws, id);
  await checkReferences(deps, ws, { ...fromRow(row), purpose: row.purpose });
  const now = deps.now();
  await transition(deps.database.db, ws, id, ['draft', 'scheduled'], { status: 'scheduled', send_at: now, ...RETRY_CLEARED, updated_at: now }, 'send');
  deps.hub.emit('broadcasts.due', { workspaceId: ws });
  return toView(await getRow(deps.database.db, ws, id));
}

/**
 * Cancels a draft, scheduled or sending broadcast. A sending one stops at the next chunk, and its
 * messages not yet handed to a provider (queued, held for quiet hours) are cancelled in the same
 * transaction; those already sending or sent keep their course.
 */
export async function cancelBroadcast(deps: BroadcastDeps, ws: string, id: string): Promise<BroadcastView> {
  const now = deps.now();
  await deps.database.db.transaction().execute(async (trx) => {
    await transition(trx, ws, id, ['draft', 'scheduled', 'sending'], { status: 'cancelled', cancelled_at: now, updated_at: now }, 'cancel');
    await cancelMessages(trx, { workspaceId: ws, source: { kind: 'broadcast', id }, reason: 'broadcast_cancelled', now });
  });
  return toView(await getRow(deps.database.db, ws, id));
}

/** Gets one broadcast. */
export async function getBroadcast(deps: BroadcastDeps, ws: string, id: string): Promise<BroadcastView> {
  return toView(await getRow(deps.database.db, ws, id));
}

/** Lists broadcasts, newest first, optionally of one status; `cursor` is the last id of the previous page. */
export async function listBroadcasts(
  deps: BroadcastDeps,
  ws: string,
  q: { limit: number; cursor?: string; status?: BroadcastStatus },
): Promise<{ data: BroadcastView[]; nextCursor: string | null }> {
  let query = bdb(deps.database.db).selectFrom('broadcasts').selectAll().where('workspace_id', '=', ws);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.cursor) query = query.where('id', '<', q.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  return { data: page.map(toView), nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null };
}

/**
 * Sends the broadcast's message to a few given profiles now (any status), through messaging's
 * test sends: they go out at once, the guardrails a real send would meet are reported per
 * recipient (not applied), and a recipient without an address for the channel is refused (400
 * RECIPIENT_NO_ADDRESS). Test messages carry `source.step = "test"`, so they never count in the
 * broadcast's statistics, and a fresh key per call, so each call sends again.
 */
export async function testSend(deps: BroadcastDeps, ws: string, id: string, refs: string[]): Promise<{ testId: string; messages: TestSendResult[] }> {
  if (!Array.isArray(refs) || refs.length === 0 || refs.length > MAX_TEST_PROFILES)
    bad(`profiles must list 1 to ${MAX_TEST_PROFILES} profile ids or identifiers (type:value)`);
  const row = await getRow(deps.database.db, ws, id);
  const profileIds = [...new Set(await Promise.all(refs.map((r) => deps.resolveProfile(ws, r))))];
  const testId = newId('bct', deps.now());
  const d = fromRow(row);
  const messages = await deps.queueTestSends({
    workspaceId: ws,
    channel: d.channel,
    purpose: row.purpose,
    source: { kind: 'broadcast', id, step: 'test' },
    profileIds,
    keyPrefix: `broadcast:${id}:test:${testId}`,
    data: d.data,
    ...(d.templateId !== null
      ? { templateId: d.templateId, ...(d.templateVersion !== null ? { templateVersion: d.templateVersion } : {}) }
      : { content: d.content! }),
  });
  return { testId, messages };
}
