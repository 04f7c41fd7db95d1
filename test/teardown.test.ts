import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

/**
 * A beforeAll that fails must be reported by its own error: the teardown then finds what setup
 * never made (issue #14 §5, rfm.cdnow.test.ts). Every afterAll of the suite closes only what exists
 * (`t?.close()`, or a guard), and a fixture run shows that such a teardown adds no error of its own.
 */

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

async function vitestOn(file: string): Promise<string> {
  const dir = join(import.meta.dirname, 'fixtures/teardown');
  const vitest = join(root, 'node_modules/vitest/vitest.mjs');
  const args = [vitest, 'run', '--config', join(dir, 'vitest.config.ts'), file];
  const out = await run(process.execPath, args, { cwd: dir }).then(
    (r) => r.stdout + r.stderr,
    (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
  );
  return out.replace(/\x1b\[[0-9;]*m/g, '');
}

it('a failing beforeAll is reported by its own error alone when the teardown closes only what exists', async () => {
  const safe = await vitestOn('optional-close.fixture.ts');
  expect(safe.match(/Error: planted setup failure/g)).toHaveLength(1);
  expect(safe).not.toMatch(/TypeError/);
  // What the old teardown did: a second, misleading error from afterAll.
  const unsafe = await vitestOn('plain-close.fixture.ts');
  expect(unsafe).toMatch(/Error: planted setup failure/);
  expect(unsafe).toMatch(/TypeError: Cannot read properties of undefined \(reading 'close'\)/);
}, 60_000);

/** The test files of the repository (source, test, sandbox), fixtures excepted. */
function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) return [];
    if (statSync(p).isDirectory()) return testFiles(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

/** The text of each `afterAll(...)` call in a source file (parentheses balanced). */
function afterAllBodies(text: string): { at: number; body: string }[] {
  const out: { at: number; body: string }[] = [];
  for (let i = text.indexOf('afterAll('); i >= 0; i = text.indexOf('afterAll(', i + 1)) {
    let depth = 0;
    let k = i + 'afterAll'.length;
    do {
      if (text[k] === '(') depth++;
      else if (text[k] === ')') depth--;
      k++;
    } while (depth > 0 && k < text.length);
    out.push({ at: text.slice(0, i).split('\n').length, body: text.slice(i + 'afterAll('.length, k - 1) });
  }
  return out;
}

it('every afterAll of the suite closes only what its setup made (x?.close(), or a guard)', () => {
  // A resource set by beforeAll, used without `?.`: `t.close()`, `k.t.close()`, `services.writer.drain()`.
  const unguarded = /(?<![\w.?$])(?!(?:vi|Promise|procs|closers|console)\b)([A-Za-z_$][\w$]*)\.(?:close|stop|writer|services|t|terminate)\b/;
  const offenders: string[] = [];
  let checked = 0;
  for (const file of ['src', 'test', 'wecom-sandbox'].flatMap((d) => testFiles(join(root, d)))) {
    for (const { at, body } of afterAllBodies(readFileSync(file, 'utf8'))) {
      checked++;
      // `if (x) ...;` and `x ? ... :` guard their own use; an arrow's parameter (`procs.map((p) => p.stop())`) is no resource.
      const guarded = body.replace(/if \((\w+)[^)]*\)[^;]*;|\((\w+) \?[^:]*:/g, '');
      const params = new Set([...guarded.matchAll(/\(?(\w+)\)? =>/g)].map((p) => p[1]));
      const m = [...guarded.matchAll(new RegExp(unguarded, 'g'))].find((x) => !params.has(x[1]));
      if (m) offenders.push(`${relative(root, file)}:${at}: ${m[0]}`);
    }
  }
  expect(checked).toBeGreaterThan(50);
  expect(offenders).toEqual([]);
});
