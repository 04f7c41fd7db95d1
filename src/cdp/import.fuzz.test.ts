/**
 * Fuzzing the import parsers (issue #14 §3): CSV and NDJSON files built from hostile values
 * (control characters, NUL, lone surrogates, quotes and line breaks of every kind, huge numbers,
 * deep JSON) never produce anything but a report or a 400, never a half-written import, and every
 * rejected row names its line and, when one column is at fault, the field.
 *
 * Findings are kept as files in test/fixtures/fuzz/import/ (`<kind>-<what>.<csv|ndjson>`) and
 * replayed on both engines; when a property fails, fast-check prints the counterexample: save it
 * there, fix, and it stays covered.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { AppError } from '../platform/errors.js';
import { importDeps } from './deps.js';
import { createRuleBook } from './identifiers.js';
import { type ImportDeps, type ImportKind, type ImportMode, type ImportReport, runImport } from './import.service.js';
import type { ImportFormat } from './import.readers.js';

const CORPUS = new URL('../../test/fixtures/fuzz/import/', import.meta.url);

/** Row errors about the row as a whole (unreadable, wrong shape, no identifier at all, too large) need not name a field. */
const WHOLE_ROW =
  /^(not valid JSON|must be a JSON object|row has \d+ fields?|row is longer|line is longer|a quote|unexpected character after a closing quote|no identifier|event is \d+ bytes)/;

// Hostile characters mixed into otherwise ordinary text.
const hostileChar = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  fc.constantFrom('\u0000', '\ud800', '\udfff', '\r', '\n', '\r\n', '"', ',', '\u2028', '\ufeff', '\u001b', '\\', '{', '['),
);
const hostileText = fc.string({ unit: hostileChar, maxLength: 24 });
const deepJson = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
const specialCell = fc.constantFrom(
  '13800138000',
  '138 0013 8000',
  '12345',
  'null',
  '0',
  '-1',
  'a@example.com',
  '2026-01-05',
  '2026-01-05T10:00:00+08:00',
  '2026-01-05 10:00',
  '+275760-09-13T00:00:00Z',
  '99.90',
  '1e400',
  '-0',
  '9007199254740993',
  '99999999999999999999.99',
  '253402300800000',
  'vip/gold; new | x/',
  '[{"sku":"A1","quantity":2}]',
  deepJson(3000, '[', ']'),
  '{"__proto__":{"polluted":1}}',
  ' ',
  '',
);
const cell = fc.oneof({ weight: 3, arbitrary: specialCell }, { weight: 3, arbitrary: hostileText }, fc.integer().map(String));
const COLUMNS = [
  'user_id',
  'member_id',
  'phone',
  'email',
  'unionid',
  'openid:wx_app',
  'order_id',
  'total',
  'total_fen',
  'currency',
  'ordered_at',
  'timestamp',
  'tags',
  'products',
  'traits',
  'properties',
  'name',
  '__proto__',
  'constructor',
];
const column = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...COLUMNS) }, hostileText);

/** Plausible values per column, so most rows get past the header and the required columns to the hostile ones. */
const PLAUSIBLE: Record<string, fc.Arbitrary<string>> = {
  user_id: fc.stringMatching(/^u-[a-z0-9]{1,4}$/),
  member_id: fc.stringMatching(/^m-[0-9]{1,4}$/),
  phone: fc.constantFrom('13800138000', '+86 139 0000 0001', '12345', '0086 138 0013 8001'),
  email: fc.constantFrom('a@example.com', 'B@Example.COM', 'not-an-email'),
  order_id: fc.stringMatching(/^o-[0-9]{1,5}$/),
  total: fc.integer({ min: 0, max: 10_000_000 }).map((n) => (n / 100).toFixed(2)),
  total_fen: fc.integer({ min: 0, max: 10_000_000 }).map(String),
  ordered_at: fc.constantFrom('2026-01-05', '20260105', '2026-01-05T10:00:00+08:00', '2026-01-05T02:00:00Z'),
  tags: fc.constantFrom('vip/gold', 'new; vip/gold', 'a|b'),
  products: fc.constantFrom('[{"sku":"A1","quantity":2}]', '[]'),
  currency: fc.constantFrom('CNY', 'usd'),
};
const REQUIRED: Record<ImportKind, string[]> = { profiles: ['user_id'], orders: ['order_id', 'user_id', 'total', 'ordered_at'] };
/** A cell of a column: usually plausible, sometimes hostile. */
const cellOf = (col: string) => (Object.hasOwn(PLAUSIBLE, col) ? fc.oneof({ weight: 4, arbitrary: PLAUSIBLE[col]! }, cell) : cell);

/** The columns of a file: the kind's required ones (one sometimes missing) and a few plausible or hostile extras. */
const columnsFor = (kind: ImportKind) =>
  fc
    .tuple(fc.subarray(REQUIRED[kind], { minLength: Math.max(1, REQUIRED[kind].length - 1) }), fc.uniqueArray(column, { maxLength: 5 }))
    .map(([req, extra]) => [...new Set([...req, ...extra])]);

const csvField = (v: string, quote: boolean) => (quote ? `"${v.replace(/"/g, '""')}"` : v);
const CELL_QUOTING = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.boolean());
/** A CSV file of a kind: header, rows of mostly plausible and some hostile cells (quoted or raw), mixed line breaks, BOM or not. */
const csvFile = (kind: ImportKind) =>
  columnsFor(kind).chain((header) =>
    fc
      .record({
        rows: fc.array(
          fc.oneof(
            { weight: 5, arbitrary: fc.tuple(...header.map((c) => fc.tuple(cellOf(c), CELL_QUOTING))) },
            fc.array(fc.tuple(cell, fc.boolean()), { maxLength: 9 }), // a row of the wrong length
          ),
          { maxLength: 8 },
        ),
        eol: fc.constantFrom('\n', '\r\n', '\r'),
        bom: fc.boolean(),
      })
      .map(({ rows, eol, bom }) => {
        const head = header.map((h) => csvField(h, /[",\r\n]/.test(h))).join(',');
        const lines = [head, ...rows.map((r) => r.map(([v, q]) => csvField(v, q)).join(','))];
        return (bom ? '\ufeff' : '') + lines.join(eol) + eol;
      }),
  );

/** JSON text of a value, where `{ raw }` is written as is: numbers JSON.stringify cannot write (1e400, 2^53 + 1), deep nesting. */
type Raw = { raw: string };
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && 'raw' in v && Object.keys(v).length === 1;
function render(v: unknown): string {
  if (isRaw(v)) return v.raw;
  if (Array.isArray(v)) return `[${v.map(render).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${render(x)}`)}}`;
  return JSON.stringify(v) ?? 'null';
}
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: cell },
  fc.constantFrom<Raw>({ raw: '1e400' }, { raw: '-1e400' }, { raw: '9007199254740993' }, { raw: '1e21' }, { raw: '253402300800000' }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 30, max: 6000 }).map((d): Raw => ({ raw: '{"a":'.repeat(d) + '1' + '}'.repeat(d) })),
  fc.array(fc.dictionary(fc.constantFrom('sku', 'quantity', 'price'), cell, { maxKeys: 3 }), { maxLength: 3 }),
);
/** A value of a key: usually plausible (as JSON text, or a number for amounts), sometimes hostile. */
const valueOf = (key: string): fc.Arbitrary<unknown> =>
  Object.hasOwn(PLAUSIBLE, key) ? fc.oneof({ weight: 4, arbitrary: PLAUSIBLE[key]! }, value) : fc.oneof(cell, value);

/** An NDJSON file of a kind: objects of plausible and hostile keys and values, and some lines that are not objects at all. */
const ndjsonFile = (kind: ImportKind) =>
  fc
    .array(
      fc.oneof(
        {
          weight: 6,
          arbitrary: columnsFor(kind)
            .chain((keys) => fc.tuple(...keys.map((k) => valueOf(k).map((v) => [k, v] as const))))
            .map((kv) => render(Object.fromEntries(kv))),
        },
        fc.dictionary(column, value, { maxKeys: 6 }).map(render),
        hostileText,
        fc.constantFrom('[1,2]', '"text"', '42', 'null', '{"user_id":', '', deepJson(20_000, '[', ']')),
      ),
      { maxLength: 8 },
    )
    .map((lines) => lines.join('\n'));

/** A file of either format and kind. */
const anyFile = fc
  .tuple(fc.constantFrom<ImportKind>('profiles', 'orders'), fc.constantFrom<ImportFormat>('csv', 'ndjson'))
  .chain(([kind, format]) => (format === 'csv' ? csvFile(kind) : ndjsonFile(kind)).map((text) => ({ kind, format, text })));

/** A writer that stores nothing: the parsers' properties need no database. */
function fakeDeps(): ImportDeps & { submitted: number } {
  const deps = {
    submitted: 0,
    writer: {
      submit: async (_ws: string, events: unknown[]) => ((deps.submitted += events.length), { stored: events.length, duplicates: 0 }),
      exclusive: async () => 0,
      drain: async () => {},
      settleStatistics: async () => {},
      settingsFor: async () => ({ rules: createRuleBook(), currency: 'CNY', timeZone: 'Asia/Shanghai' }),
      oldestInFlight: () => undefined,
    },
    database: { dialect: { isRetryable: () => false } },
    ingest: { dialect: {}, cipher: { forWorkspace: async () => ({ lookupKey: (_t: string, v: string) => v }) }, now: () => Date.parse('2026-11-01T00:00:00Z') },
    defaultRegion: 'CN',
  };
  return deps as unknown as ImportDeps & { submitted: number };
}

const physicalLines = (text: string, format: ImportFormat) => (format === 'csv' ? text.split(/\r\n|\n|\r/) : text.split('\n')).length;

/** What every report must satisfy, whatever the input. */
function checkReport(r: ImportReport, text: string, format: ImportFormat): void {
  expect(r.skipped).toBe(r.rejected ? r.rows : r.errorCount);
  if (!r.rejected) expect(r.imported + r.duplicates + r.skipped).toBe(r.rows);
  else expect(r.imported).toBe(0);
  const lines = physicalLines(text, format);
  for (const e of [...r.errors, ...r.warnings]) {
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines);
  }
  for (const e of r.errors) if (e.field === undefined) expect(e.reason).toMatch(WHOLE_ROW);
  for (const w of r.warnings) expect(w.field).toEqual(expect.any(String));
}

/** Runs an import, allowing only a report or a 400 for a file that cannot be read at all. */
async function importOrReject(deps: ImportDeps, kind: ImportKind, format: ImportFormat, mode: ImportMode, text: string) {
  try {
    return await runImport(deps, { workspaceId: 'ws_fuzz', kind, format, mode, open: () => Readable.from([Buffer.from(text)]) });
  } catch (err) {
    if (err instanceof AppError && err.code === 'IMPORT_INVALID' && err.status === 400) return undefined;
    throw err;
  }
}

describe('import parsers under fuzzing (no database)', () => {
  it('every file gives a report (or 400), rows add up, errors name line and field, and a rejected file submits nothing', async () => {
    const modes = fc.constantFrom<ImportMode>('skip-bad-rows', 'all-or-nothing');
    await fc.assert(
      fc.asyncProperty(anyFile, modes, async ({ kind, format, text }, mode) => {
        const deps = fakeDeps();
        const r = await importOrReject(deps, kind, format, mode, text);
        if (!r || r.rejected) expect(deps.submitted).toBe(0);
        if (r) checkReport(r, text, format);
      }),
      { numRuns: 800 },
    );
  }, 180_000);
});

describeEngines('import fuzzing through the API', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const events = async () =>
    Number(
      (
        await t.database.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', t.workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** Posts a file in one mode: 200 with a consistent report and exactly its stored rows, or 400 storing nothing. */
  async function post(kind: ImportKind, format: ImportFormat, mode: ImportMode, text: string): Promise<void> {
    const before = await events();
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/imports?kind=${kind}&format=${format}&mode=${mode}`,
      headers: { authorization: `Bearer ${t.secretKey}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(text),
    });
    expect([200, 400], res.body.slice(0, 500)).toContain(res.statusCode);
    await t.services.writer.drain();
    const stored = (await events()) - before;
    if (res.statusCode === 400) {
      expect(res.json().error.code).toMatch(/^IMPORT_INVALID$/);
      expect(stored).toBe(0);
      const details = res.json().error.details as ImportReport | undefined;
      if (details) checkReport(details, text, format);
      return;
    }
    const r = res.json() as ImportReport;
    checkReport(r, text, format);
    expect(stored).toBe(r.imported);
  }

  it('stores whole imports or nothing for generated hostile files, in both modes', async () => {
    await fc.assert(
      fc.asyncProperty(anyFile, async ({ kind, format, text }) => {
        await post(kind, format, 'all-or-nothing', text);
        await post(kind, format, 'skip-bad-rows', text);
      }),
      { numRuns: 40 },
    );
  }, 300_000);

  const corpus = readdirSync(CORPUS).filter((f) => /\.(csv|ndjson)$/.test(f));
  it('replays the corpus of findings', async () => {
    expect(corpus.length).toBeGreaterThan(0);
    for (const name of corpus) {
      const [kind] = name.split('-') as [ImportKind];
      const format: ImportFormat = name.endsWith('.csv') ? 'csv' : 'ndjson';
      const text = readFileSync(new URL(name, CORPUS), 'utf8');
      for (const mode of ['all-or-nothing', 'skip-bad-rows'] as const) {
        try {
          await post(kind, format, mode, text);
        } catch (err) {
          throw new Error(`corpus ${name} (${mode}): ${(err as Error).message}`);
        }
      }
    }
  }, 120_000);
});

describeEngines('hostile values in imports', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const run = (kind: ImportKind, format: ImportFormat, text: string) =>
    runImport(importDeps(t.services.cdp), { workspaceId: t.workspaceId, kind, format, open: () => Readable.from([Buffer.from(text)]) });

  it('rejects each hostile value with its line, field and a precise reason, importing the rest of the file', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const nd = [
      '{"user_id":"h-nul","name":"a\\u0000b"}',
      '{"user_id":"h-sur","traits":{"nick":["ok","\\ud800"]}}',
      `{"user_id":"h-deep","traits":${deep}}`,
      '{"user_id":9007199254740993,"name":"big"}',
      '{"user_id":"h-inf","score":1e400}',
      '{"user_id":"h-ok","__proto__":{"x":1},"constructor":"c"}',
    ].join('\n');
    const r = await run('profiles', 'ndjson', nd);
    expect(r).toMatchObject({
      rows: 6,
      imported: 1,
      errorCount: 5,
      warnings: [{ line: 6, field: '__proto__', reason: expect.stringMatching(/^__proto__ cannot be/) }],
    });
    expect(r.errors.map((e) => [e.line, e.field])).toEqual([
      [1, 'name'],
      [2, 'traits'],
      [3, 'traits'],
      [4, 'user_id'],
      [5, 'score'],
    ]);
    expect(r.errors.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^name contains a NUL character/),
      expect.stringMatching(/^traits\.nick\[1\] contains an unpaired UTF-16 surrogate/),
      expect.stringMatching(/^traits is nested more than 32 levels deep/),
      expect.stringMatching(/^user_id 9007199254740992 is a number beyond 2\^53/),
      expect.stringMatching(/^score is a number too large to store/),
    ]);
    // A column named __proto__ is left out (with a warning), never made the traits' prototype.
    const row = await t.database.db
      .selectFrom('identities as i')
      .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'i.workspace_id').onRef('p.id', '=', 'i.profile_id'))
      .select('p.traits')
      .where('i.workspace_id', '=', t.workspaceId)
      .where('i.id_type', '=', 'user_id')
      .where('i.id_key', '=', 'h-ok')
      .executeTakeFirstOrThrow();
    const traits = typeof row.traits === 'string' ? JSON.parse(row.traits) : row.traits;
    expect(Object.keys(traits)).toEqual(['constructor']);
    expect(Object.getPrototypeOf(traits)).toBe(Object.prototype);

    const orders = [
      'order_id,user_id,total,total_fen,ordered_at,products',
      'o-big,u1,99999999999999999999.99,,2026-01-01,',
      'o-fen,u1,,99999999999999999999,2026-01-01,',
      `o-deep,u1,1,,2026-01-01,"${'['.repeat(3000)}${']'.repeat(3000)}"`,
      'o-ok,u1,1,,2026-01-01,',
    ].join('\n');
    const o = await run('orders', 'csv', orders);
    expect(o).toMatchObject({ rows: 4, imported: 1 });
    expect(o.errors.map((e) => [e.line, e.field, e.reason.split(' ').slice(0, 3).join(' ')])).toEqual([
      [2, 'total', 'total "99999999999999999999.99" is'],
      [3, 'total_fen', 'total_fen "99999999999999999999" must'],
      [4, 'products', 'products is nested'],
    ]);
    const far = await run('orders', 'ndjson', '{"order_id":"o-far","user_id":"u1","total":1,"ordered_at":253402300800000}\n');
    expect(far.errors).toEqual([
      { line: 1, field: 'ordered_at', reason: 'ordered_at 253402300800000 is after the year 9999; give epoch milliseconds or ISO-8601' },
    ]);
  });
});
