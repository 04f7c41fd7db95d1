import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { runRotations, startRotation } from '../platform/key-rotation.js';
import { keyRotationDeps } from '../server/deps.js';
import { mdb } from './deps.js';
import { json, messagingTestApp, startHttpRecorder } from './test-kit.js';

describeEngines('messaging under a key rotation: the encrypted address of a sent message and the channel secrets', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let gw: Awaited<ReturnType<typeof startHttpRecorder>>;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    gw = await startHttpRecorder((_r, res) => json(res, 200, { code: 'OK', bizId: 'biz-1' }));
    const put = await k.api('PUT', '/v1/channels/sms', { endpoint: `${gw.url}/sms/send`, accessKeyId: 'AK1', signName: '思域', accessKeySecret: 'sk-sms' });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
    await k?.close();
  });

  it('re-encrypts messages’ stored addresses and channel secrets; the message still resolves to its phone', async () => {
    const pid = await k.profile('enc-1', { phone: '13800138009' });
    const sent = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'sms',
      purpose: 'service',
      content: { templateCode: 'SMS_1', params: {} },
      idempotencyKey: 'enc-1',
    });
    expect(sent.status).toBe(202);
    expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1 });
    const rendered = async () => {
      const row = await mdb(k.t.database.db).selectFrom('messages').select('rendered').where('id', '=', sent.body.id).executeTakeFirstOrThrow();
      return (typeof row.rendered === 'string' ? JSON.parse(row.rendered) : row.rendered) as { addressEnc: string };
    };
    expect((await rendered()).addressEnc.startsWith('v2.1.')).toBe(true);
    const deps = { ...keyRotationDeps(k.t.services), graceMs: 0, batchSize: 2 };
    await startRotation(deps, k.t.workspaceId);
    await runRotations(deps, 'test', { workspaceId: k.t.workspaceId });
    const after = await rendered();
    expect(after.addressEnc.startsWith('v2.2.')).toBe(true);
    const cipher = await k.t.services.cipher.forWorkspace(k.t.workspaceId);
    expect(cipher.decrypt(after.addressEnc)).toBe('+8613800138009');
    for (const s of deps.stores) expect(await s.remaining(k.t.workspaceId, cipher), s.name).toBe(0);
    const cfg = await mdb(k.t.database.db)
      .selectFrom('channel_configs')
      .select('secrets_enc')
      .where('workspace_id', '=', k.t.workspaceId)
      .where('channel', '=', 'sms')
      .executeTakeFirstOrThrow();
    expect(cfg.secrets_enc!.startsWith('v2.2.')).toBe(true);
    // The channel still sends with its re-encrypted secret.
    const again = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'sms',
      purpose: 'service',
      content: { templateCode: 'SMS_1', params: {} },
      idempotencyKey: 'enc-2',
    });
    expect(again.status).toBe(202);
    expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1 });
  });
});
