import type { Kysely } from 'kysely';
import { type CiphertextStore, keysetStore } from '../platform/reencrypt.js';

/** The CDP's ciphertext for key rotation: the encrypted values of PII identifiers (`identities.value_enc`). */
export function cdpCiphertextStores(database: { db: Kysely<any> }): CiphertextStore[] {
  return [keysetStore('cdp.identities', { db: database.db, table: 'identities', keys: ['id_type', 'id_key'], columns: [{ name: 'value_enc' }] })];
}
