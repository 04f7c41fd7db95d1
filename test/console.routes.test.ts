import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../src/platform/console.routes.js';

/** The console's serving rules over a console/dist of our own: missing, then built. */
describe('console routes', () => {
  let dist: string;
  let app: FastifyInstance;
  beforeEach(async () => {
    dist = join(mkdtempSync(join(tmpdir(), 'siyu-console-')), 'dist');
    app = Fastify();
    await app.register(async (scope) => consoleRoutes(scope, { distDir: dist }));
  });
  afterEach(async () => {
    await app.close();
    rmSync(join(dist, '..'), { recursive: true, force: true });
  });

  it('answers 503 with the build command while the console is not built, and serves it once built (no restart)', async () => {
    for (const url of ['/console/', '/console/segments/seg_1']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(503);
      expect(res.json().error.code).toBe('NOT_READY');
      expect(res.json().error.message).toContain('npm run build:console');
    }
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(join(dist, '..'), 'secret.txt'), 'not served');

    const index = await app.inject('/console/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toContain('<div id="root">');
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    // Images: the console's own, and WeCom's QR codes and avatars only.
    expect(index.headers['content-security-policy']).toContain("img-src 'self' data: blob: *.qpic.cn *.qlogo.cn;");
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    // Screens of the single-page app get index.html.
    const screen = await app.inject('/console/segments/seg_1/edit');
    expect(screen.statusCode).toBe(200);
    expect(screen.body).toBe(index.body);
    // Files are served as themselves; hashed bundles may be cached for good.
    const js = await app.inject('/console/assets/index-abc.js');
    expect(js.statusCode).toBe(200);
    expect(js.body).toBe('console.log(1)');
    expect(js.headers['cache-control']).toContain('immutable');
    // A missing file is a 404 (not index.html, which a browser would try to run as a script).
    expect((await app.inject('/console/assets/index-old.js')).statusCode).toBe(404);
    // Nothing outside the folder, however the path is written.
    for (const url of ['/console/../secret.txt', '/console/%2e%2e/secret.txt', '/console/assets/..%2f..%2fsecret.txt']) {
      const res = await app.inject(url);
      expect(res.body, url).not.toContain('not served');
    }
  });

  it('redirects / and /console to /console/', async () => {
    for (const url of ['/', '/console']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(302);
      expect(res.headers.location).toBe('/console/');
    }
  });
});
