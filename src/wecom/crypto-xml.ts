import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { WeComCryptoError, type EncryptedMessage, type WeComCrypto } from './crypto.js';

/**
 * The envelopes around WeCom's ciphertext (XML, and the JSON variant some callbacks use) and the
 * plaintext event XML inside them.
 *
 * Parsing uses fast-xml-parser with validation on. A DOCTYPE is refused before parsing, so no
 * entity can be declared (no billion-laughs, no external entities); only XML's five predefined
 * entities and numeric character references are decoded. Values stay strings: WeCom ids such as
 * `MsgId` exceed 2^53 and must not become numbers.
 */

/** The largest XML body accepted; WeCom's callbacks are a few KB. */
export const MAX_XML_BYTES = 1024 * 1024;

/** A parsed XML element: text, a nested element, or repeated elements. */
export type XmlValue = string | XmlObject | XmlValue[];
/** A parsed element's children by tag name. */
export interface XmlObject {
  [tag: string]: XmlValue;
}

/** Elements that are lists in WeCom's events even when they hold one item. */
const LIST_TAGS = new Set(['Item']);

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML's own references only: the five predefined entities and numeric character references. */
function decodeReferences(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (ref, name: string) => {
    if (name[0] !== '#') return PREDEFINED[name];
    const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    const valid = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff));
    return valid ? String.fromCodePoint(code) : ref;
  });
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  // Declared entities never reach this decoder: a DOCTYPE is refused before parsing.
  entityDecoder: { decode: decodeReferences, setExternalEntities: () => {}, addInputEntities: () => {}, reset: () => {}, setXmlVersion: () => {} },
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 16,
  isArray: (tagName) => LIST_TAGS.has(tagName),
});

/** Parses WeCom XML into a plain object of strings, with the root `<xml>` element unwrapped. */
export function parseXml(xml: string): XmlObject {
  if (typeof xml !== 'string') throw new WeComCryptoError('malformed', 'the XML body must be a string');
  if (Buffer.byteLength(xml, 'utf8') > MAX_XML_BYTES) throw new WeComCryptoError('malformed', `the XML body is larger than ${MAX_XML_BYTES} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new WeComCryptoError('malformed', 'XML with a DOCTYPE or entity declaration is refused');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new WeComCryptoError('malformed', `the body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (err) {
    throw new WeComCryptoError('malformed', `the body is not well-formed XML: ${(err as Error).message}`);
  }
  const root = (doc as Record<string, unknown>)?.xml;
  if (root === undefined) throw new WeComCryptoError('malformed', 'the XML has no <xml> root element');
  if (root === '') return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new WeComCryptoError('malformed', 'the <xml> root must hold elements');
  return root as XmlObject;
}

/** The outer envelope of an encrypted callback. */
export interface CallbackEnvelope {
  encrypt: string;
  toUserName?: string;
  agentId?: string;
}

const text = (v: XmlValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reads `<xml><ToUserName/><Encrypt/><AgentID/></xml>` as WeCom POSTs it. */
export function parseEnvelopeXml(xml: string): CallbackEnvelope {
  const root = parseXml(xml);
  const encrypt = text(root.Encrypt);
  if (!encrypt) throw new WeComCryptoError('malformed', 'the callback XML has no <Encrypt> element');
  return { encrypt, toUserName: text(root.ToUserName), agentId: text(root.AgentID) };
}

/** Reads the JSON envelope (`{"tousername","encrypt","agentid"}`) of WeCom's JSON callbacks. */
export function parseEnvelopeJson(body: string | Record<string, unknown>): CallbackEnvelope {
  let obj: unknown = body;
  if (typeof body === 'string') {
    try {
      obj = JSON.parse(body);
    } catch {
      throw new WeComCryptoError('malformed', 'the callback body is not JSON');
    }
  }
  if (typeof obj !== 'object' || obj === null) throw new WeComCryptoError('malformed', 'the callback JSON must be an object');
  const o = obj as Record<string, unknown>;
  if (typeof o.encrypt !== 'string' || !o.encrypt) throw new WeComCryptoError('malformed', 'the callback JSON has no "encrypt" string');
  const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  return { encrypt: o.encrypt, toUserName: str(o.tousername), agentId: str(o.agentid) };
}

/** Wraps text in CDATA; a `]]>` inside is split across two sections. */
export function cdata(value: string): string {
  return `<![CDATA[${value.split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

/** A field of a message built by {@link buildXml}: strings go in CDATA, numbers as text, string lists as `<Item>`s. */
export type XmlField = string | number | string[] | undefined;

/** Builds `<xml>…</xml>` from fields in order, as WeCom writes its messages; undefined fields are left out. */
export function buildXml(fields: Record<string, XmlField>): string {
  let out = '<xml>';
  for (const [tag, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(tag)) throw new Error(`invalid XML tag name "${tag}"`);
    if (Array.isArray(value)) out += `<${tag}>${value.map((v) => `<Item>${cdata(v)}</Item>`).join('')}</${tag}>`;
    else if (typeof value === 'number') out += `<${tag}>${value}</${tag}>`;
    else out += `<${tag}>${cdata(value)}</${tag}>`;
  }
  return out + '</xml>';
}

/** The XML envelope WeCom POSTs to a callback URL. */
export function buildEnvelopeXml(envelope: CallbackEnvelope): string {
  return buildXml({ ToUserName: envelope.toUserName, Encrypt: envelope.encrypt, AgentID: envelope.agentId });
}

/** The encrypted passive reply: `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`. */
export function buildReplyXml(reply: EncryptedMessage): string {
  return `<xml><Encrypt>${cdata(reply.encrypt)}</Encrypt><MsgSignature>${cdata(reply.msgSignature)}</MsgSignature><TimeStamp>${reply.timestamp}</TimeStamp><Nonce>${cdata(reply.nonce)}</Nonce></xml>`;
}

/** Reads an encrypted passive reply back (for tests and tools). */
export function parseReplyXml(xml: string): EncryptedMessage {
  const root = parseXml(xml);
  const [encrypt, msgSignature, timestamp, nonce] = [root.Encrypt, root.MsgSignature, root.TimeStamp, root.Nonce].map(text);
  if (!encrypt || !msgSignature || !timestamp || !nonce)
    throw new WeComCryptoError('malformed', 'the reply XML needs Encrypt, MsgSignature, TimeStamp and Nonce');
  return { encrypt, msgSignature, timestamp, nonce };
}

/** The encrypted passive reply of JSON callbacks: `{"encrypt","msgsignature","timestamp","nonce"}`. */
export function buildReplyJson(reply: EncryptedMessage): string {
  return JSON.stringify({ encrypt: reply.encrypt, msgsignature: reply.msgSignature, timestamp: Number(reply.timestamp), nonce: reply.nonce });
}

/** Checks and decrypts an XML callback body with its query parameters, returning the inner message XML. */
export function decryptEnvelopeXml(crypto: WeComCrypto, query: { msg_signature: string; timestamp: string; nonce: string }, body: string): string {
  const envelope = parseEnvelopeXml(body);
  return crypto.decrypt(query.msg_signature, query.timestamp, query.nonce, envelope.encrypt);
}

/** Encrypts a passive reply message into WeCom's reply XML. */
export function encryptReplyXml(crypto: WeComCrypto, message: string, timestamp?: string, nonce?: string): string {
  return buildReplyXml(crypto.encrypt(message, timestamp, nonce));
}

/** A decrypted WeCom message or event: its elements by name (`Event`, `ChangeType`, `UserID`, …). */
export type WeComMessage = XmlObject;

/** Parses the inner (decrypted) message XML, e.g. a change_external_contact event, into a plain object. */
export function parseMessageXml(xml: string): WeComMessage {
  return parseXml(xml);
}
