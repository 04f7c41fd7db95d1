import { type Expression, type Kysely, type RawBuilder, sql } from 'kysely';
import { type Dialect, parseJson } from '../platform/db/database.js';
import { jsonPathText } from '../platform/db/json-path.js';
import { type CdpDB, cdpDb } from './schema.js';

// Reads of stored events for other modules (triggers, goals, listeners, stats). Events are
// append-only; `timestamp` is the event time and `received_at` the time Siyu stored it.

/** A stored event of a profile, its payload parsed (the message as sent). */
export interface StoredEvent {
  messageId: string;
  profileId: string;
  event: string | null;
  timestamp: number;
  payload: Record<string, unknown>;
}

/**
 * A page of `track` events named `event`, in (timestamp, message id) order strictly after
 * `after` (index events_name_time).
 */
export async function trackEventsAfter<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  event: string,
  after: { timestamp: number; messageId: string },
  limit: number,
): Promise<StoredEvent[]> {
  const db = cdpDb(handle);
  const rows = await db
    .selectFrom('events')
    .select(['message_id', 'profile_id', 'event', 'timestamp', 'payload'])
    .where('workspace_id', '=', workspaceId)
    .where('event', '=', event)
    .where('type', '=', 'track')
    .where((eb) => eb.or([eb('timestamp', '>', after.timestamp), eb.and([eb('timestamp', '=', after.timestamp), eb('message_id', '>', after.messageId)])]))
    .orderBy('timestamp')
    .orderBy('message_id')
    .limit(limit)
    .execute();
  return rows.map(toStoredEvent);
}

/** A stored event with the time Siyu stored it. */
export interface ReceivedEvent extends StoredEvent {
  receivedAt: number;
}

/**
 * A page of `track` events named `event` in storage order — (received_at, message id) — strictly
 * after `after` (index events_name_received, 0042). Readers that must see every event once
 * whatever its event time (an order sent hours late, an offline batch) page by this, not by
 * event time; they still re-read a little before their cursor, since an event is committed a
 * moment after it is received.
 */
export async function trackEventsReceivedAfter<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  event: string,
  after: { receivedAt: number; messageId: string },
  limit: number,
): Promise<ReceivedEvent[]> {
  const db = cdpDb(handle);
  const rows = await db
    .selectFrom('events')
    .select(['message_id', 'profile_id', 'event', 'timestamp', 'received_at', 'payload'])
    .where('workspace_id', '=', workspaceId)
    .where('event', '=', event)
    .where('type', '=', 'track')
    .where((eb) =>
      eb.or([eb('received_at', '>', after.receivedAt), eb.and([eb('received_at', '=', after.receivedAt), eb('message_id', '>', after.messageId)])]),
    )
    .orderBy('received_at')
    .orderBy('message_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...toStoredEvent(r), receivedAt: Number(r.received_at) }));
}

/** The events named any of `events` that the given profiles had at or after `since`, oldest first. */
export async function profileEventsSince<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  q: { profileIds: readonly string[]; events: readonly string[]; since: number },
): Promise<StoredEvent[]> {
  const db = cdpDb(handle);
  const rows = await db
    .selectFrom('events')
    .select(['message_id', 'profile_id', 'event', 'timestamp', 'payload'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', 'in', [...q.profileIds])
    .where('event', 'in', [...q.events])
    .where('timestamp', '>=', q.since)
    .orderBy('timestamp')
    .execute();
  return rows.map(toStoredEvent);
}

/** What {@link searchTrackEvents} looks for. */
export interface TrackEventSearch {
  /** Event names (at least one). */
  events: readonly string[];
  /** `properties.<key>` equals the value (keys are plain identifiers). */
  equals?: Readonly<Record<string, string>>;
  /** `properties.<property>` contains the text, case-insensitively. */
  contains?: { property: string; text: string };
  /** Event time at or after. */
  from?: number;
  /** Event time before. */
  to?: number;
  /** Strictly before this position in the order (timestamp, then message id, descending). */
  before?: { timestamp: number; messageId: string };
  limit: number;
}

const PROPERTY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `track` events by name with conditions on their properties, newest first (timestamp, then
 * message id): a search over stored events for another module's screens (index events_name_time
 * for the names and times; the property conditions are checked on the rows it finds).
 */
export async function searchTrackEvents<D extends CdpDB>(
  handle: Kysely<D>,
  dialect: Dialect,
  workspaceId: string,
  s: TrackEventSearch,
): Promise<StoredEvent[]> {
  const prop = (key: string) => {
    if (!PROPERTY.test(key)) throw new Error(`searchTrackEvents: property name ${JSON.stringify(key)} is not a plain identifier`);
    return jsonPathText(dialect, 'payload', ['properties', key]);
  };
  let q = cdpDb(handle)
    .selectFrom('events')
    .select(['message_id', 'profile_id', 'event', 'timestamp', 'payload'])
    .where('workspace_id', '=', workspaceId)
    .where('event', 'in', [...s.events])
    .where('type', '=', 'track');
  for (const [key, value] of Object.entries(s.equals ?? {})) q = q.where(sql<boolean>`${prop(key)} = ${value}`);
  if (s.contains) {
    const pattern = `%${s.contains.text.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    q = q.where(sql<boolean>`lower(${prop(s.contains.property)}) like ${pattern} escape '\\'`);
  }
  if (s.from !== undefined) q = q.where('timestamp', '>=', s.from);
  if (s.to !== undefined) q = q.where('timestamp', '<', s.to);
  const before = s.before;
  if (before)
    q = q.where((eb) =>
      eb.or([eb('timestamp', '<', before.timestamp), eb.and([eb('timestamp', '=', before.timestamp), eb('message_id', '<', before.messageId)])]),
    );
  const rows = await q.orderBy('timestamp', 'desc').orderBy('message_id', 'desc').limit(s.limit).execute();
  return rows.map(toStoredEvent);
}

function toStoredEvent(r: { message_id: string; profile_id: string; event: string | null; timestamp: number; payload: unknown }): StoredEvent {
  return { messageId: r.message_id, profileId: r.profile_id, event: r.event, timestamp: r.timestamp, payload: parseJson(r.payload) };
}

/** A value bound as a parameter, or an expression of the outer query (a column such as `r.profile_id`). */
export type SqlOperand = string | number | Expression<unknown>;

/** What {@link profileHasEvent} looks for; the time bounds and `receivedAfter` are optional. */
export interface EventCondition {
  workspaceId: SqlOperand;
  profileId: SqlOperand;
  /** The event name, or a condition on the name column (e.g. a LIKE against the outer row). */
  event: string | ((name: RawBuilder<string | null>) => RawBuilder<unknown>);
  /** Event time at or after. */
  from?: SqlOperand;
  /** Event time before. */
  to?: SqlOperand;
  /** Stored after (receive time). */
  receivedAfter?: SqlOperand;
}

/**
 * SQL `exists (select 1 from events as e ...)`: has this profile an event named X (in a time
 * window, received after T)? For embedding in a `where` or `case when` of the caller's query,
 * correlated with its rows through expressions (index events_profile_time).
 */
export function profileHasEvent(c: EventCondition): RawBuilder<boolean> {
  const name = sql<string | null>`e.event`;
  const conds: RawBuilder<unknown>[] = [
    sql`e.workspace_id = ${c.workspaceId}`,
    sql`e.profile_id = ${c.profileId}`,
    typeof c.event === 'string' ? sql`e.event = ${c.event}` : c.event(name),
  ];
  if (c.from !== undefined) conds.push(sql`e.timestamp >= ${c.from}`);
  if (c.to !== undefined) conds.push(sql`e.timestamp < ${c.to}`);
  if (c.receivedAfter !== undefined) conds.push(sql`e.received_at > ${c.receivedAfter}`);
  return sql<boolean>`exists (select 1 from events as e where ${sql.join(conds, sql` and `)})`;
}

/**
 * How many events are stored under a message-id prefix (e.g. a sync run's identify events,
 * whichever process stored them).
 */
export async function countEventsWithMessageIdPrefix<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, prefix: string): Promise<number> {
  const db = cdpDb(handle);
  const pattern = prefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where(sql<boolean>`message_id like ${pattern} escape '\\'`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
