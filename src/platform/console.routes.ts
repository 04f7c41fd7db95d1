import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { projectRoot } from './paths.js';

/** Where `npm run build:console` puts the built console (console/dist at the repository root). */
export const CONSOLE_DIST_DIR = join(projectRoot(), 'console', 'dist');

/**
 * Headers of every console response. Images may also come from WeCom's image hosts: the QR codes
 * WeCom makes for live codes (`qr_code`, https://wework.qpic.cn/...) and customers' avatars
 * (wx.qlogo.cn), which the SCRM screens show as WeCom hands them out.
 */
export const CONSOLE_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: *.qpic.cn *.qlogo.cn; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
} as const;

const NOT_BUILT = 'the web console is not built: run `npm run build:console` (`npm install` runs it too), then reload';

/**
 * The operators' web console at /console/: the files of console/dist, and index.html for every
 * other path under /console/ (the console routes in the browser). `/` redirects there. While
 * console/dist has no index.html, /console/ answers 503 with the command to build it; this is
 * checked per request, so building while the server runs needs no restart. The routes are hidden
 * from the OpenAPI document.
 */
export async function consoleRoutes(app: FastifyInstance, opts: { distDir?: string } = {}): Promise<void> {
  const root = resolve(opts.distDir ?? CONSOLE_DIST_DIR);
  const index = resolve(root, 'index.html');
  // Only reply.sendFile, with its safe path handling and caching headers; the routes are ours.
  await app.register(fastifyStatic, { root, serve: false, suppressWarning: true });

  // Security headers on everything the console serves: its own scripts and styles only (Ant Design
  // writes inline styles; no inline scripts), no framing (clickjacking), no MIME sniffing.
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });

  const hidden = { schema: { hide: true } };
  app.get('/', hidden, async (_req, reply) => reply.redirect('/console/'));
  app.get('/console', hidden, async (_req, reply) => reply.redirect('/console/'));

  const sendIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });

  app.get<{ Params: { '*': string } }>('/console/*', hidden, async (req, reply) => {
    if (!existsSync(index)) return reply.status(503).send({ error: { code: 'NOT_READY', message: NOT_BUILT } });
    const rel = req.params['*'] ?? '';
    if (rel === '' || rel === 'index.html') return sendIndex(reply);
    const file = resolve(root, rel);
    if (file.startsWith(root + sep) && isFile(file)) {
      // Vite names the bundles after their content hash: they never change under one name.
      const hashed = rel.startsWith('assets/');
      return reply.sendFile(rel, { maxAge: hashed ? 365 * 24 * 3600 * 1000 : 0, immutable: hashed });
    }
    // A missing file (a bundle of an older build, a typo) is a 404; giving it index.html would
    // make the browser run HTML as a script. Paths without an extension are the console's screens.
    if (extname(rel)) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no console file ${rel}` } });
    return sendIndex(reply);
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
