import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { type LocalSmtp, startLocalSmtp } from '../../test/support/mail.js';
import { invitationEmail } from './invitation-email.js';
import { createUser } from './users.service.js';

const PASSWORD = 'correct horse battery';

describeEngines('invitation emails through the workspace SMTP channel', (engine) => {
  let t: TestApp;
  let smtp: LocalSmtp;
  let owner: { cookie: string; csrf: string };
  beforeAll(async () => {
    [t, smtp] = await Promise.all([createTestApp(engine), startLocalSmtp({ refuse: /@bounce\.test$/ })]);
    await createUser(t.services.access, { workspaceId: t.workspaceId, email: 'boss@brand.example', name: '王经理', password: PASSWORD, role: 'owner' });
    const res = await t.app.inject({ method: 'POST', url: '/v1/console/login', payload: { email: 'boss@brand.example', password: PASSWORD } });
    owner = { cookie: String(res.headers['set-cookie']).split(';')[0]!, csrf: res.json().csrfToken };
  });
  afterAll(async () => {
    await smtp?.close();
    await t?.close();
  });

  const invite = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/v1/users/invitations', headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf }, payload });
  const accept = (acceptUrl: string, password = PASSWORD) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/console/invitations/accept',
      payload: { token: new URL(acceptUrl).searchParams.get('token'), name: 'New', password },
    });

  it('answers not_configured and the link when the workspace has no email channel; the link works', async () => {
    const res = await invite({ email: 'first@brand.example', role: 'operator' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().email).toEqual({ status: 'not_configured', error: null });
    expect(smtp.mails).toHaveLength(0);
    expect((await accept(res.json().acceptUrl)).statusCode).toBe(200);
  });

  it('emails the link in English or Chinese once an SMTP channel is set, and the emailed link joins the workspace', async () => {
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/channels/email',
      headers: { authorization: `Bearer ${t.secretKey}` },
      payload: { host: '127.0.0.1', port: smtp.port, ignoreTls: true, from: 'Brand <crm@brand.example>' },
    });
    expect(put.statusCode, put.body).toBe(200);

    const en = await invite({ email: 'Second@Brand.example', role: 'analyst', locale: 'en' });
    expect(en.statusCode, en.body).toBe(201);
    expect(en.json().email).toEqual({ status: 'sent', error: null });
    const mail = smtp.mails.find((m) => m.to.includes('second@brand.example'))!;
    expect(mail.from).toBe('crm@brand.example');
    expect(mail.subject).toBe("You're invited to Test on Siyu");
    expect(mail.text).toContain('王经理 (boss@brand.example) invited you to join the Siyu workspace "Test" as an analyst.');
    expect(mail.text).toContain(en.json().acceptUrl);
    expect(mail.html).toContain(`href="${en.json().acceptUrl}"`);
    // The link in the email is the one that works.
    const emailed = /https?:\/\/\S+accept-invitation\?token=[A-Za-z0-9_-]+/.exec(mail.text)![0];
    const joined = await accept(emailed);
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json().workspaces[0]).toMatchObject({ id: t.workspaceId, role: 'analyst' });

    const zh = await invite({ email: 'third@brand.example', role: 'guide', wecomUserId: 'zhangsan' });
    expect(zh.json().email.status).toBe('sent');
    const zhMail = smtp.mails.find((m) => m.to.includes('third@brand.example'))!;
    expect(zhMail.subject).toBe('邀请你加入「Test」· 私域 Siyu');
    expect(zhMail.text).toContain('王经理 (boss@brand.example)邀请你以「导购」身份加入');
    expect(zhMail.text).toContain(zh.json().acceptUrl);
  });

  it('answers failed with the SMTP code when the server refuses the address; the invitation stands', async () => {
    const res = await invite({ email: 'nobody@bounce.test', role: 'operator' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().email.status).toBe('failed');
    expect(res.json().email.error).toMatch(/^smtp:550: the SMTP server answered 550/);
    expect((await accept(res.json().acceptUrl)).statusCode).toBe(200);
  });
});

describe('the invitation email', () => {
  it('escapes the workspace name and inviter in its HTML body', () => {
    const mail = invitationEmail('en', {
      to: 'a@b.example',
      workspace: '<b>Tea & Co</b>',
      inviter: null,
      role: 'owner',
      acceptUrl: 'https://siyu.example/console/accept-invitation?token=abc',
    });
    expect(mail.html).not.toContain('<b>Tea');
    expect(mail.html).toContain('&#60;b&#62;Tea &#38; Co&#60;/b&#62;');
    expect(mail.text).toContain('An owner invited you to join the Siyu workspace "<b>Tea & Co</b>" as an owner.');
  });
});
