import type { Kysely } from 'kysely';
import { type CiphertextStore, keysetStore } from '../platform/reencrypt.js';

/** SCRM's ciphertext for key rotation: the WeCom connection's secrets (one row per workspace). */
export function scrmCiphertextStores(database: { db: Kysely<any> }): CiphertextStore[] {
  return [
    keysetStore('scrm.wecom_apps', {
      db: database.db,
      table: 'wecom_apps',
      keys: [],
      columns: [{ name: 'secret_enc' }, { name: 'callback_token_enc' }, { name: 'encoding_aes_key_enc' }],
    }),
  ];
}
