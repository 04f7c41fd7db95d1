import type { Kysely } from 'kysely';
import type { PiiCipher } from '../platform/crypto.js';
import { type CiphertextStore, keysetStore } from '../platform/reencrypt.js';

/** The stored rendering of a message with its encrypted address re-encrypted, or undefined when it is current (dispatch/render.ts writes it). */
function rewriteRendered(doc: unknown, cipher: PiiCipher): unknown {
  const d = doc as { addressEnc?: unknown } | null;
  if (!d || typeof d !== 'object' || typeof d.addressEnc !== 'string' || cipher.isCurrent(d.addressEnc)) return undefined;
  return { ...d, addressEnc: cipher.reencrypt(d.addressEnc) };
}

/** Messaging's ciphertext for key rotation: channel secrets and the addresses in messages' stored renderings. */
export function messagingCiphertextStores(database: { db: Kysely<any> }): CiphertextStore[] {
  return [
    keysetStore('messaging.channel_configs', { db: database.db, table: 'channel_configs', keys: ['channel'], columns: [{ name: 'secrets_enc' }] }),
    keysetStore('messaging.messages', { db: database.db, table: 'messages', keys: ['id'], columns: [{ name: 'rendered', rewrite: rewriteRendered }] }),
  ];
}
