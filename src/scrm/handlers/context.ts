/**
 * What every WeCom event handler works with: the deps of applying an inbox row, the event being
 * applied, the transaction it writes in, and the Segment-shaped messages (identify, track) that
 * put the customer on a One ID profile and the event on their timeline.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { IngestDeps, IngestWriter } from '../../cdp/index.js';
import type { Database } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { isRetryableErrcode, WeComError, type ExternalContact, type WeComClient } from '../../wecom/index.js';
import { type CallbackMessage, field, messageKind } from '../callback-message.js';
import type { ScrmEvent } from '../events.js';

/** What applying an inbox message needs. */
export interface HandlerDeps {
  database: Database;
  writer: Pick<IngestWriter, 'settingsFor' | 'exclusive'>;
  ingest: IngestDeps;
  clientFor: (workspaceId: string) => Promise<WeComClient>;
  now: () => number;
  log: Logger;
  defaultRegion: string;
}

/** An inbox row to apply. */
export interface InboxItem {
  workspaceId: string;
  id: string;
  dedupKey: string;
  kind: string;
  payload: string;
  receivedAt: number;
}

/** An event that can never be applied (a required element is missing); retrying will not help. */
export class UnusableEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableEventError';
  }
}

/**
 * An event about a person who was erased (their `external_userid` is tombstoned, issue #19): it is
 * not applied, and its stored callback, which names them, is deleted.
 */
export class ErasedContactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ErasedContactError';
  }
}

/** What a handler may do inside the transaction. */
export interface Tx {
  trx: Kysely<DB>;
  now: number;
  /** Stores Segment-shaped messages (timeline events, identify) through the CDP ingest path. */
  ingest(messages: Record<string, unknown>[]): Promise<void>;
  /** The live One ID profile holding `external_userid:<corpid>` = id (after ingest created it). */
  profileOf(externalUserid: string): Promise<string>;
}

/** One event being applied. */
export interface Ctx {
  deps: HandlerDeps;
  ws: string;
  corpId: string;
  msg: CallbackMessage;
  /** The event's CreateTime, ms. */
  at: number;
  /** Prefix of the event's deterministic timeline message ids. */
  idBase: string;
}

/** The transactional part of a handler: writes the event's state and timeline, returns the SCRM events to publish. */
export type Run = (tx: Tx) => Promise<ScrmEvent[]>;

/** A handler: reads what the event needs from WeCom (outside the transaction), then returns its transactional part, or undefined for a kind it ignores. */
export type Handler = (ctx: Ctx) => Promise<Run | undefined>;

/** The handler of `key` in a table of handlers (own keys only), or undefined. */
export function handlerOf(table: Readonly<Record<string, Handler>>, key: string | undefined): Handler | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * Reads details from WeCom; undefined when WeCom answers that it cannot (no relation any more,
 * no connection): the event is then applied with what it carries. Network failures, rate limits
 * and "busy" are thrown, so the inbox retries the row later.
 */
export async function fromWeCom<T>(ctx: Ctx, what: string, call: (client: WeComClient) => Promise<T>): Promise<T | undefined> {
  try {
    return await call(await ctx.deps.clientFor(ctx.ws));
  } catch (err) {
    const permanent = (err instanceof WeComError && !isRetryableErrcode(err.errcode)) || err instanceof AppError;
    if (!permanent) throw err;
    ctx.deps.log.info({ workspaceId: ctx.ws, what, error: (err as Error).message }, 'WeCom details unavailable; applying the event with what it carries');
    return undefined;
  }
}

/** The text of a required element; UnusableEventError when the event lacks it. */
export function required(ctx: Ctx, name: string): string {
  const v = field(ctx.msg, name);
  if (!v) throw new UnusableEventError(`${messageKind(ctx.msg)} has no ${name}`);
  return v;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Identifiers of a customer: the corp-scoped external userid, and the unionid when known. */
function externalIds(ctx: Ctx, externalUserid: string, unionid?: string | null) {
  const ids = [{ id: externalUserid, type: `external_userid:${ctx.corpId}`, collection: 'users', encoding: 'none' }];
  if (unionid) ids.push({ id: unionid, type: 'unionid', collection: 'users', encoding: 'none' });
  return ids;
}

const LIBRARY = { name: 'siyu-wecom-callback', version: '1' };

/** The identify call for a customer WeCom described (name, type, avatar, gender, unionid, corp). */
export function identifyMessage(ctx: Ctx, c: ExternalContact) {
  const traits: Record<string, unknown> = { wecom_name: c.name, wecom_type: c.type === 2 ? 'wecom' : 'wechat' };
  if (c.avatar) traits.avatar = c.avatar;
  if (c.gender === 1 || c.gender === 2) traits.gender = c.gender === 1 ? 'male' : 'female';
  if (c.unionid) traits.unionid = c.unionid;
  if (c.corp_name) traits.wecom_corp_name = c.corp_name;
  return {
    type: 'identify',
    messageId: `${ctx.idBase}:identify:${c.external_userid}`,
    timestamp: iso(ctx.at),
    traits,
    context: { library: LIBRARY, externalIds: externalIds(ctx, c.external_userid, c.unionid) },
  };
}

/** A timeline event on the customer `externalUserid`, its message id derived from the event's (`suffix` tells one of several apart). */
export function trackMessage(ctx: Ctx, suffix: string, event: string, externalUserid: string, properties: Record<string, unknown>, unionid?: string | null) {
  return {
    type: 'track',
    event,
    messageId: `${ctx.idBase}:${suffix}`,
    timestamp: iso(ctx.at),
    properties,
    context: { library: LIBRARY, externalIds: externalIds(ctx, externalUserid, unionid) },
  };
}
