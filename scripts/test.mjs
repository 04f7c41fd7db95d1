#!/usr/bin/env node
// `npm test`: the checks (`npm run check`: types, import rules, table owners, sizes, format) and the
// whole Vitest suite, side by side: the suite runs one test file at a time and leaves CPU to
// spare, so the checks finish within it instead of before it. The checks' output is shown as one
// block when they end; the run fails when either fails. Arguments go to Vitest
// (`npm test -- src/cdp` runs the checks and those files).
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

const check = new Promise((resolve) => {
  const out = [];
  const p = spawn(npm, ['run', '--silent', 'check'], { stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout.on('data', (d) => out.push(d));
  p.stderr.on('data', (d) => out.push(d));
  p.on('close', (code) => {
    const text = Buffer.concat(out).toString('utf8').trimEnd();
    process.stdout.write(`\n── npm run check ${code === 0 ? 'passed' : `FAILED (exit ${code})`} ──\n${text}\n── end of npm run check ──\n`);
    resolve(code ?? 1);
  });
});

const suite = new Promise((resolve) => {
  const p = spawn(npx, ['vitest', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
  p.on('close', (code) => resolve(code ?? 1));
});

const [checkCode, suiteCode] = await Promise.all([check, suite]);
if (checkCode !== 0) process.stdout.write('npm test: the checks failed (see "npm run check" above)\n');
process.exit(checkCode !== 0 ? checkCode : suiteCode);
