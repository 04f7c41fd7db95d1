import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedRange, createGuardedFetch, isOutboundBlocked, parseAllowList } from './outbound.js';

let server: Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/` });
      return res.end();
    }
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => (server ? new Promise<void>((r) => server.close(() => r())) : undefined));

describe('blockedRange', () => {
  const none = parseAllowList([]);
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['fd00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['224.0.0.1', 'multicast'],
  ])('refuses %s (%s)', (addr, range) => expect(blockedRange(addr, none)).toBe(range));
  it('lets public addresses through', () => {
    expect(blockedRange('8.8.8.8', none)).toBeUndefined();
    expect(blockedRange('2001:4860:4860::8888', none)).toBeUndefined();
  });
  it('honours the allow list by host, address and range', () => {
    const allow = parseAllowList(['sandbox.local', '127.0.0.1', '10.0.0.0/8']);
    expect(blockedRange('127.0.0.1', allow)).toBeUndefined();
    expect(blockedRange('10.9.9.9', allow)).toBeUndefined();
    expect(blockedRange('192.168.0.1', allow)).toBe('private');
    expect(blockedRange('192.168.0.1', allow, 'sandbox.local')).toBeUndefined();
  });
  it('names a bad allow-list entry', () => expect(() => parseAllowList(['10.0.0.0/99'])).toThrow(/CIDR/));
});

describe('createGuardedFetch', () => {
  const guarded = createGuardedFetch(parseAllowList([]));
  const refused = async (url: string) => {
    const before = hits;
    const err = await guarded(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isOutboundBlocked(err), `${url} should be refused`).toBe(true);
    expect(hits).toBe(before); // nothing reached the listener
  };

  it('refuses loopback in every spelling, by literal and by name resolved at connect time', async () => {
    await refused(`http://127.0.0.1:${port}/`);
    await refused(`http://2130706433:${port}/`);
    await refused(`http://0x7f.1:${port}/`);
    await refused(`http://[::ffff:127.0.0.1]:${port}/`);
    await refused(`http://0.0.0.0:${port}/`);
    await refused(`http://localhost:${port}/`);
    await refused('http://169.254.169.254/latest/meta-data/');
  });

  it('reaches an allow-listed address, and does not follow a redirect', async () => {
    const allowed = createGuardedFetch(parseAllowList(['127.0.0.1']));
    const res = await allowed(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe('ok');
    const redirected = await allowed(`http://127.0.0.1:${port}/redirect`);
    expect(redirected.status).toBe(302);
  });
});
