import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { hmacBase64, smsStringToSign } from './channels/sms.js';
import { webhookSignature } from './channels/webhook.js';
import { json, messagingTestApp, startHttpRecorder } from './test-kit.js';

describeEngines('channels over the wire', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  const mails: { from: string; to: string[]; raw: string }[] = [];
  let smtp: SMTPServer;
  let smtpPort: number;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'shop' && auth.password === 'pw-secret') return cb(null, { user: 'shop' });
        cb(new Error('bad credentials'));
      },
      onRcptTo(address, _session, cb) {
        if (address.address.endsWith('@bounce.test')) return cb(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? (session.envelope.mailFrom as { address: string }).address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    // Everyone in these tests opted in to marketing on every channel.
    await k.api('PATCH', '/v1/messaging/settings', { consent: { marketingRequiresOptIn: false }, linkBaseUrl: 'https://siyu.test' });
  });
  afterAll(async () => {
    if (smtp) await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await k?.close();
  });

  it('email: real SMTP, tracked links, open pixel, List-Unsubscribe; the timeline gets Message Sent, Opened, Clicked', async () => {
    const cfg = await k.api('PUT', '/v1/channels/email', {
      host: '127.0.0.1',
      port: smtpPort,
      ignoreTls: true,
      from: 'Siyu <shop@siyu.test>',
      user: 'shop',
      password: 'pw-secret',
    });
    expect(cfg.status).toBe(200);
    expect(cfg.body).toMatchObject({ configured: true, secretsSet: ['password'] });
    expect(JSON.stringify(cfg.body)).not.toContain('pw-secret');
    expect(JSON.stringify((await k.api('GET', '/v1/channels/email')).body)).not.toContain('pw-secret');
    const tpl = await k.api('POST', '/v1/templates', {
      name: 'promo-email',
      channel: 'email',
      variants: {
        'zh-CN': {
          subject: '{{ profile.name }}，新品上市',
          html: '<html><body><p>Hi {{ profile.name }}</p><a href="https://shop.test/p?id=1&amp;x=2">buy</a></body></html>',
          text: 'Hi {{ profile.name }} {{ unsubscribe_url }}',
        },
      },
    });
    const pid = await k.profile('u-mail', { name: '小李', email: 'li@example.com' });
    const sent = await k.api('POST', '/v1/messages', { profileId: pid, channel: 'email', templateId: tpl.body.id, idempotencyKey: 'mail-1' });
    expect(sent.status).toBe(202);
    const stats = await k.dispatcher.runOnce();
    expect(stats).toMatchObject({ claimed: 1, sent: 1 });
    const mail = mails.find((m) => m.to.includes('li@example.com'))!;
    expect(mail.raw).toContain(`Message-ID: <${sent.body.id}@siyu>`);
    expect(mail.raw).toMatch(/List-Unsubscribe:\s+<https:\/\/siyu\.test\/u\//);
    expect(mail.raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const msg = (await k.api('GET', `/v1/messages/${sent.body.id}`)).body;
    expect(msg).toMatchObject({ status: 'sent', attempts: 1, locale: 'zh-CN', providerMessageId: `<${sent.body.id}@siyu>` });
    const html = msg.rendered.html as string;
    expect(html).not.toContain('href="https://shop.test');
    const click = /href="https:\/\/siyu\.test(\/r\/[^"]+)"/.exec(html)![1]!;
    const pixel = /src="https:\/\/siyu\.test(\/o\/[^"]+)"/.exec(html)![1]!;
    expect((await k.events(pid, 'Message Sent'))[0]!.payload.properties).toMatchObject({
      messageId: sent.body.id,
      channel: 'email',
      templateId: tpl.body.id,
      templateVersion: 1,
    });

    const open = await k.t.app.inject({ method: 'GET', url: pixel });
    expect(open.headers['content-type']).toBe('image/gif');
    await k.t.app.inject({ method: 'GET', url: pixel });
    expect(await k.events(pid, 'Message Opened')).toHaveLength(1);
    const redirect = await k.t.app.inject({ method: 'GET', url: click });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('https://shop.test/p?id=1&x=2');
    expect((await k.events(pid, 'Message Clicked'))[0]!.payload.properties.url).toBe('https://shop.test/p?id=1&x=2');
    // A link whose target was edited is refused, never followed.
    const [body, sig] = click.slice(3).split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), u: 'https://evil.test' })).toString('base64url');
    const bad = await k.t.app.inject({ method: 'GET', url: `/r/${forged}.${sig}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('LINK_INVALID');
  });

  it('email: a 550 from the server fails the message with the SMTP code on the timeline', async () => {
    const pid = await k.profile('u-bounce', { email: 'gone@bounce.test' });
    const sent = await k.api('POST', '/v1/messages', {
      profileId: pid,
      channel: 'email',
      purpose: 'service',
      content: { subject: 'Order', text: 'shipped' },
      idempotencyKey: 'mail-bounce',
    });
    await k.dispatcher.runOnce();
    expect((await k.api('GET', `/v1/messages/${sent.body.id}`)).body).toMatchObject({ status: 'failed', errorCode: 'smtp:550' });
    expect((await k.events(pid, 'Message Failed'))[0]!.payload.properties.errorCode).toBe('smtp:550');
  });

  it('sms: the signed gateway request, then a signed delivery receipt marks it delivered', async () => {
    const gw = await startHttpRecorder((_r, res) => json(res, 200, { code: 'OK', bizId: 'biz-777' }));
    try {
      await k.api('PUT', '/v1/channels/sms', {
        endpoint: `${gw.url}/sms/send`,
        accessKeyId: 'AK1',
        signName: '思域',
        accessKeySecret: 'sk-sms',
        receiptSecret: 'rk-sms',
      });
      const pid = await k.profile('u-sms', { phone: '13800138000', name: '张三' });
      const sent = await k.api('POST', '/v1/messages', {
        profileId: pid,
        channel: 'sms',
        purpose: 'service',
        content: { templateCode: 'SMS_100', params: { name: '{{ profile.name }}', code: '{{ data.code }}' } },
        data: { code: '4321' },
        idempotencyKey: 'sms-1',
      });
      await k.dispatcher.runOnce();
      expect(gw.requests).toHaveLength(1);
      const r = gw.requests[0]!;
      expect(r.path).toBe('/sms/send');
      expect(JSON.parse(r.body)).toEqual({
        phoneNumber: '+8613800138000',
        signName: '思域',
        templateCode: 'SMS_100',
        templateParam: { name: '张三', code: '4321' },
        outId: sent.body.id,
      });
      expect(r.headers['x-siyu-key-id']).toBe('AK1');
      const ts = r.headers['x-siyu-timestamp'] as string;
      const nonce = r.headers['x-siyu-nonce'] as string;
      expect(r.headers['x-siyu-signature']).toBe(
        hmacBase64('sk-sms', `POST\n/sms/send\n${ts}\n${nonce}\n${createHash('sha256').update(r.body).digest('hex')}`),
      );
      expect(smsStringToSign('/sms/send', ts, nonce, r.body).split('\n')).toHaveLength(5);
      expect((await k.api('GET', `/v1/messages/${sent.body.id}`)).body).toMatchObject({ status: 'sent', providerMessageId: 'biz-777' });

      const receipt = JSON.stringify({
        receipts: [
          { bizId: 'biz-777', status: 'DELIVERED', reportedAt: new Date(k.t.clock.now()).toISOString() },
          { bizId: 'unknown', status: 'FAILED' },
        ],
      });
      const now = String(Math.floor(k.t.clock.now() / 1000));
      const post = (sig: string) =>
        k.t.app.inject({
          method: 'POST',
          url: `/hooks/sms/${k.t.workspaceId}/receipts`,
          headers: { 'content-type': 'application/json', 'x-siyu-timestamp': now, 'x-siyu-signature': sig },
          payload: receipt,
        });
      expect((await post('bad')).statusCode).toBe(401);
      const ok = await post(hmacBase64('rk-sms', `${now}\n${receipt}`));
      expect(ok.json()).toEqual({ applied: 1, unknown: 1 });
      await post(hmacBase64('rk-sms', `${now}\n${receipt}`));
      expect((await k.api('GET', `/v1/messages/${sent.body.id}`)).body.status).toBe('delivered');
      expect(await k.events(pid, 'Message Delivered')).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });

  it('webhook: HMAC-signed POST; a 503 is retried with back-off under the same idempotency key', async () => {
    let calls = 0;
    const hook = await startHttpRecorder((_r, res) => json(res, ++calls === 1 ? 503 : 200, {}));
    try {
      await k.api('PUT', '/v1/channels/webhook', { url: `${hook.url}/in`, signingSecret: 'whsec' });
      const pid = await k.profile('u-hook', { name: 'W' });
      const sent = await k.api('POST', '/v1/messages', {
        profileId: pid,
        channel: 'webhook',
        purpose: 'service',
        content: { body: { hello: '{{ profile.name }}', n: 3 } },
        idempotencyKey: 'hook-1',
      });
      expect(await k.dispatcher.runOnce()).toMatchObject({ retrying: 1 });
      const first = (await k.api('GET', `/v1/messages/${sent.body.id}`)).body;
      expect(first).toMatchObject({ status: 'queued', errorCode: 'http:503', attempts: 1 });
      expect(await k.dispatcher.runOnce()).toMatchObject({ claimed: 0 });
      k.t.clock.advance(31_000);
      expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1 });
      expect(hook.requests).toHaveLength(2);
      for (const r of hook.requests) {
        expect(r.headers['x-siyu-idempotency-key']).toBe(sent.body.id);
        expect(r.headers['x-siyu-signature']).toBe(webhookSignature('whsec', r.headers['x-siyu-timestamp'] as string, r.body));
        expect(JSON.parse(r.body)).toMatchObject({ id: sent.body.id, profileId: pid, body: { hello: 'W', n: 3 } });
      }
    } finally {
      await hook.close();
    }
  });

  it('official account template message and mini-program subscribe message, by openid, with their own token', async () => {
    let tokens = 0;
    const wx = await startHttpRecorder((r, res) => {
      if (r.path === '/cgi-bin/token') return json(res, 200, { access_token: `tok${++tokens}`, expires_in: 7200 });
      // The first OA send finds its token expired: the client refreshes once and retries.
      if (r.path === '/cgi-bin/message/template/send')
        return json(res, 200, r.query.get('access_token') === 'tok1' ? { errcode: 42001, errmsg: 'expired' } : { errcode: 0, msgid: 2001 });
      if (r.path === '/cgi-bin/message/subscribe/send') return json(res, 200, { errcode: 43101, errmsg: 'user refuse to accept the msg' });
      json(res, 404, {});
    });
    try {
      await k.api('PUT', '/v1/channels/wechat_oa', { appId: 'wxoa', appSecret: 'oa-secret', apiBaseUrl: wx.url });
      await k.api('PUT', '/v1/channels/miniprogram', { appId: 'wxmp', appSecret: 'mp-secret', apiBaseUrl: wx.url });
      const pid = await k.profile('u-wx', { name: '赵六' }, [
        { type: 'openid:wxoa', id: 'oOA123' },
        { type: 'openid:wxmp', id: 'oMP456' },
      ]);
      const oa = await k.api('POST', '/v1/messages', {
        profileId: pid,
        channel: 'wechat_oa',
        purpose: 'service',
        content: {
          templateId: 'TPL_ORDER',
          url: 'https://shop.test/o/1',
          data: { thing1: '{{ profile.name }}', amount2: { value: '{{ data.fen | yuan }}', color: '#173177' } },
        },
        data: { fen: 1250 },
        idempotencyKey: 'oa-1',
      });
      const mp = await k.api('POST', '/v1/messages', {
        profileId: pid,
        channel: 'miniprogram',
        purpose: 'service',
        content: { templateId: 'TPL_MP', page: 'pages/order?id=1', data: { thing1: 'x' } },
        idempotencyKey: 'mp-1',
      });
      expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 1, failed: 1 });
      const sends = wx.requests.filter((r) => r.path === '/cgi-bin/message/template/send');
      expect(sends).toHaveLength(2);
      expect(JSON.parse(sends[1]!.body)).toEqual({
        touser: 'oOA123',
        template_id: 'TPL_ORDER',
        url: 'https://shop.test/o/1',
        data: { thing1: { value: '赵六' }, amount2: { value: '12.50', color: '#173177' } },
        client_msg_id: oa.body.id,
      });
      expect(wx.requests.find((r) => r.path === '/cgi-bin/token')!.query.get('appid')).toBe('wxoa');
      expect((await k.api('GET', `/v1/messages/${oa.body.id}`)).body).toMatchObject({ status: 'sent', providerMessageId: '2001' });
      const mpReq = wx.requests.find((r) => r.path === '/cgi-bin/message/subscribe/send')!;
      expect(JSON.parse(mpReq.body)).toEqual({
        touser: 'oMP456',
        template_id: 'TPL_MP',
        page: 'pages/order?id=1',
        data: { thing1: { value: 'x' } },
        miniprogram_state: 'formal',
        lang: 'zh_CN',
      });
      expect((await k.api('GET', `/v1/messages/${mp.body.id}`)).body).toMatchObject({ status: 'failed', errorCode: 'wechat:43101' });
      expect((await k.events(pid, 'Message Failed'))[0]!.payload.properties).toMatchObject({ messageId: mp.body.id, errorCode: 'wechat:43101' });
    } finally {
      await wx.close();
    }
  });

  it('rejects bad channel configuration with a precise code', async () => {
    expect((await k.api('PUT', '/v1/channels/sms', { endpoint: 'not a url', accessKeyId: 'a', signName: 's', accessKeySecret: 'x' })).body.error).toMatchObject(
      { code: 'CHANNEL_CONFIG_INVALID', message: 'sms: endpoint must be an http(s) URL' },
    );
    expect((await k.api('PUT', '/v1/channels/webhook', { url: 'https://x.test', signingSecret: null })).body.error.message).toContain(
      'signingSecret is required',
    );
    expect((await k.api('PUT', '/v1/channels/email', { host: 'h', port: 25, from: 'a@b', color: 'red' })).body.error.message).toContain(
      '"color" is not a setting',
    );
    expect((await k.api('GET', '/v1/channels/fax')).body.error.code).toBe('NOT_FOUND');
  });
});
