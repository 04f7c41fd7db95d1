import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, describeEngines } from '../../../test/support/engines.js';
import { journeyTestApp } from '../../journeys/test-kit.js';

const DAY = 86_400_000;

/**
 * Message metrics and last-touch journey revenue through the real paths: a journey sends email
 * over SMTP (the dispatcher), the recipient opens the pixel, follows the tracked link and uses the
 * unsubscribe link (messaging's link routes), and orders arrive through the tracking API.
 */
describeEngines('insight message metrics and journey attribution', (engine) => {
  let app: Awaited<ReturnType<typeof journeyTestApp>>;
  let smtp: SMTPServer;
  let journeyId = '';
  let templateId = '';
  const mails: string[] = [];

  const order = async (userId: string, orderId: string, yuan: number) => {
    const res = await app.t.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization: basic(app.t.writeKey) },
      payload: { userId, event: 'Order Completed', properties: { order_id: orderId, total: yuan } },
    });
    expect(res.statusCode).toBe(200);
  };

  beforeAll(async () => {
    // Tuesday 3 November 2026, noon in Shanghai (outside quiet hours).
    app = await journeyTestApp(engine, { clockStart: Date.parse('2026-11-03T04:00:00Z') });
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push(Buffer.concat(chunks).toString('utf8'));
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    await app.api('PATCH', '/v1/messaging/settings', { consent: { marketingRequiresOptIn: false }, linkBaseUrl: 'https://siyu.test' });
    expect((await app.api('PUT', '/v1/channels/email', { host: '127.0.0.1', port, ignoreTls: true, from: 'Shop <shop@siyu.test>' })).status).toBe(200);
    const tpl = await app.api('POST', '/v1/templates', {
      name: '新品邮件',
      channel: 'email',
      variants: { 'zh-CN': { subject: '新品', html: '<p>Hi</p><a href="https://shop.test/new">看看</a>', text: 'Hi' } },
    });
    templateId = tpl.body.id;
    const a = await app.profile('mail-a', { email: 'a@example.com' });
    const b = await app.profile('mail-b', { email: 'b@example.com' });
    journeyId = await app.journey('新品推荐', { trigger: { type: 'manual' }, steps: [{ id: 'mail', type: 'send', channel: 'email', templateId }] });
    expect((await app.api('POST', `/v1/journeys/${journeyId}/enter`, { profileIds: [a, b] })).status).toBeLessThan(300);
    await app.tick();
    expect(await app.dispatcher.runOnce()).toMatchObject({ sent: 2 });
    const [msgA] = await app.messages(journeyId).then((ms) => ms.filter((m) => m.profile_id === a));
    const html = (await app.api('GET', `/v1/messages/${msgA.id}`)).body.rendered.html as string;
    for (const re of [/src="https:\/\/siyu\.test(\/o\/[^"]+)"/, /href="https:\/\/siyu\.test(\/r\/[^"]+)"/]) {
      expect((await app.t.app.inject({ method: 'GET', url: re.exec(html)![1]! })).statusCode).toBeLessThan(400);
    }
    const mailA = mails.find((m) => m.includes('a@example.com'))!;
    const unsub = /List-Unsubscribe:\s+<https:\/\/siyu\.test(\/u\/[^>]+)>/.exec(mailA)![1]!;
    expect((await app.t.app.inject({ method: 'GET', url: unsub })).statusCode).toBe(200);
    // Two days later A buys (inside a 7-day last touch); ten days later B does (outside it).
    app.t.clock.advance(2 * DAY);
    await order('mail-a', 'ja', 120);
    app.t.clock.advance(8 * DAY);
    await order('mail-b', 'jb', 60);
  });
  afterAll(async () => {
    if (smtp) await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await app?.close();
  });

  const get = async (url: string) => {
    const r = await app.api('GET', url);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { columns: string[]; rows: unknown[][]; params?: Record<string, unknown> };
  };
  const objects = (t: { columns: string[]; rows: unknown[][] }) => t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
  const range = 'from=2026-11-01&to=2026-11-30';

  it('sent, opened, clicked and unsubscribed by channel, template and journey', async () => {
    const expected = { sent: 2, failed: 0, delivered: 0, opened: 1, clicked: 1, replied: 0, unsubscribed: 1, open_rate: 0.5, click_rate: 0.5 };
    expect(objects(await get(`/v1/insight/metrics/messages?${range}&by=channel`))).toEqual([expect.objectContaining({ key: 'email', ...expected })]);
    expect(objects(await get(`/v1/insight/metrics/messages?${range}&by=template`))).toEqual([
      expect.objectContaining({ key: templateId, name: '新品邮件', ...expected }),
    ]);
    expect(objects(await get(`/v1/insight/metrics/messages?${range}&by=journey`))).toEqual([
      expect.objectContaining({ key: journeyId, name: '新品推荐', ...expected }),
    ]);
    expect(objects(await get(`/v1/insight/metrics/messages?from=2026-10-01&to=2026-10-31`))).toEqual([]);
  });

  it('revenue by journey: last touch within the stated window', async () => {
    const week = await get(`/v1/insight/metrics/revenue-by-journey?${range}`);
    expect(week.params).toEqual({ attribution: 'last_touch', attribution_days: 7 });
    expect(objects(week).map((r) => [r.journey_id, r.journey_name, r.orders, r.net_fen])).toEqual([
      [journeyId, '新品推荐', 1, 12000],
      ['', null, 1, 6000],
    ]);
    const month = await get(`/v1/insight/metrics/revenue-by-journey?${range}&attributionDays=30`);
    expect(objects(month).map((r) => [r.journey_id, r.orders, r.net_fen])).toEqual([[journeyId, 2, 18000]]);
  });
});
