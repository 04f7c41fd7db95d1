import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder (where package.json of "siyu" is), found from this file's place, so
 * paths hold whether the code runs from its TypeScript sources (src/) or compiled (dist/src/).
 */
export function projectRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'siyu') return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json of siyu above ${from}`);
  }
}
