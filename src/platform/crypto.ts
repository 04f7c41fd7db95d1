import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Field-level encryption and keyed lookup hashing for PII of one workspace (keys.ts builds it from
 * the workspace's data keys: `PiiKeyring.forWorkspace`).
 */
export interface PiiCipher {
  /** Deterministic keyed hash (HMAC-SHA256, base64url, the workspace's blind-index key) so equal values can be looked up without storing them. */
  lookupKey(type: string, value: string): string;
  /** AES-256-GCM encryption under the active data key: `v2.<keyVersion>.<iv>.<tag>.<ciphertext>` in base64url. */
  encrypt(plain: string): string;
  /** Decrypts a `v2.` token of any of the workspace's key versions, or a legacy `v1.` token. */
  decrypt(token: string): string;
  /** Whether a token is under the active key version (a rotation leaves these alone). */
  isCurrent(token: string): boolean;
  /** The token under the active key version (itself when it already is). */
  reencrypt(token: string): string;
  /** The key version a token names (0 for a legacy `v1.` token). */
  version(token: string): number;
  /** The version `encrypt` writes under (0 for the legacy cipher). */
  readonly activeVersion: number;
}

/** The keys of the legacy `v1.` format, derived from the server key (one for every workspace). */
export function legacyKeys(masterKey: Buffer): { enc: Buffer; lookup: Buffer } {
  return {
    enc: createHmac('sha256', masterKey).update('siyu:pii:enc').digest(),
    lookup: createHmac('sha256', masterKey).update('siyu:pii:lookup').digest(),
  };
}

/**
 * The legacy cipher (`v1.` tokens, keys derived from the server key, the same for every
 * workspace), as Siyu wrote before per-workspace data keys; kept for tests of legacy data.
 */
export function createPiiCipher(masterKey: Buffer): PiiCipher {
  const { enc: encKey, lookup: macKey } = legacyKeys(masterKey);
  const encrypt = (plain: string) => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', encKey, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1.${iv.toString('base64url')}.${c.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
  };
  return {
    lookupKey(type, value) {
      return createHmac('sha256', macKey).update(type).update('\0').update(value).digest('base64url');
    },
    encrypt,
    decrypt(token) {
      const [v, iv, tag, body] = token.split('.');
      if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a Siyu PII token');
      const d = createDecipheriv('aes-256-gcm', encKey, Buffer.from(iv, 'base64url'));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
    },
    isCurrent: (token) => token.startsWith('v1.'),
    reencrypt: (token) => token,
    version: () => 0,
    activeVersion: 0,
  };
}

/** SHA-256 hex of an API key; keys are 192-bit random so a fast hash is enough to store them safely. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Masks a phone or email for logs: +86138****5678, a***@example.com. */
export function maskPii(value: string): string {
  const at = value.indexOf('@');
  if (at > 0) return `${value[0]}***${value.slice(at)}`;
  if (value.length <= 7) return '*'.repeat(value.length);
  return `${value.slice(0, value.length - 8)}****${value.slice(-4)}`;
}

/** Signs and verifies small JSON payloads (claim links, ...): nothing is stored per token, and an edited token fails verification. */
export interface TokenSigner {
  sign(payload: Record<string, unknown>): string;
  /** The payload, or undefined when the token is malformed or its signature is wrong. */
  verify(token: string): Record<string, unknown> | undefined;
}

/**
 * A signer under a key derived from the master key for one `purpose` (e.g. `siyu:loyalty:claims`),
 * so tokens of one purpose are never valid for another: base64url JSON, a dot, 16 bytes of HMAC-SHA256.
 */
export function createTokenSigner(masterKey: Buffer, purpose: string): TokenSigner {
  const key = createHmac('sha256', masterKey).update(purpose).digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest().subarray(0, 16);
  return {
    sign(payload) {
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify(token) {
      const dot = token.indexOf('.');
      if (dot <= 0) return undefined;
      const body = token.slice(0, dot);
      const sig = Buffer.from(token.slice(dot + 1), 'base64url');
      const want = mac(body);
      if (sig.length !== want.length || !timingSafeEqual(sig, want)) return undefined;
      try {
        const v: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
        return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
