/**
 * A decrypted WeCom callback message and what the inbox derives from it: its kind
 * (`Event.ChangeType`), its dedup key, and the text and list elements handlers read.
 */
import { createHash } from 'node:crypto';
import { parseXml, WeComCryptoError, type XmlObject, type XmlValue } from '../wecom/index.js';

/** A decrypted callback message: element names to values, as the XML (or JSON) had them. */
export type CallbackMessage = XmlObject;

/** Parses a decrypted message: WeCom's event XML, or a JSON object with the same element names. */
export function parseCallbackMessage(text: string): CallbackMessage {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return parseXml(text);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new WeComCryptoError('malformed', 'the decrypted message is neither XML nor JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new WeComCryptoError('malformed', 'the decrypted JSON message must be an object');
  const toXmlValue = (v: unknown): XmlValue => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return v.map(toXmlValue);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toXmlValue(x)]));
    return '';
  };
  return toXmlValue(obj) as XmlObject;
}

/** The text of a message element, if it is text. */
export function field(msg: CallbackMessage, name: string): string | undefined {
  const v = msg[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `Event` with `ChangeType` when present, e.g. `change_external_contact.add_external_contact`; `msg.<MsgType>` for plain messages. */
export function messageKind(msg: CallbackMessage): string {
  const event = field(msg, 'Event');
  const change = field(msg, 'ChangeType');
  const kind = event ? (change ? `${event}.${change}` : event) : `msg.${field(msg, 'MsgType') ?? 'unknown'}`;
  return kind.slice(0, 100);
}

/** Canonical text of a message: elements sorted by name at every level, so element order and whitespace do not matter. */
function canonical(v: XmlValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`)
    .join(',')}}`;
}

/**
 * The inbox dedup key: WeCom redelivers an event it got no answer for as the same message, so
 * the same elements (whatever their order) give the same key. Kind and CreateTime stay readable.
 */
export function dedupKeyOf(msg: CallbackMessage): string {
  const digest = createHash('sha256').update(canonical(msg)).digest('hex');
  return `${messageKind(msg)}:${field(msg, 'CreateTime') ?? '-'}:${digest}`;
}

/** The items of a list element: `<L><Item>a</Item><Item>b</Item></L>`, a JSON array, or one value. */
export function listField(msg: CallbackMessage, name: string): string[] {
  const v = msg[name];
  if (v === undefined || v === '') return [];
  const items = typeof v === 'object' && !Array.isArray(v) ? v.Item : v;
  const arr = Array.isArray(items) ? items : items === undefined ? [] : [items];
  return arr.filter((x): x is string => typeof x === 'string' && x !== '');
}
