import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { rewrapKeys } from '../platform/key-rotation.js';
import { createKeyring } from '../platform/keys.js';
import { keysRotateCommand } from './keys.js';

describeEngines('siyu keys rotate and rewrap', (engine) => {
  let t: TestApp;
  const db = () => t.database.db as any;
  beforeAll(async () => {
    t = await createTestApp(engine);
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/identify',
        headers: { authorization: basic(t.writeKey) },
        payload: { userId: `k-${i}`, traits: { phone: `1380000000${i}`, email: `k${i}@example.cn` } },
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
    }
    await t.services.writer.drain();
  });
  afterAll(async () => t?.close());

  it('rotates the named workspace and re-encrypts its values before returning (--now: no other process)', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const [s] = await keysRotateCommand(t.services, { workspace: t.workspaceId, now: true, json: true });
      expect(s!.versions.map((v) => [v.version, v.state])).toEqual([
        [2, 'active'],
        [1, 'retired'],
      ]);
      expect(s!.rotation).toMatchObject({ state: 'done', changed: 10 });
    } finally {
      out.mockRestore();
    }
    const tokens = await db()
      .selectFrom('identities')
      .select('value_enc')
      .where('workspace_id', '=', t.workspaceId)
      .where('value_enc', 'is not', null)
      .execute();
    expect(tokens.every((r: any) => r.value_enc.startsWith('v2.2.'))).toBe(true);
  });

  it('rewraps every key under a new server key; a process holding only the new key then reads and looks up everything', async () => {
    const oldKey = t.services.config.encryptionKey;
    const newKey = randomBytes(32);
    const before = await t.services.cipher.forWorkspace(t.workspaceId);
    const row = await db()
      .selectFrom('identities')
      .select(['id_key', 'value_enc'])
      .where('workspace_id', '=', t.workspaceId)
      .where('id_type', '=', 'phone')
      .executeTakeFirstOrThrow();
    // The new key alone cannot unwrap the old wrapping.
    await expect(createKeyring(t.database, { masterKey: newKey, now: () => t.clock.now() }).forWorkspace(t.workspaceId)).rejects.toThrow(
      /SIYU_ENCRYPTION_KEY_PREVIOUS/,
    );
    const during = createKeyring(t.database, { masterKey: newKey, previousMasterKey: oldKey, now: () => t.clock.now() });
    const n = await rewrapKeys({ database: t.database, masterKey: newKey, previousMasterKey: oldKey, keyring: during });
    expect(n).toBeGreaterThanOrEqual(3); // two data key versions and the lookup key of this workspace
    const after = await createKeyring(t.database, { masterKey: newKey, now: () => t.clock.now() }).forWorkspace(t.workspaceId);
    expect(after.decrypt(row.value_enc)).toBe(before.decrypt(row.value_enc));
    expect(after.lookupKey('phone', '+8613800000003')).toBe(before.lookupKey('phone', '+8613800000003'));
    expect(row.id_key).toBe(after.lookupKey('phone', before.decrypt(row.value_enc)));
    // Rewrapping again changes nothing.
    expect(
      await rewrapKeys({ database: t.database, masterKey: newKey, keyring: createKeyring(t.database, { masterKey: newKey, now: () => t.clock.now() }) }),
    ).toBe(0);
  });
});
