import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * The machinery the API fuzz tests share (issue #14 §3): inputs written as raw JSON text (so
 * numbers JSON.stringify cannot write and nesting it would refuse reach the server), a corpus of
 * findings kept in the repo (test/fixtures/fuzz/<area>/*.json, replayed on every run), and a
 * seeded property run that saves a new counterexample there to be committed.
 */

/** JSON text written as is where it stands in a value: `1e400`, `9007199254740993`, 5,000 levels of nesting. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** The JSON text of a value, writing {@link RawJson} parts as they are. */
export function jsonText(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Strings a client may send that a database cannot store or a validator may trip on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'a\u0000b', '\u0000', '\ud800', 'x\udfff', '\udfff\ud800', '\u2028', '\ufeff', '🙂', "'; drop table profiles; --", '%_\\'),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
  fc.integer({ min: 250, max: 3000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** Numbers a client may send: beyond 2^53, beyond a double (JSON.parse makes them Infinity), tiny, negative zero. */
export const hostileNumber: fc.Arbitrary<number | RawJson> = fc.oneof(
  fc.constantFrom(-1, -0, 0.5, 1e21, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 31, 2 ** 63),
  fc.constantFrom(new RawJson('1e400'), new RawJson('-1e400'), new RawJson('9007199254740993'), new RawJson('123456789012345678901234567890')),
  fc.double(),
);

/** Dates of every odd kind: impossible days, far years, offsets, not dates at all. */
export const oddDate: fc.Arbitrary<string> = fc.constantFrom(
  '2026-02-30',
  '2026-13-01',
  '2026-00-10',
  '0000-01-01',
  '9999-12-31',
  '+275760-09-13',
  '-000001-01-01',
  '2026-1-1',
  '2026-01-01T00:00:00',
  '2026-01-01T25:61:00+08:00',
  '2026-01-01T00:00:00+99:99',
  '2026-01-01T00:00:00.1234567890Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999+14:00',
  'yesterday',
);

/** JSON of a level nested `depth` times: `[[[...]]]` or `{"k":{"k":...}}`. */
export const deepJson = (depth: number, key?: string) =>
  new RawJson(key === undefined ? '['.repeat(depth) + ']'.repeat(depth) : `{${JSON.stringify(key)}:`.repeat(depth) + '1' + '}'.repeat(depth));

/** A finding kept in the repo: the input as JSON text and, once understood, the status (and code) it must answer. */
export interface Finding {
  finding: string;
  input: string;
  status?: number;
  code?: string;
}

/** What one input answered. */
export interface Answer {
  status: number;
  code?: string;
}

/** The runs of a property: SIYU_FUZZ_RUNS when set (a longer hunt), else `runs`. */
export const fuzzRuns = (runs: number) => Number(process.env.SIYU_FUZZ_RUNS) || runs;
/** The seed of a property: SIYU_FUZZ_SEED when set, else a fixed one (a run is repeatable). */
export const fuzzSeed = () => Number(process.env.SIYU_FUZZ_SEED) || 20_261_114;

/** Replays every finding of a corpus directory through `check`, holding each to its recorded status and code. */
export async function replayCorpus(dir: string, check: (input: string) => Promise<Answer>): Promise<number> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  for (const f of files) {
    const c = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Finding;
    let answer: Answer;
    try {
      answer = await check(c.input);
    } catch (err) {
      throw new Error(`corpus ${f} (${c.finding}): ${(err as Error).message}`);
    }
    if (c.status !== undefined) expect(answer.status, `corpus ${f} (${c.finding})`).toBe(c.status);
    if (c.code !== undefined) expect(answer.code, `corpus ${f} (${c.finding})`).toBe(c.code);
  }
  return files.length;
}

/**
 * Runs `check` over generated inputs (seeded, a fixed number of runs); a counterexample is saved
 * to the corpus as `found-<hash>.json` (to be fixed, described and committed) and fails the test.
 */
export async function fuzzCorpus<T>(opts: {
  dir: string;
  label: string;
  arbitrary: fc.Arbitrary<T>;
  input: (value: T) => string;
  check: (input: string) => Promise<Answer>;
  runs: number;
}): Promise<Answer[]> {
  const answers: Answer[] = [];
  const property = fc.asyncProperty(opts.arbitrary, async (v) => {
    answers.push(await opts.check(opts.input(v)));
  });
  const out = await fc.check(property, { numRuns: fuzzRuns(opts.runs), seed: fuzzSeed() });
  if (!out.failed) return answers;
  const input = opts.input(out.counterexample![0]);
  mkdirSync(opts.dir, { recursive: true });
  const file = join(opts.dir, `found-${createHash('sha1').update(input).digest('hex').slice(0, 10)}.json`);
  const finding: Finding = { finding: `fuzz counterexample (${opts.label}): fix, describe, then set the expected status`, input };
  writeFileSync(file, JSON.stringify(finding, null, 2) + '\n');
  const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  throw new Error(`${fc.defaultReportMessage(out)}\n${cause}\nsaved to ${file}`);
}

/** One change to a JSON value: the node at `at` (depth-first, modulo the node count) replaced, deleted from its parent, or given an extra key. */
export interface Mutation {
  at: number;
  kind: 'replace' | 'delete' | 'add';
  key: string;
  value: unknown;
}

/** Any value, a hostile one, or a copy of a neighbour: what a near-valid input is made of. */
export const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('replace', 'replace', 'delete', 'add'),
  key: fc.oneof(fc.constantFrom('next', 'id', 'type', 'extra', 'value', 'steps'), hostileString),
  value: fc.oneof(hostileString, hostileNumber, oddDate, fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, true, [], {}, deepJson(3000), deepJson(40, 'a'))),
});

/** A copy of `root` with the mutation applied (the root itself is only ever replaced). */
export function mutateJson(root: unknown, m: Mutation): unknown {
  const nodes: { parent: unknown; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (nodes.push({ parent: v, key: i }), walk(x)));
    else if (v && typeof v === 'object' && !(v instanceof RawJson)) for (const [k, x] of Object.entries(v)) (nodes.push({ parent: v, key: k }), walk(x));
  };
  const copy = structuredCloneJson(root);
  walk(copy);
  if (nodes.length === 0) return m.kind === 'replace' ? m.value : copy;
  const { parent, key } = nodes[m.at % nodes.length]!;
  const p = parent as Record<string | number, unknown>;
  if (m.kind === 'replace') set(p, key, m.value);
  else if (m.kind === 'delete') Array.isArray(p) ? p.splice(key as number, 1) : delete p[key];
  else {
    const target = p[key];
    if (target && typeof target === 'object' && !Array.isArray(target) && !(target instanceof RawJson)) set(target as Record<string, unknown>, m.key, m.value);
    else if (Array.isArray(target)) target.push(m.value);
    else set(p, key, m.value);
  }
  return copy;
}

/** Sets an own property, `__proto__` included (plain assignment would set the prototype). */
function set(o: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function structuredCloneJson(v: unknown): unknown {
  if (v instanceof RawJson) return v;
  if (Array.isArray(v)) return v.map(structuredCloneJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneJson(x)]));
  return v;
}
