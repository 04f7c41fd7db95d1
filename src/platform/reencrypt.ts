import type { PiiCipher } from './crypto.js';

/**
 * The re-encryption port (issue #19, key rotation): each module that stores PII ciphertext
 * publishes a {@link CiphertextStore} from its index.ts that rewrites only its own tables; the
 * composition root hands them all to the rotation runner (key-rotation.ts), which names no
 * module's table.
 */
export interface CiphertextStore {
  /** `module.table` (`cdp.identities`), the key of its progress in a rotation. */
  name: string;
  /**
   * In one short transaction: of the next `limit` rows of the workspace after `cursor` (in key
   * order), rewrites every token that is not under the active key (`cipher.reencrypt`), each only if
   * it is still the token read (a concurrent writer wins). Returns where to go on from (null: the
   * end) and how many tokens changed. Running a batch twice changes nothing the second time.
   */
  reencrypt(workspaceId: string, cursor: string | null, limit: number, cipher: PiiCipher): Promise<{ cursor: string | null; changed: number }>;
  /** How many tokens of the workspace are not under the active key (a full read: for checks and tests). */
  remaining(workspaceId: string, cipher: PiiCipher): Promise<number>;
}

/** A keyset cursor of several key columns, as the stores write it. */
export const encodeCursor = (parts: string[]): string => JSON.stringify(parts);
export const decodeCursor = (cursor: string): string[] => JSON.parse(cursor) as string[];
