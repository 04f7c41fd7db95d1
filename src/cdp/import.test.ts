import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { importDeps } from './deps.js';
import { type ImportFormat, type ImportKind, type ImportMode, type ImportReport, runImport } from './import.service.js';
import { cleanImportSpool, importSpoolDir } from './import.spool.js';

const CDNOW = new URL('../../test/fixtures/cdnow/CDNOW_sample.txt', import.meta.url);
const ROOT = new URL('../../', import.meta.url).pathname;

/** CDNOW sample lines (customer, customer index, YYYYMMDD, CDs, dollars) as an orders CSV. */
function cdnowCsv(lines: number): { csv: string; fenByCustomer: Map<string, number>; ordersByCustomer: Map<string, number> } {
  const rows = readFileSync(CDNOW, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, lines);
  const fenByCustomer = new Map<string, number>();
  const ordersByCustomer = new Map<string, number>();
  const out = ['order_id,user_id,ordered_at,total,cds'];
  rows.forEach((l, i) => {
    const [customer, , date, cds, dollars] = l.trim().split(/\s+/);
    const user = `cdnow-${customer}`;
    out.push(`cdnow-${i + 1},${user},${date},${dollars},${cds}`);
    fenByCustomer.set(user, (fenByCustomer.get(user) ?? 0) + Math.round(Number(dollars) * 100));
    ordersByCustomer.set(user, (ordersByCustomer.get(user) ?? 0) + 1);
  });
  return { csv: out.join('\n') + '\n', fenByCustomer, ordersByCustomer };
}

describeEngines('import', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const db = () => t.database.db;
  const run = (ws: string, kind: ImportKind, format: ImportFormat, text: string, mode?: ImportMode): Promise<ImportReport> =>
    runImport(importDeps(t.services.cdp), { workspaceId: ws, kind, format, mode, open: () => Readable.from([Buffer.from(text)]) });
  const count = async (table: 'events' | 'profiles' | 'orders' | 'identities', ws: string) =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const profileOf = async (ws: string, type: string, key: string) =>
    (
      await db()
        .selectFrom('identities')
        .select('profile_id')
        .where('workspace_id', '=', ws)
        .where('id_type', '=', type)
        .where('id_key', '=', key)
        .executeTakeFirstOrThrow()
    ).profile_id;
  const profile = async (id: string) => {
    const p = await db().selectFrom('profiles').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { ...p, traits: typeof p.traits === 'string' ? JSON.parse(p.traits) : p.traits };
  };
  const tagsOf = async (ws: string, profileId: string) =>
    (
      await db()
        .selectFrom('profile_tags as pt')
        .innerJoin('tags as tg', (j) => j.onRef('tg.workspace_id', '=', 'pt.workspace_id').onRef('tg.id', '=', 'pt.tag_id'))
        .innerJoin('tag_groups as g', (j) => j.onRef('g.workspace_id', '=', 'tg.workspace_id').onRef('g.id', '=', 'tg.group_id'))
        .select(['g.name as group', 'tg.name', 'pt.source'])
        .where('pt.workspace_id', '=', ws)
        .where('pt.profile_id', '=', profileId)
        .execute()
    )
      .map((r) => `${r.group}/${r.name}:${r.source}`)
      .sort();

  it('imports a CSV of profiles: traits, tags and a phone that joins an existing tracked profile', async () => {
    const { workspaceId: ws, writeKey } = await t.newWorkspace();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: basic(writeKey) },
      payload: { userId: 'tracked-1', traits: { phone: '+8613800138000', plan: 'pro' } },
    });
    expect(res.statusCode).toBe(200);
    await t.services.writer.drain();
    const tracked = await profileOf(ws, 'user_id', 'tracked-1');
    const csv = '\ufeff phone , name ,city,tags, unionid \n138 0013 8000,Ann,Shanghai,vip/gold; new | vip/gold,\n,Bob,,,u-bob\n';
    const report = await run(ws, 'profiles', 'csv', csv);
    expect(report).toMatchObject({ rows: 2, imported: 2, duplicates: 0, skipped: 0, errorCount: 0, rejected: false, tagged: 1 });
    const ann = await profile(tracked);
    expect(ann.traits).toMatchObject({ name: 'Ann', city: 'Shanghai', plan: 'pro' });
    expect(await tagsOf(ws, tracked)).toEqual(['default/new:import', 'vip/gold:import']);
    const bob = await profile(await profileOf(ws, 'unionid', 'u-bob'));
    // Empty cells are absent, CSV values stay strings.
    expect(bob.traits).toEqual({ name: 'Bob', unionid: 'u-bob' });
    expect(await count('profiles', ws)).toBe(2);
    // An identify without userId/anonymousId is stored honestly (no placeholder anonymous id).
    const ev = await db()
      .selectFrom('events')
      .select(['anonymous_id', 'user_id', 'payload'])
      .where('workspace_id', '=', ws)
      .where('message_id', 'like', 'import-profile:%')
      .execute();
    expect(ev.every((e) => e.anonymous_id === null && e.user_id === null)).toBe(true);
  });

  it('imports NDJSON profiles keeping JSON types, merging a traits object and reading openid:<appid> columns', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const nd = [
      '{"user_id":"n1","age":31,"vip":true,"traits":{"city":"Hangzhou","prefs":{"tea":"green"}},"openid:wx_app1":"o-abc","timestamp":"2026-03-01T08:00:00+08:00"}',
      '',
      '{"email":" Mixed@Example.COM ","tags":["club/member"],"score":null}',
    ].join('\n');
    const report = await run(ws, 'profiles', 'ndjson', nd);
    expect(report).toMatchObject({ rows: 2, imported: 2, errorCount: 0, tagged: 1 });
    const n1 = await profileOf(ws, 'user_id', 'n1');
    expect(await profileOf(ws, 'openid:wx_app1', 'o-abc')).toBe(n1);
    expect((await profile(n1)).traits).toEqual({ age: 31, vip: true, city: 'Hangzhou', prefs: { tea: 'green' } });
    const ev = await db().selectFrom('events').select('timestamp').where('workspace_id', '=', ws).where('user_id', '=', 'n1').executeTakeFirstOrThrow();
    expect(ev.timestamp).toBe(Date.parse('2026-03-01T00:00:00Z'));
    const emailKey = (await t.services.cipher.forWorkspace(ws)).lookupKey('email', 'mixed@example.com');
    expect(await tagsOf(ws, await profileOf(ws, 'email', emailKey))).toEqual(['club/member:import']);
  });

  it('imports a consent column (NDJSON object, CSV JSON text) into the profile consent with the row time, not into traits; a bad value is a row error', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const nd = [
      '{"user_id":"c1","consent":{"marketing_sms":true,"marketing_wecom":false},"timestamp":"2026-03-01T08:00:00+08:00"}',
      '{"user_id":"c2","consent":{"marketing_sms":"yes"}}',
    ].join('\n');
    const report = await run(ws, 'profiles', 'ndjson', nd);
    expect(report).toMatchObject({ rows: 2, imported: 1, skipped: 1 });
    expect(report.errors[0]).toMatchObject({ line: 2, field: 'consent' });
    const c1 = await profile(await profileOf(ws, 'user_id', 'c1'));
    const consent = typeof c1.consent === 'string' ? JSON.parse(c1.consent) : c1.consent;
    expect(consent).toEqual({
      marketing_sms: { granted: true, at: Date.parse('2026-03-01T00:00:00Z') },
      marketing_wecom: { granted: false, at: Date.parse('2026-03-01T00:00:00Z') },
    });
    expect(c1.traits).toEqual({});
    const csv = 'user_id,consent\nc3,"{""marketing_sms"":true}"\nc4,not json\n';
    const r2 = await run(ws, 'profiles', 'csv', csv);
    expect(r2).toMatchObject({ rows: 2, imported: 1, skipped: 1 });
    const c3 = await profile(await profileOf(ws, 'user_id', 'c3'));
    expect(Object.keys(typeof c3.consent === 'string' ? JSON.parse(c3.consent) : c3.consent)).toEqual(['marketing_sms']);
  });

  it('imports CSV and NDJSON orders into orders and purchase aggregates', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const csv =
      'order_id,member_id,total,total_fen,currency,ordered_at,products,store\n' +
      'A-1,m-1,99.90,,,2026-01-05,"[{""sku"":""T1"",""quantity"":2}]",Xuhui\n' +
      'A-2,m-1,,1050,cny,2026-01-07T12:00:00Z,,\n';
    expect(await run(ws, 'orders', 'csv', csv)).toMatchObject({ rows: 2, imported: 2, errorCount: 0 });
    const nd = '{"order_id":"B-1","member_id":"m-1","total":20,"ordered_at":"2026-02-01T10:00:00+08:00","products":[{"sku":"X"}]}\n';
    expect(await run(ws, 'orders', 'ndjson', nd)).toMatchObject({ rows: 1, imported: 1 });
    const pid = await profileOf(ws, 'member_id', 'm-1');
    const p = await profile(pid);
    expect(p.order_count).toBe(3);
    expect(p.total_spent_fen).toBe(9990 + 1050 + 2000);
    expect(p.first_purchase_at).toBe(Date.parse('2026-01-05T00:00:00Z'));
    expect(p.last_purchase_at).toBe(Date.parse('2026-02-01T02:00:00Z'));
    const a1 = await db()
      .selectFrom('events')
      .select('payload')
      .where('workspace_id', '=', ws)
      .where('message_id', '=', 'import-order:A-1')
      .executeTakeFirstOrThrow();
    const payload = typeof a1.payload === 'string' ? JSON.parse(a1.payload) : a1.payload;
    expect(payload.properties).toMatchObject({ order_id: 'A-1', total: 99.9, products: [{ sku: 'T1', quantity: 2 }], store: 'Xuhui' });
    expect(payload.event).toBe('Order Completed');
  });

  it('imports CDNOW orders with correct per-customer totals, and a re-import stores nothing twice', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const { csv, fenByCustomer, ordersByCustomer } = cdnowCsv(300);
    expect(await run(ws, 'orders', 'csv', csv)).toMatchObject({ rows: 300, imported: 300, duplicates: 0, errorCount: 0 });
    const check = async () => {
      for (const [user, fen] of [...fenByCustomer].slice(0, 25)) {
        const p = await profile(await profileOf(ws, 'user_id', user));
        expect([p.order_count, p.total_spent_fen]).toEqual([ordersByCustomer.get(user), fen]);
      }
    };
    await check();
    const before = await Promise.all([count('events', ws), count('orders', ws), count('profiles', ws)]);
    expect(await run(ws, 'orders', 'csv', csv)).toMatchObject({ rows: 300, imported: 0, duplicates: 300 });
    expect(await run(ws, 'orders', 'csv', csv, 'all-or-nothing')).toMatchObject({ imported: 0, duplicates: 300 });
    expect(await Promise.all([count('events', ws), count('orders', ws), count('profiles', ws)])).toEqual(before);
    await check();
  });

  it('re-importing profiles stores nothing twice, while a changed row is applied', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const csv = 'user_id,name\nr1,Ann\nr2,Bob\n';
    expect(await run(ws, 'profiles', 'csv', csv)).toMatchObject({ imported: 2, duplicates: 0 });
    expect(await run(ws, 'profiles', 'csv', csv)).toMatchObject({ imported: 0, duplicates: 2 });
    expect(await count('events', ws)).toBe(2);
    t.clock.advance(1000);
    expect(await run(ws, 'profiles', 'csv', 'user_id,name\nr1,Ann\nr2,Robert\n')).toMatchObject({ imported: 1, duplicates: 1 });
    expect((await profile(await profileOf(ws, 'user_id', 'r2'))).traits.name).toBe('Robert');
  });

  it('reports bad rows with their line and reason and stores the good ones (skip-bad-rows)', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const csv = [
      'order_id,phone,total,currency,ordered_at',
      'o1,13800138001,99.90,,2026-01-05',
      ',13800138001,10,,2026-01-05',
      'o3,12345,10,,2026-01-05',
      'o4,13800138001,abc,,2026-01-05',
      'o5,13800138001,1.234,,2026-01-05',
      'o6,13800138001,5,,2026-01-05 10:00',
      'o7,13800138001,5,US,2026-01-05',
      'o8,13800138001,5,,2026-02-30',
      'o9,13800138001,7.5,usd,2026-01-06T10:00:00+08:00',
      'o10,null,5,,2026-01-05',
      '',
    ].join('\n');
    const report = await run(ws, 'orders', 'csv', csv);
    expect(report).toMatchObject({ rows: 10, imported: 2, skipped: 8, errorCount: 8 });
    expect(report.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 11]);
    const reasons = report.errors.map((e) => e.reason);
    expect(reasons[0]).toMatch(/^order_id is required/);
    expect(reasons[1]).toMatch(/phone "12345" is not a valid phone number/);
    expect(reasons[2]).toMatch(/total "abc" must be a non-negative amount/);
    expect(reasons[3]).toMatch(/more than 2 decimal places/);
    expect(reasons[4]).toMatch(/has no time zone/);
    expect(reasons[5]).toMatch(/properties.currency must be an ISO-4217 code/);
    expect(reasons[6]).toMatch(/ordered_at "2026-02-30" is not a date/);
    expect(reasons[7]).toMatch(/phone "null" is a placeholder/);
    const orders = await db().selectFrom('orders').select(['order_id', 'total_fen', 'currency']).where('workspace_id', '=', ws).orderBy('order_id').execute();
    expect(orders).toEqual([
      { order_id: 'o1', total_fen: 9990, currency: 'CNY' },
      { order_id: 'o9', total_fen: 750, currency: 'USD' },
    ]);
    const p = await profile(await profileOf(ws, 'phone', (await t.services.cipher.forWorkspace(ws)).lookupKey('phone', '+8613800138001')));
    // Only orders in the workspace currency count towards the aggregates.
    expect([p.order_count, p.total_spent_fen]).toEqual([1, 9990]);
  });

  it('reports bad NDJSON lines with their line numbers', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const nd = ['{"user_id":"j1"}', '{"user_id": "j2"', '', '[1,2]', '{"name":"nobody"}', '{"user_id":"j3","traits":"x"}', '{"user_id":"j4"}'].join('\r\n');
    const report = await run(ws, 'profiles', 'ndjson', nd);
    expect(report).toMatchObject({ rows: 6, imported: 2, skipped: 4 });
    expect(report.errors.map((e) => [e.line, e.reason.split(':')[0]])).toEqual([
      [2, 'not valid JSON'],
      [4, 'must be a JSON object, got an array'],
      [5, 'no identifier'],
      [6, 'traits must be a JSON object'],
    ]);
  });

  for (const eol of ['\n', '\r\n']) {
    it(`keeps line numbers right after quoted fields with commas and line breaks (${JSON.stringify(eol)})`, async () => {
      const { workspaceId: ws } = await t.newWorkspace();
      const csv = [
        'user_id,name,note',
        'a1,A,"hello, world"',
        `a2,B,"multi${eol}line${eol}note"`,
        '',
        '0,Zero,x',
        'a4,"D, ""the"" 4th",y',
        `,"E${eol}E",z`,
        'a6,F,g,h',
        'a7,G,ok',
      ].join(eol);
      const report = await run(ws, 'profiles', 'csv', csv);
      expect(report.errors.map((e) => e.line)).toEqual([7, 9, 11]);
      expect(report.errors[0]!.reason).toMatch(/user_id "0" is a placeholder/);
      expect(report.errors[1]!.reason).toMatch(/^no identifier/);
      expect(report.errors[2]!.reason).toBe('row has 4 fields but the header has 3 columns');
      expect(report).toMatchObject({ rows: 7, imported: 4 });
      const a2 = await profile(await profileOf(ws, 'user_id', 'a2'));
      expect(a2.traits.note).toBe(`multi${eol}line${eol}note`);
      expect((await profile(await profileOf(ws, 'user_id', 'a4'))).traits.name).toBe('D, "the" 4th');
    });
  }

  it('reports an unclosed quote at the line it opens on, and reads on from the next line without buffering the file', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const atEnd = await run(ws, 'profiles', 'csv', 'user_id,name\nq0,A\n\nq1,"unclosed\nq2,B\n');
    expect(atEnd).toMatchObject({ rows: 3, imported: 2, errors: [{ line: 4 }] });
    expect(atEnd.errors[0]!.reason).toMatch(/never closed/);
    // 150 rows of 2,000 characters: the quote runs past the 256 KB row limit.
    const rest = Array.from({ length: 150 }, (_, i) => `r${i},${'n'.repeat(2000)}`).join('\n');
    const huge = await run(ws, 'profiles', 'csv', `user_id,name\nh0,A\nh1,"unclosed\n${rest}\n`);
    expect(huge).toMatchObject({ rows: 152, imported: 151, errorCount: 1, errors: [{ line: 3 }] });
    expect(await profileOf(ws, 'user_id', 'r149')).toBeTruthy();
    expect(huge.errors[0]!.reason).toMatch(/longer than 262144 characters inside a quoted field.*never closed/);
  });

  it('reports an overlong unquoted CSV row with its line and reads the rest of the file (issue #14 §5)', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const long = 'x'.repeat(300_000);
    const csv = `user_id,name\nl0,A\nl1,${long}\nl2,B\n\nl3,C\n`;
    const report = await run(ws, 'profiles', 'csv', csv);
    expect(report).toMatchObject({ rows: 4, imported: 3, skipped: 1, errorCount: 1 });
    expect(report.errors).toEqual([{ line: 3, reason: 'row is longer than 262144 characters; the rest of its line was skipped' }]);
    expect(await profileOf(ws, 'user_id', 'l3')).toBeTruthy();
    // Through the API: 200 with the row reported, like every other bad row; all-or-nothing: 400 naming the line.
    const key = (await t.newWorkspace()).secretKey;
    const post = (mode: string) =>
      t.app.inject({
        method: 'POST',
        url: `/v1/imports?kind=profiles&mode=${mode}`,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
        payload: csv,
      });
    const skip = await post('skip-bad-rows');
    expect(skip.statusCode).toBe(200);
    expect(skip.json()).toMatchObject({ rows: 4, imported: 3, errors: [{ line: 3 }] });
    const aon = await post('all-or-nothing');
    expect(aon.statusCode).toBe(400);
    expect(aon.json().error.details).toMatchObject({ rejected: true, imported: 0, errors: [{ line: 3 }] });
  }, 60_000);

  it('all-or-nothing with one bad row stores nothing, and a clean file stores everything', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const good = Array.from({ length: 1200 }, (_, i) => `g-${i},user-${i % 100},${(i % 50) + 1}.50,2026-01-0${(i % 9) + 1}`);
    const bad = ['order_id,user_id,total,ordered_at', ...good.slice(0, 1100), 'g-bad,user-1,,2026-01-01', ...good.slice(1100)].join('\n');
    const before = await Promise.all([count('events', ws), count('profiles', ws), count('orders', ws), count('identities', ws)]);
    const rejected = await run(ws, 'orders', 'csv', bad, 'all-or-nothing');
    expect(rejected).toMatchObject({ rejected: true, rows: 1201, imported: 0, skipped: 1201, errorCount: 1 });
    expect(rejected.errors).toEqual([{ line: 1102, field: 'total', reason: 'total (or total_fen) is required' }]);
    expect(await Promise.all([count('events', ws), count('profiles', ws), count('orders', ws), count('identities', ws)])).toEqual(before);
    const ok = await run(ws, 'orders', 'csv', ['order_id,user_id,total,ordered_at', ...good].join('\n'), 'all-or-nothing');
    expect(ok).toMatchObject({ rejected: false, rows: 1200, imported: 1200, errorCount: 0 });
    expect(await count('orders', ws)).toBe(1200);
    expect(await count('profiles', ws)).toBe(100);
  });

  it('rejects a CSV whose header lacks required columns', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    await expect(run(ws, 'orders', 'csv', 'order_id,user_id,ordered_at\no,u,2026-01-01\n')).rejects.toThrow(
      /line 1: the header row needs total \(or total_fen\)/,
    );
    await expect(run(ws, 'profiles', 'csv', 'name,name\nA,B\n')).rejects.toThrow(/column "name" appears twice/);
  });

  it('streams a large generated file (20,000 rows) from disk', async () => {
    const { workspaceId: ws } = await t.newWorkspace();
    const dir = mkdtempSync(join(tmpdir(), 'siyu-import-'));
    const file = join(dir, 'big.csv');
    const lines = ['user_id,phone,name,level'];
    for (let i = 0; i < 20_000; i++) lines.push(`big-${i},${13_900_000_000 + i},"Name ${i}",${i % 5}`);
    writeFileSync(file, lines.join('\n') + '\n');
    try {
      const progress: number[] = [];
      const report = await runImport(importDeps(t.services.cdp), {
        workspaceId: ws,
        kind: 'profiles',
        format: 'csv',
        open: () => createReadStream(file),
        onProgress: (p) => progress.push(p.rows),
      });
      expect(report).toMatchObject({ rows: 20_000, imported: 20_000, errorCount: 0 });
      expect(progress.length).toBeGreaterThanOrEqual(40);
      expect(await count('profiles', ws)).toBe(20_000);
      expect(await count('identities', ws)).toBe(40_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('POST /v1/imports', () => {
    const post = (query: string, payload: string, contentType = 'text/csv', key = t.secretKey) =>
      t.app.inject({ method: 'POST', url: `/v1/imports?${query}`, headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, payload });

    it('imports a CSV body and answers with the report', async () => {
      const res = await post('kind=profiles', 'user_id,name\napi-1,A\napi-2,B\n,C\n', 'text/csv; charset=utf-8');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        kind: 'profiles',
        format: 'csv',
        mode: 'skip-bad-rows',
        rows: 3,
        imported: 2,
        skipped: 1,
        errorCount: 1,
        errors: [{ line: 4 }],
      });
      const nd = await post(
        'kind=orders&format=ndjson',
        '{"order_id":"api-o1","user_id":"api-1","total":"5","ordered_at":"2026-01-01"}\n',
        'application/octet-stream',
      );
      expect(nd.json()).toMatchObject({ format: 'ndjson', imported: 1 });
    });

    it('answers 400 IMPORT_INVALID with the report when all-or-nothing finds a bad row, storing nothing', async () => {
      const before = await count('events', t.workspaceId);
      const res = await post('kind=profiles&mode=all-or-nothing', 'user_id,name\naon-1,A\nnull,B\n');
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.error.code).toBe('IMPORT_INVALID');
      expect(body.error.details).toMatchObject({ rejected: true, rows: 2, imported: 0, errors: [{ line: 3 }] });
      expect(await count('events', t.workspaceId)).toBe(before);
      const ok = await post('kind=profiles&mode=all-or-nothing', 'user_id,name\naon-1,A\naon-2,B\n');
      expect(ok.json()).toMatchObject({ rejected: false, imported: 2 });
    });

    it('needs a secret key, a kind and a known format', async () => {
      expect((await post('kind=profiles', 'user_id\nx\n', 'text/csv', t.writeKey)).statusCode).toBe(401);
      expect((await post('', 'user_id\nx\n')).json().error.code).toBe('VALIDATION_FAILED');
      const noFormat = await post('kind=profiles', 'user_id\nx\n', 'application/octet-stream');
      expect(noFormat.json().error.message).toMatch(/format is required/);
      expect((await post('kind=profiles', 'user_id\nx\n', 'application/xml')).statusCode).toBe(415);
    });

    it('is documented in the OpenAPI spec', async () => {
      const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const op = spec.paths['/v1/imports'].post;
      expect(op.tags).toEqual(['imports']);
      expect(op.security).toEqual([{ secretKey: [] }]);
    });
  });
});

describe('siyu import (CLI, SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'siyu-cli-import-'));
  const env = { ...process.env, SIYU_DATA_DIR: join(dir, 'data'), SIYU_LOG_LEVEL: 'warn', DATABASE_URL: '', SIYU_ENCRYPTION_KEY: '' };
  const siyu = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/siyu.js'), ...args], { env, cwd: dir, encoding: 'utf8' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports with --json, exiting 0 when clean, 1 with bad rows and 2 on usage errors', () => {
    const created = siyu('workspace', 'create', '--name', 'T', '--json');
    expect(created.status).toBe(0);
    const ws = JSON.parse(created.stdout).id;
    const clean = join(dir, 'clean.csv');
    writeFileSync(clean, 'user_id,name,phone\nc1,A,12345\nc2,B,\n');
    // Human-readable: a warning (imported without its invalid phone) is listed but the exit code stays 0.
    const ok = siyu('import', clean, '--kind', 'profiles');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/2 rows, 2 imported, 0 already present, 0 skipped/);
    expect(ok.stdout).toMatch(/1 warning: rows imported without one of their values\n {2}line 2, phone: phone "12345" is not a valid phone number/);

    const bad = join(dir, 'orders.ndjson');
    writeFileSync(bad, '{"order_id":"x1","user_id":"c1","phone":"12345","total":1,"ordered_at":"2026-01-01"}\n{"order_id":"x2","user_id":"c1"}\n');
    const errorsFile = join(dir, 'errors.csv');
    const partial = siyu('import', bad, '--kind', 'orders', '--workspace', ws, '--json', '--errors-file', errorsFile);
    expect(partial.status).toBe(1);
    expect(JSON.parse(partial.stdout)).toMatchObject({ rows: 2, imported: 1, skipped: 1, errors: [{ line: 2 }], warnings: [{ line: 1, field: 'phone' }] });
    expect(readFileSync(errorsFile, 'utf8')).toMatch(/^line,reason\n2,total \(or total_fen\) is required\n$/);

    expect(siyu('import', clean, '--kind', 'things').status).toBe(2);
    expect(siyu('import', join(dir, 'missing.csv'), '--kind', 'profiles').status).toBe(2);
    expect(siyu('import', clean, '--kind', 'profiles', '--workspace', 'ws_nope').stderr).toMatch(/does not exist; workspaces: ws_/);
  }, 180_000);

  it('a kill -9 during an all-or-nothing import leaves its spool only in the data dir (0600 in 0700), and cleanImportSpool removes it', async () => {
    const file = join(dir, 'many.csv');
    const rows = Array.from({ length: 60_000 }, (_, i) => `k-${i},u-${i % 500},${(i % 90) + 1}.50,2026-02-0${(i % 9) + 1}`);
    writeFileSync(file, ['order_id,user_id,total,ordered_at', ...rows].join('\n') + '\n');
    const spool = importSpoolDir(env.SIYU_DATA_DIR);
    const child = spawn(process.execPath, [join(ROOT, 'bin/siyu.js'), 'import', file, '--kind', 'orders', '--mode', 'all-or-nothing'], { env, cwd: dir });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      const deadline = Date.now() + 150_000;
      while (!(existsSync(spool) && readdirSync(spool).length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const left = readdirSync(spool);
    expect(left).toEqual([expect.stringMatching(new RegExp(`^${child.pid}-[0-9a-f-]{36}\\.ndjson$`))]);
    expect(statSync(join(spool, left[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(spool).mode & 0o777).toBe(0o700);
    expect(await cleanImportSpool(env.SIYU_DATA_DIR)).toEqual(left);
    expect(readdirSync(spool)).toEqual([]);
  }, 180_000);
});
