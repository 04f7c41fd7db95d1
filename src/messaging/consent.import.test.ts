import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { messagingTestApp } from './test-kit.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Issue #19, "Consent arrives with imported customers": consent given elsewhere (a store's paper
 * form, a shop's checkout) imported in bulk into the ledger with its evidence (purpose, channel,
 * time, source, text version), all or nothing, and nothing twice on a re-import; the imported
 * decisions are what sends are judged by.
 */
describeEngines('consent import', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let ann: string;
  let bo: string;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    ann = await k.profile('imp-ann', { phone: '+8613800138001' });
    bo = await k.profile('imp-bo');
  });
  afterAll(() => k?.close());

  const upload = (body: string, query = '', type = 'text/csv') =>
    k.t.app.inject({
      method: 'POST',
      url: `/v1/messaging/consent/imports${query}`,
      headers: { authorization: `Bearer ${k.t.secretKey}`, 'content-type': type },
      payload: body,
    });

  const CSV = [
    'user_id,phone,purpose,channel,granted,at,source,text_version,evidence.store,evidence.form_no',
    'imp-ann,,marketing,sms,yes,2026-10-01T10:00:00+08:00,store_paper_form,privacy-v3,上海静安店,F-0001',
    ',+86 138 0013 8001,analytics,*,true,2026-10-01T10:00:00+08:00,store_paper_form,privacy-v3,上海静安店,F-0001',
    'imp-bo,,marketing,*,false,2026-10-02T09:00:00+08:00,checkout,,,',
  ].join('\n');

  it('records every row with its evidence, and the profile is judged by it; a re-import records nothing twice', async () => {
    const before = await k.api('GET', `/v1/profiles/${ann}/consent`);
    expect(before.body.allowed).toMatchObject({ marketing: { sms: false }, analytics: { sms: false }, sharing: { sms: false } });

    const res = await upload(CSV, '?fileName=jingan-2026-10.csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      format: 'csv',
      mode: 'all-or-nothing',
      rows: 3,
      recorded: 3,
      unchanged: 0,
      skipped: 0,
      rejected: false,
      errorCount: 0,
      errors: [],
    });
    const ledger = await k.api('GET', `/v1/profiles/${ann}/consent/history`);
    expect(ledger.body.data).toHaveLength(2);
    const sms = ledger.body.data.find((r: { purpose: string }) => r.purpose === 'marketing');
    expect(sms).toMatchObject({
      profileId: ann,
      channel: 'sms',
      granted: true,
      source: 'store_paper_form',
      at: '2026-10-01T02:00:00.000Z',
      evidence: { textVersion: 'privacy-v3', store: '上海静安店', form_no: 'F-0001', importedFrom: 'jingan-2026-10.csv', line: 2 },
    });
    // The phone column found the same person (by its identifier).
    expect(ledger.body.data.find((r: { purpose: string }) => r.purpose === 'analytics')).toMatchObject({ channel: '*', granted: true });

    const after = await k.api('GET', `/v1/profiles/${ann}/consent`);
    expect(after.body.allowed).toMatchObject({ marketing: { sms: true, email: false }, analytics: { sms: true, email: true }, sharing: { sms: false } });
    const boNow = await k.api('GET', `/v1/profiles/${bo}/consent`);
    expect(boNow.body.allowed.marketing).toMatchObject({ sms: false, wecom: false });
    const boLedger = await k.api('GET', `/v1/profiles/${bo}/consent/history`);
    expect(boLedger.body.data[0]).toMatchObject({ granted: false, source: 'checkout', purpose: 'marketing', channel: '*' });
    // Each decision is on the person's timeline.
    const events = await k.api('GET', `/v1/profiles/${ann}/events?limit=50`);
    const consentEvents = events.body.data.filter((e: { event: string }) => e.event === 'Consent Granted');
    expect(consentEvents.map((e: { payload: { properties: { textVersion?: string } } }) => e.payload.properties.textVersion)).toEqual([
      'privacy-v3',
      'privacy-v3',
    ]);

    const again = await upload(CSV);
    expect(again.json()).toMatchObject({ rows: 3, recorded: 0, unchanged: 3 });
    expect((await k.api('GET', `/v1/profiles/${ann}/consent/history`)).body.data).toHaveLength(2);
  });

  it('rejects a file with any bad row, naming each line and field, and records nothing; skip-bad-rows records the good rows', async () => {
    const bad = [
      'user_id,purpose,channel,granted,at,source,text_version',
      'imp-bo,service,email,true,2026-10-03T09:00:00Z,wechat_form,terms-v1',
      'nobody-here,marketing,sms,true,2026-10-03T09:00:00Z,form,v1',
      'imp-bo,advertising,sms,true,2026-10-03T09:00:00Z,form,v1',
      'imp-bo,marketing,fax,true,2026-10-03T09:00:00Z,form,v1',
      'imp-bo,marketing,sms,perhaps,2026-10-03T09:00:00Z,form,v1',
      'imp-bo,marketing,sms,true,2099-01-01T00:00:00Z,form,v1',
      'imp-bo,marketing,sms,true,2026-10-03T09:00:00Z,form,',
      'imp-bo,marketing,sms,true,not a time,form,v1',
    ].join('\n');
    const historyBefore = (await k.api('GET', `/v1/profiles/${bo}/consent/history`)).body.data.length;
    const res = await upload(bad);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toMatchObject({ code: 'CONSENT_IMPORT_INVALID' });
    expect(body.error.message).toContain('7 of 8 rows are invalid, so nothing was recorded');
    expect(body.error.details).toMatchObject({ rows: 8, recorded: 0, rejected: true, skipped: 8, errorCount: 7 });
    expect(body.error.details.errors.map((e: { line: number; field: string }) => [e.line, e.field])).toEqual([
      [3, 'profile'],
      [4, 'purpose'],
      [5, 'channel'],
      [6, 'granted'],
      [7, 'at'],
      [8, 'text_version'],
      [9, 'at'],
    ]);
    expect(body.error.details.errors[0].reason).toContain('no profile with user_id "nobody-here"');
    expect((await k.api('GET', `/v1/profiles/${bo}/consent/history`)).body.data).toHaveLength(historyBefore);

    const partial = await upload(bad, '?mode=skip-bad-rows');
    expect(partial.statusCode, partial.body).toBe(200);
    expect(partial.json()).toMatchObject({ mode: 'skip-bad-rows', rows: 8, recorded: 1, skipped: 7, rejected: false, errorCount: 7 });
    const now = await k.api('GET', `/v1/profiles/${bo}/consent`);
    expect(now.body.allowed.service.email).toBe(true);
  });

  it('refuses a header with an unknown column or without the person, and reads NDJSON with an evidence object', async () => {
    const typo = await upload('user_id,purpose,granted,at,source,text_verison\nimp-bo,marketing,true,2026-10-03T09:00:00Z,form,v1\n');
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error).toMatchObject({ code: 'CONSENT_IMPORT_INVALID' });
    expect(typo.json().error.message).toContain('unknown column "text_verison"');
    const nobody = await upload('purpose,granted,at,source\nmarketing,true,2026-10-03T09:00:00Z,form\n');
    expect(nobody.json().error.message).toContain('no column names the person');

    const nd = [
      JSON.stringify({
        profile: `user_id:imp-bo`,
        purpose: 'sharing',
        granted: true,
        at: '2026-10-04T08:00:00Z',
        source: 'app_settings',
        text_version: 'share-v2',
        evidence: { partner: 'logistics' },
      }),
      JSON.stringify({ profile: bo, purpose: 'sharing', channel: '*', granted: 'withdrawn', at: '2026-10-05T08:00:00Z', source: 'app_settings' }),
    ].join('\n');
    const res = await upload(nd, '', 'application/x-ndjson');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ format: 'ndjson', rows: 2, recorded: 2 });
    // The history is in the order the person acted (both entries were recorded in the same millisecond).
    const ledger = await k.api('GET', `/v1/profiles/${bo}/consent/history`);
    const sharing = ledger.body.data.filter((r: { purpose: string }) => r.purpose === 'sharing');
    expect(sharing.map((r: { granted: boolean; evidence: Record<string, unknown> }) => [r.granted, r.evidence.partner ?? null])).toEqual([
      [false, null],
      [true, 'logistics'],
    ]);
    // The newer withdrawal wins.
    expect((await k.api('GET', `/v1/profiles/${bo}/consent`)).body.allowed.sharing.sms).toBe(false);
  });
});

describe('siyu consent import (the command, SQLite)', () => {
  it('records a file into the only workspace, exits 0, and 1 with the bad rows named when the file is rejected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siyu-cli-consent-'));
    try {
      const env = { ...process.env, SIYU_DATA_DIR: dir, SIYU_LOG_LEVEL: 'warn', DATABASE_URL: '', SIYU_ENCRYPTION_KEY: '' };
      const siyu = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/siyu.js'), ...args], { env, cwd: dir, encoding: 'utf8' });
      const ws = siyu('workspace', 'create', '--name', 'Tea', '--json');
      expect(ws.status, ws.stderr).toBe(0);
      writeFileSync(join(dir, 'people.csv'), 'user_id,name\nc-1,Ann\nc-2,Bo\n');
      const people = siyu('import', join(dir, 'people.csv'), '--kind', 'profiles');
      expect(people.status, people.stderr + people.stdout).toBe(0);
      writeFileSync(
        join(dir, 'consent.csv'),
        'user_id,purpose,channel,granted,at,source,text_version\nc-1,marketing,sms,true,2026-10-01T10:00:00+08:00,store_paper_form,v3\nc-2,marketing,*,false,2026-10-01T10:00:00+08:00,store_paper_form,\n',
      );
      const ok = siyu('consent', 'import', join(dir, 'consent.csv'));
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('2 rows: 2 recorded, 0 unchanged');
      const again = siyu('consent', 'import', join(dir, 'consent.csv'), '--json');
      expect(again.status, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ recorded: 0, unchanged: 2 });
      writeFileSync(join(dir, 'bad.csv'), 'user_id,purpose,granted,at,source,text_version\nc-9,marketing,true,2026-10-01T10:00:00Z,form,v1\n');
      const bad = siyu('consent', 'import', join(dir, 'bad.csv'));
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain('rejected: 1 of 1 rows are invalid');
      expect(bad.stdout).toContain('line 2 (profile): no profile with user_id "c-9"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
