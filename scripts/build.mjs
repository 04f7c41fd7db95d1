// `npm run build`: compiles src/, the WeCom sandbox and the benchmarks to dist/ (tsconfig.build.json)
// and stamps the build, so bin/siyu.js runs JavaScript instead of compiling TypeScript at every start.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  console.warn('siyu: TypeScript (a dev dependency) is not installed, so dist/ is not built; `siyu` runs the sources through tsx.');
  process.exit(0);
}
rmSync('dist', { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
mkdirSync('dist', { recursive: true });
writeFileSync('dist/.build-stamp', new Date().toISOString() + '\n');
