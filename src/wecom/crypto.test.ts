import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeSignature, createWeComCrypto, decodeEncodingAesKey, pkcs7Pad, pkcs7Unpad, WeComCryptoError, type WeComCryptoErrorReason } from './crypto.js';

// The values of WeCom's published samples (Sample.cpp / Sample.java of the WXBizMsgCrypt download).
const TOKEN = 'QDG6eK';
const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const CORP_ID = 'wx5823bf96d3bd56c7';
const KEY = Buffer.from(AES_KEY + '=', 'base64');

const fixedRandom = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i));
const crypto = createWeComCrypto({ token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID });

/** AES-256-CBC over an already padded plaintext, without Node's padding: for forging bad payloads. */
function rawSeal(plain: Buffer): string {
  const c = createCipheriv('aes-256-cbc', KEY, KEY.subarray(0, 16));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]).toString('base64');
}

function rawOpen(encrypt: string): Buffer {
  const d = createDecipheriv('aes-256-cbc', KEY, KEY.subarray(0, 16));
  d.setAutoPadding(false);
  return Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()]);
}

function layout(message: Buffer, receiveId = CORP_ID, lengthField = message.length): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(lengthField);
  return Buffer.concat([fixedRandom(16), len, message, Buffer.from(receiveId)]);
}

function decryptForged(plain: Buffer): () => unknown {
  const encrypt = rawSeal(plain);
  return () => crypto.decrypt(computeSignature(TOKEN, '1', '2', encrypt), '1', '2', encrypt);
}

function reasonOf(fn: () => unknown): WeComCryptoErrorReason | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    if (err instanceof WeComCryptoError) return err.reason;
    throw err;
  }
}

describe('WeCom published sample vectors', () => {
  it('verifies the sample URL-verification request and returns the echostr plaintext', () => {
    const echostr = 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==';
    expect(crypto.verifyUrl('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', '1409659589', '263014780', echostr)).toBe('1616140317555161061');
  });

  it('decrypts the sample callback to its text message', () => {
    const encrypt =
      'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
    const xml = crypto.decrypt('477715d11cdb4164915debcba66cb864d751f3e6', '1409659813', '1372623149', encrypt);
    expect(xml).toContain('<FromUserName><![CDATA[mycreate]]></FromUserName>');
    expect(xml).toContain('<Content><![CDATA[hello]]></Content>');
    expect(xml).toContain('<MsgId>4561255354251345929</MsgId>');
  });
});

describe('a vector built step by step from the published algorithm', () => {
  // Expected values computed outside this code: `openssl enc -aes-256-cbc -nopad` over the layout
  // below and Python's hashlib.sha1 over the sorted strings.
  const EXPECTED_ENCRYPT = 'JVwoIzeb5XuqKIT2XqjnoIZPEbw+dYmLUJUaGpkf7m0RgHp8ZdcaQCcpZrl1PjI9Rr0+RwTjUtwSJKMKZMJAWQ==';
  const EXPECTED_SIGNATURE = '32eecec8c577df1a31cb00b36775e1545cb197b3';
  const fixed = createWeComCrypto({ token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID, randomBytes: fixedRandom });
  const out = fixed.encrypt('hello', '1409659813', '1372623149');

  it('derives the key from EncodingAESKey + "=" and uses its first 16 bytes as IV', () => {
    expect(decodeEncodingAesKey(AES_KEY).toString('hex')).toBe('8d69989bbaabe67328014c194631ad0719b3dca035b64023df292447aab60760');
  });

  it('lays out random(16) + big-endian length + message + corp id, padded to 32 with PKCS#7', () => {
    const plain = rawOpen(out.encrypt);
    expect(plain.length).toBe(64); // 16 + 4 + 5 + 18 = 43 bytes → 64
    expect(plain.subarray(0, 16)).toEqual(fixedRandom(16));
    expect(plain.subarray(16, 20).toString('hex')).toBe('00000005');
    expect(plain.subarray(20, 25).toString()).toBe('hello');
    expect(plain.subarray(25, 43).toString()).toBe(CORP_ID);
    expect([...plain.subarray(43)]).toEqual(Array(21).fill(21));
  });

  it('produces the expected ciphertext and msg_signature', () => {
    expect(out.encrypt).toBe(EXPECTED_ENCRYPT);
    expect(out.msgSignature).toBe(EXPECTED_SIGNATURE);
    const sorted = ['1372623149', '1409659813', EXPECTED_ENCRYPT, TOKEN];
    expect(createHash('sha1').update(sorted.join('')).digest('hex')).toBe(EXPECTED_SIGNATURE);
    expect(computeSignature(TOKEN, '1409659813', '1372623149', EXPECTED_ENCRYPT)).toBe(EXPECTED_SIGNATURE);
    expect(crypto.decrypt(EXPECTED_SIGNATURE, '1409659813', '1372623149', EXPECTED_ENCRYPT)).toBe('hello');
  });
});

describe('round trips', () => {
  it('decrypts what it encrypts, with a fresh random prefix each time', () => {
    const a = crypto.encrypt('<xml><Content><![CDATA[hi]]></Content></xml>');
    const b = crypto.encrypt('<xml><Content><![CDATA[hi]]></Content></xml>', a.timestamp, a.nonce);
    expect(a.encrypt).not.toBe(b.encrypt);
    expect(a.timestamp).toMatch(/^\d{10}$/);
    expect(a.nonce).toMatch(/^\d{10}$/);
    expect(crypto.decrypt(a.msgSignature, a.timestamp, a.nonce, a.encrypt)).toBe('<xml><Content><![CDATA[hi]]></Content></xml>');
  });

  it('keeps unicode intact and writes the length in UTF-8 bytes', () => {
    const message = '你好，客户 🎉 café';
    const out = crypto.encrypt(message);
    expect(rawOpen(out.encrypt).readUInt32BE(16)).toBe(Buffer.byteLength(message));
    expect(crypto.decrypt(out.msgSignature, out.timestamp, out.nonce, out.encrypt)).toBe(message);
  });

  it('adds a whole 32-byte block of padding when the layout is already a multiple of 32', () => {
    const message = 'a'.repeat(26); // 16 + 4 + 26 + 18 = 64
    const out = crypto.encrypt(message);
    const plain = rawOpen(out.encrypt);
    expect(plain.length).toBe(96);
    expect([...plain.subarray(64)]).toEqual(Array(32).fill(32));
    expect(crypto.decrypt(out.msgSignature, out.timestamp, out.nonce, out.encrypt)).toBe(message);
  });

  it('round-trips any message and receive id (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 40 }), (message, receiveId) => {
        const c = createWeComCrypto({ token: 't0k', encodingAesKey: AES_KEY, receiveId });
        const out = c.encrypt(message);
        expect(Buffer.from(out.encrypt, 'base64').length % 32).toBe(0);
        expect(c.decrypt(out.msgSignature, out.timestamp, out.nonce, out.encrypt)).toBe(message);
      }),
      { numRuns: 200 },
    );
  });

  it('pads to 32 and unpads every length (PKCS#7)', () => {
    for (let n = 0; n <= 70; n++) {
      const data = Buffer.alloc(n, 7);
      const padded = pkcs7Pad(data);
      expect(padded.length % 32).toBe(0);
      expect(padded.length - n).toBeGreaterThanOrEqual(1);
      expect(padded.length - n).toBeLessThanOrEqual(32);
      expect(pkcs7Unpad(padded)).toEqual(data);
    }
  });
});

describe('rejections, each with its reason', () => {
  const good = crypto.encrypt('<xml/>', '1700000000', '42');

  it('bad_signature: wrong signature, altered ciphertext, other token', () => {
    expect(reasonOf(() => crypto.decrypt('0'.repeat(40), good.timestamp, good.nonce, good.encrypt))).toBe('bad_signature');
    expect(reasonOf(() => crypto.decrypt(good.msgSignature, '1700000001', good.nonce, good.encrypt))).toBe('bad_signature');
    const altered = (good.encrypt[0] === 'A' ? 'B' : 'A') + good.encrypt.slice(1);
    expect(reasonOf(() => crypto.decrypt(good.msgSignature, good.timestamp, good.nonce, altered))).toBe('bad_signature');
    const other = createWeComCrypto({ token: 'other', encodingAesKey: AES_KEY, receiveId: CORP_ID });
    expect(reasonOf(() => other.decrypt(good.msgSignature, good.timestamp, good.nonce, good.encrypt))).toBe('bad_signature');
    expect(reasonOf(() => crypto.verifyUrl('', good.timestamp, good.nonce, good.encrypt))).toBe('bad_signature');
  });

  it('accepts the signature in upper case hex too', () => {
    expect(crypto.decrypt(good.msgSignature.toUpperCase(), good.timestamp, good.nonce, good.encrypt)).toBe('<xml/>');
  });

  it('bad_corp_id: addressed to another receive id', () => {
    const other = createWeComCrypto({ token: TOKEN, encodingAesKey: AES_KEY, receiveId: 'ww0000000000000000' });
    expect(reasonOf(() => other.decrypt(good.msgSignature, good.timestamp, good.nonce, good.encrypt))).toBe('bad_corp_id');
    expect(reasonOf(decryptForged(pkcs7Pad(layout(Buffer.from('x'), CORP_ID + 'x'))))).toBe('bad_corp_id');
  });

  it('bad_padding: pad byte 0, pad byte above 32, unequal pad bytes', () => {
    const body = layout(Buffer.from('hello')); // 43 bytes
    const zero = Buffer.concat([body, Buffer.alloc(21, 0)]);
    const big = Buffer.concat([body, Buffer.alloc(21 + 32, 33)]); // 96 bytes ending in 33
    const unequal = Buffer.concat([body, Buffer.alloc(20, 20), Buffer.from([21])]);
    for (const plain of [zero, big, unequal]) expect(reasonOf(decryptForged(plain))).toBe('bad_padding');
  });

  it('bad_length: ciphertext not a multiple of 32, length field past the end, plaintext too short', () => {
    const sixteen = rawSeal(Buffer.alloc(16, 16));
    expect(reasonOf(() => crypto.decrypt(computeSignature(TOKEN, '1', '2', sixteen), '1', '2', sixteen))).toBe('bad_length');
    // padded to AES's 16-byte block (43 → 48 bytes), as Node's own padding would do: not WeCom's
    expect(reasonOf(decryptForged(pkcs7Pad(layout(Buffer.from('hello')), 16)))).toBe('bad_length');
    expect(reasonOf(decryptForged(pkcs7Pad(layout(Buffer.from('hello'), CORP_ID, 5000))))).toBe('bad_length');
    const short = Buffer.concat([fixedRandom(12), Buffer.alloc(20, 20)]); // 12 bytes after unpadding
    expect(reasonOf(decryptForged(short))).toBe('bad_length');
  });

  it('bad_key: wrong length or characters outside a-z, A-Z, 0-9', () => {
    for (const key of [AES_KEY.slice(1), AES_KEY + 'A', AES_KEY.slice(0, 42) + '+', AES_KEY.slice(0, 42) + '=', '', '中'.repeat(43)]) {
      expect(reasonOf(() => createWeComCrypto({ token: TOKEN, encodingAesKey: key, receiveId: CORP_ID }))).toBe('bad_key');
    }
    expect(reasonOf(() => createWeComCrypto({ token: '', encodingAesKey: AES_KEY, receiveId: CORP_ID }))).toBe('bad_key');
  });

  it('malformed: not base64, invalid UTF-8 inside', () => {
    expect(reasonOf(() => crypto.decrypt(computeSignature(TOKEN, '1', '2', 'not base64!'), '1', '2', 'not base64!'))).toBe('malformed');
    const badUtf8 = pkcs7Pad(layout(Buffer.from([0xff, 0xfe, 0x41])));
    expect(reasonOf(decryptForged(badUtf8))).toBe('malformed');
  });

  it('errors name what was wrong', () => {
    expect(() => createWeComCrypto({ token: TOKEN, encodingAesKey: 'short', receiveId: CORP_ID })).toThrow(/43 characters of a-z, A-Z and 0-9.*got 5/);
  });
});
