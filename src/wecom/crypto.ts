import { createCipheriv, createDecipheriv, createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WeCom (企业微信) callback encryption, WXBizMsgCrypt, as published in 「加解密方案说明」:
 *
 * - msg_signature = SHA-1 hex of the lexicographically sorted [token, timestamp, nonce, msg_encrypt], joined.
 * - AESKey = Base64_Decode(EncodingAESKey + "="): 43 characters from a-z, A-Z, 0-9 → 32 bytes.
 *   AES-256-CBC, IV = the first 16 bytes of AESKey.
 * - Plaintext = random(16 bytes) + msg_len (4 bytes, big-endian) + msg + ReceiveId (the corp id for a
 *   corp's own app), PKCS#7-padded to a multiple of 32 bytes (WeCom's block, not AES's 16), base64.
 *
 * Node's automatic padding is off: it would pad to 16 and accept any 16-byte PKCS#7 tail, so padding
 * is added and checked here instead.
 */

/** Why a WeCom payload was refused. */
export type WeComCryptoErrorReason = 'bad_signature' | 'bad_corp_id' | 'bad_padding' | 'bad_length' | 'bad_key' | 'malformed';

/** A refused key, signature or payload; `reason` says which check failed. */
export class WeComCryptoError extends Error {
  constructor(
    readonly reason: WeComCryptoErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'WeComCryptoError';
  }
}

/** WeCom pads to 32-byte blocks (its PKCS7Encoder's block_size), whatever the cipher's block. */
export const WECOM_PAD_BLOCK = 32;
const RANDOM_PREFIX = 16;
const LENGTH_FIELD = 4;
const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes and checks an EncodingAESKey: exactly 43 characters of a-z, A-Z, 0-9, giving a 32-byte key. */
export function decodeEncodingAesKey(encodingAesKey: string): Buffer {
  if (typeof encodingAesKey !== 'string' || !ENCODING_AES_KEY.test(encodingAesKey)) {
    const len = typeof encodingAesKey === 'string' ? encodingAesKey.length : 0;
    throw new WeComCryptoError(
      'bad_key',
      `EncodingAESKey must be exactly 43 characters of a-z, A-Z and 0-9 (as shown in the WeCom console); got ${len} character(s)${len === 43 ? ' including others' : ''}`,
    );
  }
  const key = Buffer.from(encodingAesKey + '=', 'base64');
  if (key.length !== 32) throw new WeComCryptoError('bad_key', `EncodingAESKey decodes to ${key.length} bytes, expected 32`);
  return key;
}

/** msg_signature: SHA-1 hex of the four strings sorted by code unit order and concatenated. */
export function computeSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  const parts = [token, timestamp, nonce, encrypt].sort();
  return createHash('sha1').update(parts.join(''), 'utf8').digest('hex');
}

/** PKCS#7 padding to `block` bytes: always 1..block bytes, each holding the pad length. */
export function pkcs7Pad(data: Buffer, block = WECOM_PAD_BLOCK): Buffer {
  const n = block - (data.length % block);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

/** Removes PKCS#7 padding of a `block`-byte block size, checking every pad byte. */
export function pkcs7Unpad(data: Buffer, block = WECOM_PAD_BLOCK): Buffer {
  if (data.length === 0 || data.length % block !== 0) {
    throw new WeComCryptoError('bad_padding', `padded plaintext is ${data.length} bytes, not a positive multiple of ${block}`);
  }
  const n = data[data.length - 1];
  if (n < 1 || n > block) throw new WeComCryptoError('bad_padding', `pad byte is ${n}, expected 1..${block}`);
  for (let i = data.length - n; i < data.length; i++) {
    if (data[i] !== n) throw new WeComCryptoError('bad_padding', `pad bytes are not all ${n}`);
  }
  return data.subarray(0, data.length - n);
}

/** The parts of an encrypted message as WeCom sends them: body ciphertext and the query parameters. */
export interface EncryptedMessage {
  encrypt: string;
  msgSignature: string;
  timestamp: string;
  nonce: string;
}

/** Options of {@link createWeComCrypto}. */
export interface WeComCryptoOptions {
  /** The callback Token configured in the WeCom console. */
  token: string;
  /** The 43-character EncodingAESKey configured in the WeCom console. */
  encodingAesKey: string;
  /** ReceiveId: the corp id for a corp's own app, the suite id for third-party apps, '' where WeCom sends none. */
  receiveId: string;
  /** Source of the 16 random prefix bytes; inject a fixed one to reproduce a ciphertext. */
  randomBytes?: (n: number) => Buffer;
  /** Clock (epoch ms) for the default timestamp of {@link WeComCrypto.encrypt}. */
  now?: () => number;
}

/** WXBizMsgCrypt for one Token / EncodingAESKey / ReceiveId. */
export interface WeComCrypto {
  readonly receiveId: string;
  /** URL verification (the GET WeCom's console sends): checks the signature and returns the decrypted echostr. */
  verifyUrl(msgSignature: string, timestamp: string, nonce: string, echostr: string): string;
  /** Checks the signature, decrypts, and checks padding, length and receive id; returns the message. */
  decrypt(msgSignature: string, timestamp: string, nonce: string, encrypt: string): string;
  /** Encrypts a message as WeCom does and signs it (timestamp defaults to now in seconds, nonce to 10 random digits). */
  encrypt(message: string, timestamp?: string, nonce?: string): EncryptedMessage;
  /** The msg_signature of an encrypted payload under this token. */
  signature(timestamp: string, nonce: string, encrypt: string): string;
}

/** The AES key, its IV and the receive id of one WXBizMsgCrypt. */
interface Keys {
  key: Buffer;
  iv: Buffer;
  receiveId: string;
  receiveIdBytes: Buffer;
}

/** Throws `bad_signature` unless msg_signature is SHA-1(sort(token, timestamp, nonce, encrypt)). */
function checkSignature(token: string, msgSignature: string, timestamp: string, nonce: string, encrypt: string): void {
  const expected = Buffer.from(computeSignature(token, String(timestamp), String(nonce), String(encrypt)), 'latin1');
  const given = Buffer.from(String(msgSignature ?? '').toLowerCase(), 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new WeComCryptoError(
      'bad_signature',
      'msg_signature does not match SHA-1(sort(token, timestamp, nonce, encrypt)): wrong Token, or the payload was altered',
    );
  }
}

/** Decrypts a payload and checks its padding, length field and receive id; returns the message. */
function open(k: Keys, encrypt: string): string {
  if (typeof encrypt !== 'string' || !BASE64.test(encrypt)) throw new WeComCryptoError('malformed', 'the encrypted payload is not base64');
  const cipherText = Buffer.from(encrypt, 'base64');
  if (cipherText.length === 0 || cipherText.length % WECOM_PAD_BLOCK !== 0) {
    throw new WeComCryptoError('bad_length', `ciphertext is ${cipherText.length} bytes; WeCom ciphertexts are a positive multiple of ${WECOM_PAD_BLOCK}`);
  }
  const decipher = createDecipheriv('aes-256-cbc', k.key, k.iv);
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(cipherText), decipher.final()]);
  const plain = pkcs7Unpad(padded);
  if (plain.length < RANDOM_PREFIX + LENGTH_FIELD)
    throw new WeComCryptoError('bad_length', `plaintext is ${plain.length} bytes, shorter than the 20-byte random prefix and length field`);
  const msgLength = plain.readUInt32BE(RANDOM_PREFIX);
  const msgStart = RANDOM_PREFIX + LENGTH_FIELD;
  if (msgLength > plain.length - msgStart)
    throw new WeComCryptoError('bad_length', `message length field says ${msgLength} bytes but only ${plain.length - msgStart} follow`);
  const idBytes = plain.subarray(msgStart + msgLength);
  if (!idBytes.equals(k.receiveIdBytes)) {
    throw new WeComCryptoError('bad_corp_id', `the message is addressed to receive id "${idBytes.toString('utf8')}", not "${k.receiveId}"`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain.subarray(msgStart, msgStart + msgLength));
  } catch {
    throw new WeComCryptoError('malformed', 'the decrypted message is not valid UTF-8');
  }
}

/** Encrypts a message as WeCom does: random prefix, length, message, receive id, PKCS#7 to 32 bytes, base64. */
function seal(k: Keys, message: string, random: (n: number) => Buffer): string {
  const msg = Buffer.from(message, 'utf8');
  const prefix = random(RANDOM_PREFIX);
  if (prefix.length !== RANDOM_PREFIX) throw new Error(`randomBytes(${RANDOM_PREFIX}) returned ${prefix.length} bytes`);
  const length = Buffer.alloc(LENGTH_FIELD);
  length.writeUInt32BE(msg.length);
  const cipher = createCipheriv('aes-256-cbc', k.key, k.iv);
  cipher.setAutoPadding(false);
  const padded = pkcs7Pad(Buffer.concat([prefix, length, msg, k.receiveIdBytes]));
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

/** Builds a WXBizMsgCrypt; the EncodingAESKey is validated here (reason `bad_key`). */
export function createWeComCrypto(options: WeComCryptoOptions): WeComCrypto {
  const { token, receiveId } = options;
  if (typeof token !== 'string' || token.length === 0)
    throw new WeComCryptoError('bad_key', 'token must be a non-empty string (the callback Token from the WeCom console)');
  if (typeof receiveId !== 'string') throw new WeComCryptoError('bad_key', 'receiveId must be a string (the corp id for a corp app)');
  const key = decodeEncodingAesKey(options.encodingAesKey);
  const keys: Keys = { key, iv: key.subarray(0, 16), receiveId, receiveIdBytes: Buffer.from(receiveId, 'utf8') };
  const random = options.randomBytes ?? nodeRandomBytes;
  const now = options.now ?? Date.now;

  return {
    receiveId,
    verifyUrl(msgSignature, timestamp, nonce, echostr) {
      checkSignature(token, msgSignature, timestamp, nonce, echostr);
      return open(keys, echostr);
    },
    decrypt(msgSignature, timestamp, nonce, encrypt) {
      checkSignature(token, msgSignature, timestamp, nonce, encrypt);
      return open(keys, encrypt);
    },
    encrypt(message, timestamp, nonce) {
      const ts = timestamp ?? String(Math.floor(now() / 1000));
      const n = nonce ?? randomNonce(random);
      const encrypt = seal(keys, message, random);
      return { encrypt, msgSignature: computeSignature(token, ts, n, encrypt), timestamp: ts, nonce: n };
    },
    signature(timestamp, nonce, encrypt) {
      return computeSignature(token, timestamp, nonce, encrypt);
    },
  };
}

/** Ten decimal digits, like the nonces WeCom sends. */
function randomNonce(random: (n: number) => Buffer): string {
  const bytes = random(16);
  let s = '';
  for (let i = 0; s.length < 10 && i < bytes.length; i++) if (bytes[i] < 250) s += String(bytes[i] % 10);
  return s.padEnd(10, '7');
}
