#!/usr/bin/env node
// Entry point of `siyu` and `npm start`. Runs the compiled JavaScript in dist/ (built by
// `npm install` and `npm run build`) when it is at least as new as every TypeScript source;
// otherwise (a source edited since the last build) it runs the sources through tsx, which works
// without a build but compiles at every start (seconds per command).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');

/** True when a .ts file under one of `dirs` is newer than `since` (ms). */
function newerSource(dirs, since) {
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (newerSource([path], since)) return true;
      } else if (entry.name.endsWith('.ts') && statSync(path).mtimeMs > since) return true;
    }
  }
  return false;
}

const built =
  existsSync(stamp) &&
  !newerSource(
    ['src', 'bench', 'wecom-sandbox'].map((d) => join(root, d)),
    statSync(stamp).mtimeMs,
  );
if (built) {
  await import('../dist/src/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
