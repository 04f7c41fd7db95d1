// `npm install` / `npm ci` run this (package.json "prepare", after the server's build): it builds
// the console into console/dist, which the server serves at /console/. Only the bundle: type
// checking is development work (`npm test` and `npm run build:console` do it), not install work. An install without devDependencies
// (`--omit=dev`) has no Vite: it then says so and leaves the console unbuilt (the server answers
// /console/ with 503 and this hint) instead of failing the whole install. Any other failure of
// the build fails the install.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
try {
  require.resolve('vite/package.json');
} catch {
  console.warn(
    'siyu: devDependencies are not installed, so the web console is not built; run `npm install` (with dev dependencies) then `npm run build:console`.',
  );
  process.exit(0);
}
const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
const run = spawnSync(process.execPath, [vite, 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
