import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { classify } from '../access/index.js';
import { createPiiCipher } from '../platform/crypto.js';
import { type RotationDeps, rotationStep, runRotations, startRotation } from '../platform/key-rotation.js';
import { keyRotationDeps } from '../server/deps.js';

describeEngines('PII envelope encryption: per-workspace data keys, rotation in the background, legacy tokens', (engine) => {
  let t: TestApp;
  const db = () => t.database.db as any;
  const identify = async (writeKey: string, userId: string, traits: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(writeKey) }, payload: { userId, traits } });
    expect(res.statusCode, res.body).toBeLessThan(300);
  };
  const api = (secretKey: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${secretKey}` }, ...(payload ? { payload } : {}) });
  const tokensOf = async (ws: string): Promise<string[]> => {
    const ids = await db().selectFrom('identities').select('value_enc').where('workspace_id', '=', ws).where('value_enc', 'is not', null).execute();
    const ch = await db().selectFrom('channel_configs').select('secrets_enc').where('workspace_id', '=', ws).where('secrets_enc', 'is not', null).execute();
    return [...ids.map((r: any) => r.value_enc), ...ch.map((r: any) => r.secrets_enc)];
  };
  /** Rotation deps as the root builds them, with small batches and no wait (one process: its cache is refreshed at once). */
  const deps = (over: Partial<RotationDeps> = {}): RotationDeps => ({ ...keyRotationDeps(t.services), graceMs: 0, batchSize: 3, ...over });
  const phoneLookup = async (secretKey: string, phone: string) => api(secretKey, 'GET', `/v1/profiles/phone:${encodeURIComponent(phone)}`);

  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  it('gives each workspace its own data key and blind-index key: a ciphertext of A does not decrypt with B’s key', async () => {
    const a = await t.newWorkspace('A');
    const b = await t.newWorkspace('B');
    await identify(a.writeKey, 'u-a', { phone: '13800138000', email: 'same@example.cn' });
    await identify(b.writeKey, 'u-b', { phone: '13800138000', email: 'same@example.cn' });
    await t.services.writer.drain();
    const row = async (ws: string) =>
      db().selectFrom('identities').select(['id_key', 'value_enc']).where('workspace_id', '=', ws).where('id_type', '=', 'phone').executeTakeFirstOrThrow();
    const [ra, rb] = [await row(a.workspaceId), await row(b.workspaceId)];
    expect(ra.value_enc.startsWith('v2.1.')).toBe(true);
    expect(ra.value_enc).not.toContain('138');
    // Equal phones in two workspaces: different lookup keys, so rows cannot be joined across tenants.
    expect(ra.id_key).not.toBe(rb.id_key);
    const ca = await t.services.cipher.forWorkspace(a.workspaceId);
    const cb = await t.services.cipher.forWorkspace(b.workspaceId);
    expect(ca.decrypt(ra.value_enc)).toBe('+8613800138000');
    expect(() => cb.decrypt(ra.value_enc)).toThrow();
    // The keys are stored wrapped, never in clear, and differ per workspace.
    const keys = await db()
      .selectFrom('data_keys')
      .select(['workspace_id', 'wrapped_key', 'state'])
      .where('workspace_id', 'in', [a.workspaceId, b.workspaceId])
      .execute();
    expect(keys).toHaveLength(2);
    expect(keys.every((k: any) => k.state === 'active' && k.wrapped_key.startsWith('k1.'))).toBe(true);
    expect(keys[0].wrapped_key).not.toBe(keys[1].wrapped_key);
    // One ID still finds people by phone and email.
    expect((await phoneLookup(a.secretKey, '+8613800138000')).statusCode).toBe(200);
    const byEmail = await api(a.secretKey, 'GET', '/v1/profiles/email:same@example.cn');
    expect(byEmail.statusCode).toBe(200);
    expect(JSON.parse(byEmail.body).identifiers).toContainEqual(expect.objectContaining({ type: 'phone', value: '+8613800138000' }));
  });

  it('rotates while writes continue: new writes use the new version at once, every old ciphertext is re-encrypted, the old version retired', async () => {
    const w = await t.newWorkspace('rotating');
    for (let i = 0; i < 10; i++) await identify(w.writeKey, `r-${i}`, { phone: `1390000${String(i).padStart(4, '0')}`, email: `r${i}@example.cn` });
    await t.services.writer.drain();
    const put = await api(w.secretKey, 'PUT', '/v1/channels/webhook', { url: 'http://127.0.0.1:9/hook', signingSecret: 'webhook-secret-1' });
    expect(put.statusCode, put.body).toBe(200);
    const before = await tokensOf(w.workspaceId);
    expect(before.length).toBe(21);
    expect(before.every((tk) => tk.startsWith('v2.1.'))).toBe(true);

    const rotated = await api(w.secretKey, 'POST', '/v1/encryption/keys/rotate');
    expect(rotated.statusCode, rotated.body).toBe(202);
    const status = JSON.parse(rotated.body);
    expect(status.data.map((v: any) => [v.version, v.state])).toEqual([
      [2, 'active'],
      [1, 'retiring'],
    ]);
    expect(status.rotation).toMatchObject({ toVersion: 2, state: 'running', changed: 0 });
    // One rotation at a time.
    const again = await api(w.secretKey, 'POST', '/v1/encryption/keys/rotate');
    expect(again.statusCode).toBe(409);
    expect(JSON.parse(again.body).error.code).toBe('KEY_ROTATION_RUNNING');

    // Re-encryption waits until other processes' key caches have expired (their writes use the new version by then).
    expect(await rotationStep(deps(), 'test-runner', { workspaceId: w.workspaceId })).toBe(false);
    t.clock.advance(61_000);
    // Batches of 3, with new customers arriving between them.
    const d = deps();
    let n = 0;
    while (await rotationStep(d, 'test-runner', { workspaceId: w.workspaceId })) {
      await identify(w.writeKey, `late-${n}`, { phone: `1370000${String(n).padStart(4, '0')}` });
      await t.services.writer.drain();
      n++;
    }
    expect(n).toBeGreaterThan(5);
    const after = await tokensOf(w.workspaceId);
    expect(after.length).toBe(21 + n);
    expect(after.filter((tk) => !tk.startsWith('v2.2.'))).toEqual([]);
    for (const s of d.stores) expect(await s.remaining(w.workspaceId, await t.services.cipher.forWorkspace(w.workspaceId)), s.name).toBe(0);
    const done = JSON.parse((await api(w.secretKey, 'GET', '/v1/encryption/keys')).body);
    expect(done.data.map((v: any) => [v.version, v.state])).toEqual([
      [2, 'active'],
      [1, 'retired'],
    ]);
    expect(done.rotation).toMatchObject({ state: 'done', changed: 21 });
    expect(done.rotation.stores.every((s: any) => s.done)).toBe(true);
    expect(JSON.stringify(done)).not.toContain('k1.');
    // One ID after rotation: old and new people found by phone and email, values decrypted.
    const old = await phoneLookup(w.secretKey, '+8613900000003');
    expect(old.statusCode).toBe(200);
    expect(JSON.parse(old.body).identifiers).toContainEqual(expect.objectContaining({ type: 'email', value: 'r3@example.cn' }));
    expect((await phoneLookup(w.secretKey, '+8613700000000')).statusCode).toBe(200);
    expect((await api(w.secretKey, 'GET', '/v1/profiles/email:r9@example.cn')).statusCode).toBe(200);
    // The channel secret still works (re-encrypted, read back through the channel's configuration).
    const cfg = await db().selectFrom('channel_configs').select('secrets_enc').where('workspace_id', '=', w.workspaceId).executeTakeFirstOrThrow();
    expect(JSON.parse((await t.services.cipher.forWorkspace(w.workspaceId)).decrypt(cfg.secrets_enc))).toEqual({ signingSecret: 'webhook-secret-1' });
  });

  it('resumes a rotation interrupted between batches (a crash): another process takes over after the lease, nothing is re-encrypted twice', async () => {
    const w = await t.newWorkspace('crash');
    for (let i = 0; i < 8; i++) await identify(w.writeKey, `c-${i}`, { phone: `1360000${String(i).padStart(4, '0')}` });
    await t.services.writer.drain();
    expect((await api(w.secretKey, 'POST', '/v1/encryption/keys/rotate')).statusCode).toBe(202);
    t.clock.advance(61_000);
    const d = deps({ leaseMs: 60_000 });
    // Process 1 does two batches of 3, then dies (kill -9: its lease stays in the row).
    expect(await rotationStep(d, 'process-1', { workspaceId: w.workspaceId })).toBe(true);
    expect(await rotationStep(d, 'process-1', { workspaceId: w.workspaceId })).toBe(true);
    const mid = await tokensOf(w.workspaceId);
    expect(mid.filter((tk) => tk.startsWith('v2.2.'))).toHaveLength(6);
    const progress = await db()
      .selectFrom('key_rotations')
      .select(['progress', 'changed', 'lease_owner'])
      .where('workspace_id', '=', w.workspaceId)
      .executeTakeFirstOrThrow();
    expect(progress.lease_owner).toBe('process-1');
    expect(progress.changed).toBe(6);
    // Process 2 cannot take it while the lease holds...
    await rotationStep(d, 'process-2', { workspaceId: w.workspaceId });
    expect((await tokensOf(w.workspaceId)).filter((tk) => tk.startsWith('v2.2.'))).toHaveLength(6);
    // ...and finishes it once the lease has expired, from the recorded cursor.
    t.clock.advance(61_000);
    await runRotations(d, 'process-2', { workspaceId: w.workspaceId });
    expect((await tokensOf(w.workspaceId)).every((tk) => tk.startsWith('v2.2.'))).toBe(true);
    const end = await db()
      .selectFrom('key_rotations')
      .select(['state', 'changed', 'lease_owner'])
      .where('workspace_id', '=', w.workspaceId)
      .executeTakeFirstOrThrow();
    expect(end).toEqual({ state: 'done', changed: 8, lease_owner: null });
    const states = await db().selectFrom('data_keys').select(['version', 'state']).where('workspace_id', '=', w.workspaceId).orderBy('version').execute();
    expect(states).toEqual([
      { version: 1, state: 'retired' },
      { version: 2, state: 'active' },
    ]);
  });

  it('reads legacy v1 tokens and lookups of a workspace older than envelope encryption, and a rotation rewrites them', async () => {
    const w = await t.newWorkspace('legacy');
    // As migration 0046 marks the workspaces it finds: lookups under the key derived from the server key.
    await db().insertInto('blind_index_keys').values({ workspace_id: w.workspaceId, wrapped_key: null, legacy: 1, created_at: t.clock.now() }).execute();
    await identify(w.writeKey, 'old-1', { phone: '13500000001', email: 'old@example.cn' });
    await t.services.writer.drain();
    const legacy = createPiiCipher(t.services.config.encryptionKey);
    const rows = await db()
      .selectFrom('identities')
      .select(['id_type', 'id_key'])
      .where('workspace_id', '=', w.workspaceId)
      .where('value_enc', 'is not', null)
      .execute();
    // The identities of before: legacy lookup keys and v1 ciphertext.
    expect(rows.find((r: any) => r.id_type === 'phone').id_key).toBe(legacy.lookupKey('phone', '+8613500000001'));
    for (const [type, value] of [
      ['phone', '+8613500000001'],
      ['email', 'old@example.cn'],
    ])
      await db()
        .updateTable('identities')
        .set({ value_enc: legacy.encrypt(value!) })
        .where('workspace_id', '=', w.workspaceId)
        .where('id_type', '=', type)
        .execute();
    expect((await tokensOf(w.workspaceId)).every((tk) => tk.startsWith('v1.'))).toBe(true);
    const found = await phoneLookup(w.secretKey, '+8613500000001');
    expect(found.statusCode).toBe(200);
    expect(JSON.parse(found.body).identifiers).toContainEqual(expect.objectContaining({ type: 'email', value: 'old@example.cn' }));
    // The legacy lookup key is now stored wrapped, so a server-key rotation keeps it.
    const idx = await db().selectFrom('blind_index_keys').select(['wrapped_key', 'legacy']).where('workspace_id', '=', w.workspaceId).executeTakeFirstOrThrow();
    expect(idx.legacy).toBe(1);
    expect(idx.wrapped_key.startsWith('k1.')).toBe(true);

    expect((await api(w.secretKey, 'POST', '/v1/encryption/keys/rotate')).statusCode).toBe(202);
    t.clock.advance(61_000);
    await runRotations(deps(), 'test', { workspaceId: w.workspaceId });
    expect((await tokensOf(w.workspaceId)).every((tk) => tk.startsWith('v2.2.'))).toBe(true);
    const again = await phoneLookup(w.secretKey, '+8613500000001');
    expect(JSON.parse(again.body).identifiers).toContainEqual(expect.objectContaining({ type: 'email', value: 'old@example.cn' }));
  });

  it('re-encrypts the WeCom connection’s secrets (SCRM’s store: one row per workspace)', async () => {
    const w = await t.newWorkspace('wecom');
    const c1 = await t.services.cipher.forWorkspace(w.workspaceId);
    await db()
      .insertInto('wecom_apps')
      .values({
        workspace_id: w.workspaceId,
        corp_id: 'ww-test',
        agent_id: null,
        secret_enc: c1.encrypt('corp-secret'),
        callback_token_enc: c1.encrypt('cb-token'),
        encoding_aes_key_enc: c1.encrypt('aes-key'),
        api_base_url: 'http://127.0.0.1:9',
        created_at: t.clock.now(),
        updated_at: t.clock.now(),
      })
      .execute();
    const d = deps();
    await startRotation(d, w.workspaceId);
    await runRotations(d, 'test', { workspaceId: w.workspaceId });
    const row = await db().selectFrom('wecom_apps').selectAll().where('workspace_id', '=', w.workspaceId).executeTakeFirstOrThrow();
    const c2 = await t.services.cipher.forWorkspace(w.workspaceId);
    expect([row.secret_enc, row.callback_token_enc, row.encoding_aes_key_enc].map((tk: string) => [tk.slice(0, 5), c2.decrypt(tk)])).toEqual([
      ['v2.2.', 'corp-secret'],
      ['v2.2.', 'cb-token'],
      ['v2.2.', 'aes-key'],
    ]);
  });

  it('never caches a key created inside a transaction that rolls back (the next use creates and stores another)', async () => {
    const w = await t.newWorkspace('rolled back');
    let inside = '';
    await expect(
      t.database.db.transaction().execute(async (trx) => {
        inside = (await t.services.cipher.forWorkspace(w.workspaceId, trx)).encrypt('x');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db().selectFrom('data_keys').select('version').where('workspace_id', '=', w.workspaceId).execute()).toEqual([]);
    const after = await t.services.cipher.forWorkspace(w.workspaceId);
    // The key of the rolled-back transaction is gone: its ciphertext does not decrypt under the stored key.
    expect(() => after.decrypt(inside)).toThrow();
    expect(after.decrypt(after.encrypt('y'))).toBe('y');
    expect(await db().selectFrom('data_keys').select('version').where('workspace_id', '=', w.workspaceId).execute()).toEqual([{ version: 1 }]);
  });

  it('is the owner’s: the routes are classified admin', () => {
    expect(classify('GET', '/v1/encryption/keys')).toBe('admin');
    expect(classify('POST', '/v1/encryption/keys/rotate')).toBe('admin');
  });
});
