import { createHash } from 'node:crypto';
import { AppError } from '../platform/errors.js';
import { CdpError } from './errors.js';
import { validName } from './tags.service.js';
import { isJunkValue, normaliseIdentifier, type RawIdentifier } from './identifiers.js';
import { readConsentCell, valueProblem } from './import.checks.js';
import { importedOrderChange } from './import.order-status.js';
import type { ImportFormat } from './import.readers.js';
import { normaliseMessage, type NormaliseContext, type TrackedEvent } from './tracking.js';

/** What a file holds: one profile per row, or one order per row. */
export type ImportKind = 'profiles' | 'orders';

/** A tag named in a row's `tags` column: `group/name`, or just `name` (group null). */
export interface ImportTag {
  group: string | null;
  name: string;
}

/** Something in a row that was not imported although the row was (e.g. an invalid phone beside a usable member id). */
export interface RowWarning {
  field: string;
  reason: string;
}

/** A row turned into a normalised event, plus the tags to attach to its profile and what was dropped. */
export interface PreparedRow {
  event: TrackedEvent;
  tags: ImportTag[];
  warnings: RowWarning[];
}

type Obj = Record<string, unknown>;

/** Identifier columns and where each goes in the Segment message. */
const ID_COLUMNS = ['user_id', 'member_id', 'unionid', 'anonymous_id', 'phone', 'email'] as const;
const FAMILY_COLUMN = /^(openid|external_userid):(.+)$/;
const ID_HINT = 'user_id, member_id, unionid, anonymous_id, phone, email, openid:<appid> or external_userid:<corpid>';
const isIdColumn = (c: string) => (ID_COLUMNS as readonly string[]).includes(c) || FAMILY_COLUMN.test(c);

/** Rejects the row; `field` (in the error's details) names the column at fault, when one is. */
function fail(message: string, field?: string): never {
  throw new CdpError('VALIDATION_FAILED', message, field === undefined ? undefined : { field });
}

/**
 * Sets a trait or property. `__proto__` is skipped: ingestion merges traits by assignment, where
 * that name would set the object's prototype instead of a value (`prepareRow` warns about it).
 */
function put(o: Obj, k: string, v: unknown): void {
  if (k !== '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Warnings for values under the name `__proto__`, which `put` leaves out. */
function protoWarnings(record: Obj): RowWarning[] {
  const out: RowWarning[] = [];
  const why = 'cannot be the name of a trait or property, so its value was not imported';
  if (Object.hasOwn(record, '__proto__')) out.push({ field: '__proto__', reason: `__proto__ ${why}` });
  for (const col of ['traits', 'properties']) {
    const v = record[col];
    if (v && typeof v === 'object' && Object.hasOwn(v, '__proto__')) out.push({ field: col, reason: `${col}.__proto__ ${why}` });
  }
  return out;
}

/** A JSON number that cannot be an exact id: beyond 2^53 it is already rounded when parsed. */
const inexact = (v: unknown) => typeof v === 'number' && !Number.isSafeInteger(v) && Math.abs(v) > Number.MAX_SAFE_INTEGER;

/** Checks a CSV header for the columns a kind needs; returns the problem, if any. */
export function headerProblem(kind: ImportKind, names: string[]): string | undefined {
  const has = (c: string) => names.includes(c);
  const missing: string[] = [];
  if (!names.some(isIdColumn)) missing.push(`an identifier column (${ID_HINT})`);
  if (kind === 'orders') {
    if (!has('order_id')) missing.push('order_id');
    if (!has('total') && !has('total_fen')) missing.push('total (or total_fen)');
    if (!has('timestamp') && !has('ordered_at')) missing.push('ordered_at (or timestamp)');
  }
  return missing.length ? `the header row needs ${missing.join(', ')}; found ${names.join(', ')}` : undefined;
}

/** A cell as the import sees it: empty, whitespace-only and null are absent; CSV cells are trimmed. */
function cell(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? undefined : t;
  }
  return v;
}

/** 9999-12-31T23:59:59.999Z: later times are refused rather than stored beyond what dates can show. */
const MAX_TIME = 253_402_300_799_999;
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** Parses an ISO-8601 date-time with a zone, or a date (`YYYY-MM-DD`, `YYYYMMDD`) taken as UTC midnight. */
export function parseImportTime(column: string, v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    if (v > MAX_TIME) fail(`${column} ${v} is after the year 9999; give epoch milliseconds or ISO-8601`, column);
    return v;
  }
  const s = typeof v === 'string' ? v : '';
  const d = DATE.exec(s);
  const dt = d ? null : DATE_TIME.exec(s);
  const m = d ?? dt;
  const okCalendar =
    m &&
    (() => {
      const [y, mo, da] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const u = new Date(Date.UTC(y, mo - 1, da));
      return u.getUTCFullYear() === y && u.getUTCMonth() === mo - 1 && u.getUTCDate() === da;
    })();
  if (!m || !okCalendar) {
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) {
      fail(`${column} ${JSON.stringify(v)} has no time zone; add Z or an offset such as +08:00, or give a date only (YYYY-MM-DD)`, column);
    }
    fail(`${column} ${JSON.stringify(v)} is not a date; use ISO-8601 such as 2026-01-05T10:30:00+08:00 or 2026-01-05`, column);
  }
  if (d) return Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
  let zone = dt![8]!.toUpperCase();
  if (zone !== 'Z') zone = zone.length === 3 ? `${zone}:00` : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const t = Date.parse(`${dt![1]}-${dt![2]}-${dt![3]}T${dt![4]}:${dt![5]}:${dt![6] ?? '00'}${(dt![7] ?? '').slice(0, 4)}${zone}`);
  if (!Number.isFinite(t) || Number(dt![4]) > 23) fail(`${column} ${JSON.stringify(v)} is not a valid time`, column);
  return t;
}

/** Parses a `tags` cell (`a/b; c | d`) or, in NDJSON, an array of such strings. */
export function parseTags(v: unknown): ImportTag[] {
  const parts = Array.isArray(v)
    ? v
    : typeof v === 'string'
      ? v.split(/[;|]/)
      : fail('tags must be text such as "group/name; other" or, in NDJSON, an array of strings', 'tags');
  const out: ImportTag[] = [];
  const seen = new Set<string>();
  for (const p of parts) {
    if (typeof p !== 'string') fail(`tags must be strings, got ${JSON.stringify(p)}`, 'tags');
    const t = p.trim();
    if (t === '') continue;
    const slash = t.indexOf('/');
    const tag = slash < 0 ? { group: null, name: t } : { group: t.slice(0, slash).trim(), name: t.slice(slash + 1).trim() };
    if (tag.group === '' || tag.name === '') fail(`tag ${JSON.stringify(t)} must be "group/name" or "name"`, 'tags');
    try {
      validName(`tag ${JSON.stringify(t)}: the name`, tag.name);
      if (tag.group !== null) validName(`tag ${JSON.stringify(t)}: the group`, tag.group);
    } catch (err) {
      if (err instanceof AppError) fail(err.message, 'tags');
      throw err;
    }
    const k = `${tag.group ?? ''}/${tag.name}`;
    if (!seen.has(k)) out.push(tag);
    seen.add(k);
  }
  return out;
}

/** JSON with sorted keys, so equal content always hashes equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Obj)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Obj)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

interface Identity {
  userId?: string;
  anonymousId?: string;
  /** member_id, unionid, phone, email: read by identity resolution from (context.)traits. */
  idTraits: Obj;
  externalIds: { id: string; type: string; collection: 'users'; encoding: 'none' }[];
  /** The identifier cells as given, to explain a row none of which is usable. */
  raw: RawIdentifier[];
}

/** Takes the identifier columns of a row; fails when there is none at all. */
function takeIdentity(record: Obj): Identity {
  const out: Identity = { idTraits: {}, externalIds: [], raw: [] };
  for (const [col, v0] of Object.entries(record)) {
    if (!isIdColumn(col)) continue;
    const v = cell(v0);
    if (v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number') fail(`${col} must be text, got ${JSON.stringify(v)}`, col);
    if (inexact(v)) fail(`${col} ${v} is a number beyond 2^53, already rounded when the JSON was read; write it as a string`, col);
    const value = String(v);
    out.raw.push({ type: col, value });
    if (col === 'user_id') out.userId = value;
    else if (col === 'anonymous_id') out.anonymousId = value;
    else if (FAMILY_COLUMN.test(col)) out.externalIds.push({ id: value, type: col, collection: 'users', encoding: 'none' });
    else out.idTraits[col] = value;
  }
  if (out.raw.length === 0) fail(`no identifier: fill at least one of ${ID_HINT}`);
  return out;
}

/** Says, per column, why none of a row's identifiers is usable. */
function explainIdentifiers(raw: RawIdentifier[], ctx: NormaliseContext): string {
  const why = raw.map(({ type, value }) => {
    if (!ctx.rules.rule(type)) return `${type} is not an identifier type of this workspace`;
    return `${type} ${JSON.stringify(String(value))} ${identifierProblem(type, String(value))}`;
  });
  return `no usable identifier: ${why.join('; ')}`;
}

function identifierProblem(type: string, value: string): string {
  if (isJunkValue(value)) return 'is a placeholder';
  if (value.trim().length > 512) return 'is longer than 512 characters';
  if (type === 'phone') return 'is not a valid phone number';
  if (type === 'email') return 'is not a valid email address';
  return 'is not usable';
}

/**
 * The identifier columns of an imported row that identify nothing (an invalid phone beside a
 * usable member id): normalisation drops them silently, as tracking does, so the report says so.
 * Values of trait-like columns (phone, email, member_id, unionid) stay in the traits as given.
 */
function droppedIdentifiers(raw: RawIdentifier[], ctx: NormaliseContext): RowWarning[] {
  const out: RowWarning[] = [];
  const unused = 'so it does not identify the profile (the row was imported through its other identifiers)';
  for (const { type, value } of raw) {
    const v = String(value);
    if (!ctx.rules.rule(type)) out.push({ field: type, reason: `${type} is not an identifier type of this workspace, ${unused}` });
    else if (normaliseIdentifier(type, v, ctx.defaultRegion) === undefined) {
      out.push({ field: type, reason: `${type} ${JSON.stringify(v)} ${identifierProblem(type, v)}, ${unused}` });
    }
  }
  return out;
}

/** The message id prefix of orders `siyu import` stores (readers that must not treat history as news skip them). */
export const IMPORTED_ORDER_PREFIX = 'import-order:';

const MESSAGE_FIELDS: Record<string, string> = { timestamp: 'timestamp', userId: 'user_id', anonymousId: 'anonymous_id', messageId: 'order_id' };

/** The column a tracking-validation message is about: `properties.currency` and `traits.city` are columns `currency` and `city`. */
function fieldOf(message: string): string | undefined {
  if (message.startsWith('context.consent')) return 'consent';
  const nested = /^(?:(?:context\.)?traits|properties)\.([^\s.[]+)/.exec(message);
  if (nested) return nested[1];
  return MESSAGE_FIELDS[/^\w+/.exec(message)?.[0] ?? ''];
}

/** Runs the message through the tracking API's validation, so imports obey the same rules. */
function normalise(message: Obj, id: Identity, ctx: NormaliseContext): TrackedEvent {
  try {
    // Rows may be identified by phone, email, member id... alone.
    return normaliseMessage(message, 'row', ctx, { traitIdentifiersSuffice: true });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (/no usable identifier/.test(err.message)) fail(explainIdentifiers(id.raw, ctx), id.raw.map((r) => r.type).join(', '));
    const message = err.message.replace(/^row: /, '');
    fail(message, fieldOf(message));
  }
}

const PROFILE_RESERVED = new Set(['tags', 'timestamp', 'updated_at', 'traits', 'consent']);

/** A profiles row as an `identify` message; the message id hashes the normalised row, so re-imports store nothing twice. */
function profileMessage(record: Obj): { message: Obj; id: Identity; tags: ImportTag[] } {
  const id = takeIdentity(record);
  const traits: Obj = {};
  const nested = cell(record.traits);
  if (nested !== undefined) {
    if (typeof nested !== 'object' || Array.isArray(nested)) fail('traits must be a JSON object', 'traits');
    for (const [k, v] of Object.entries(nested as Obj)) if (cell(v) !== undefined) put(traits, k, cell(v));
  }
  for (const [col, v] of Object.entries(record)) {
    if (PROFILE_RESERVED.has(col) || col === 'user_id' || col === 'anonymous_id' || FAMILY_COLUMN.test(col)) continue;
    const value = cell(v);
    if (value !== undefined) put(traits, col, value);
  }
  Object.assign(traits, id.idTraits);
  const tags = cell(record.tags) === undefined ? [] : parseTags(cell(record.tags));
  const when = cell(record.timestamp) ?? cell(record.updated_at);
  const column = cell(record.timestamp) !== undefined ? 'timestamp' : 'updated_at';
  const timestamp = when === undefined ? undefined : new Date(parseImportTime(column, when)).toISOString();
  const consentIn = cell(record.consent) === undefined ? undefined : readConsentCell(cell(record.consent));
  if (consentIn && 'problem' in consentIn) fail(consentIn.problem, 'consent');
  const consent = consentIn?.value;
  const content = { userId: id.userId, anonymousId: id.anonymousId, traits, externalIds: id.externalIds, timestamp, tags, ...(consent && { consent }) };
  const messageId = 'import-profile:' + createHash('sha256').update(canonical(content)).digest('hex');
  // Consent travels as tracking's does (Segment's consent object): it lands in the profile's consent with the row's time.
  const ctx = consent ? { ...context(id), consent: { categoryPreferences: consent } } : context(id);
  const message: Obj = { type: 'identify', messageId, userId: id.userId, anonymousId: id.anonymousId, traits, timestamp, context: ctx };
  return { message, id, tags };
}

function context(id: Identity, traits?: Obj): Obj {
  return {
    library: { name: 'siyu-import', version: '1' },
    ...(traits && Object.keys(traits).length ? { traits } : {}),
    ...(id.externalIds.length ? { externalIds: id.externalIds } : {}),
  };
}

const ORDER_RESERVED = new Set(['order_id', 'total', 'total_fen', 'currency', 'timestamp', 'ordered_at', 'products', 'properties']);

/** The largest total in currency units whose amount in fen is still an exact integer (2^53 - 1 fen). */
const MAX_TOTAL = (Number.MAX_SAFE_INTEGER / 100).toFixed(2);

function amount(record: Obj): number {
  const total = cell(record.total);
  const fen = cell(record.total_fen);
  let fromTotal: number | undefined;
  let fromFen: number | undefined;
  if (total !== undefined) {
    const ok = typeof total === 'number' ? Number.isFinite(total) && total >= 0 : typeof total === 'string' && /^\d+(\.\d+)?$/.test(total);
    if (!ok) fail(`total ${JSON.stringify(total)} must be a non-negative amount in currency units, such as 99.90`, 'total');
    fromTotal = Number(total);
    const cents = fromTotal * 100;
    if (!(cents <= Number.MAX_SAFE_INTEGER)) fail(`total ${JSON.stringify(total)} is too large; the most is ${MAX_TOTAL} currency units`, 'total');
    if (Math.abs(cents - Math.round(cents)) > 1e-6) fail(`total ${JSON.stringify(total)} has more than 2 decimal places`, 'total');
  }
  if (fen !== undefined) {
    const n = typeof fen === 'string' && /^\d+$/.test(fen) ? Number(fen) : fen;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      fail(`total_fen ${JSON.stringify(fen)} must be a whole non-negative number of fen/cents, at most ${Number.MAX_SAFE_INTEGER}`, 'total_fen');
    }
    fromFen = n / 100;
  }
  if (fromTotal === undefined && fromFen === undefined) fail('total (or total_fen) is required', 'total');
  if (fromTotal !== undefined && fromFen !== undefined && Math.round(fromTotal * 100) !== Math.round(fromFen * 100)) {
    fail(`total ${JSON.stringify(total)} and total_fen ${JSON.stringify(fen)} disagree`, 'total_fen');
  }
  return (fromTotal ?? fromFen)!;
}

/** An orders row as a `track` "Order Completed" message with message id `import-order:<order_id>`. */
function orderMessage(record: Obj, format: ImportFormat): { message: Obj; id: Identity } {
  const orderId = cell(record.order_id);
  if (orderId === undefined) fail('order_id is required', 'order_id');
  if (typeof orderId !== 'string' && typeof orderId !== 'number') fail(`order_id must be text, got ${JSON.stringify(orderId)}`, 'order_id');
  if (inexact(orderId)) fail(`order_id ${orderId} is a number beyond 2^53, already rounded when the JSON was read; write it as a string`, 'order_id');
  if (String(orderId).length > 180) fail('order_id is longer than 180 characters', 'order_id');
  const id = takeIdentity(record);
  const total = amount(record);
  const column = cell(record.ordered_at) !== undefined ? 'ordered_at' : 'timestamp';
  const when = cell(record[column]);
  if (when === undefined) fail('ordered_at (or timestamp) is required', 'ordered_at');
  const timestamp = new Date(parseImportTime(column, when)).toISOString();
  let products = cell(record.products);
  if (products !== undefined && format === 'csv') {
    try {
      products = JSON.parse(products as string);
    } catch {
      fail('products must be a JSON array such as [{"sku":"A1","quantity":2}]', 'products');
    }
    // Parsed from a cell, so not yet looked at by the row's value checks.
    const problem = valueProblem({ products });
    if (problem) fail(problem.reason, 'products');
  }
  if (products !== undefined && !Array.isArray(products)) fail('products must be a JSON array of objects', 'products');
  const properties: Obj = {};
  const nested = cell(record.properties);
  if (nested !== undefined) {
    if (typeof nested !== 'object' || Array.isArray(nested)) fail('properties must be a JSON object', 'properties');
    for (const [k, v] of Object.entries(nested as Obj)) put(properties, k, v);
  }
  for (const [col, v] of Object.entries(record)) {
    if (ORDER_RESERVED.has(col) || isIdColumn(col)) continue;
    if (cell(v) !== undefined) put(properties, col, cell(v));
  }
  Object.assign(properties, { order_id: String(orderId), total, products });
  const currency = cell(record.currency);
  if (currency !== undefined) properties.currency = String(currency).toUpperCase();
  const message = {
    type: 'track',
    event: 'Order Completed',
    messageId: `${IMPORTED_ORDER_PREFIX}${orderId}`,
    userId: id.userId,
    anonymousId: id.anonymousId,
    properties,
    timestamp,
    context: context(id, id.idTraits),
  };
  return { message, id };
}

/** Validates one row of a file and normalises it exactly as the tracking API would; throws AppError with the reason. */
export function prepareRow(kind: ImportKind, record: Obj, format: ImportFormat, ctx: NormaliseContext): PreparedRow {
  const problem = valueProblem(record);
  if (problem) fail(problem.reason, problem.field);
  if (kind === 'orders') {
    const { message, id } = orderMessage(record, format);
    const event = normalise(message, id, ctx);
    const { change, warning } = importedOrderChange(record, event.order!.orderId, event.order!.totalFen);
    if (change) event.orderChange = change;
    return { event, tags: [], warnings: [...droppedIdentifiers(id.raw, ctx), ...protoWarnings(record), ...(warning ? [warning] : [])] };
  }
  const { message, id, tags } = profileMessage(record);
  return { event: normalise(message, id, ctx), tags, warnings: [...droppedIdentifiers(id.raw, ctx), ...protoWarnings(record)] };
}
