import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('a file failing in beforeAll makes the closing line red, with the failed file and the error counted', async () => {
  const dir = join(import.meta.dirname, 'fixtures/reporter');
  const vitest = join(import.meta.dirname, '../node_modules/vitest/vitest.mjs');
  const result = await run(process.execPath, [vitest, 'run', '--config', join(dir, 'vitest.config.ts')], { cwd: dir }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );
  expect(result.code).not.toBe(0);
  const line = result.out.split('\n').find((l) => l.startsWith('tests: '));
  expect(line).toMatch(/^tests: 1 passed, \d+ failed, \d+ skipped; files: 1 failed of 2; errors outside tests: [1-9]\d* -- FAILED$/);
});
