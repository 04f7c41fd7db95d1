import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dir = () => mkdtempSync(join(tmpdir(), 'siyu-config-'));

describe('loadConfig', () => {
  it('has working defaults: port 3000, SQLite under ./data, a generated key kept in the data folder', () => {
    const d = dir();
    const c = loadConfig({ SIYU_DATA_DIR: d });
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.defaultTimezone).toBe('Asia/Shanghai');
    expect(c.encryptionKeySource).toBe('generated');
    expect(existsSync(join(d, 'encryption.key'))).toBe(true);
    // The second start reuses the same key.
    const again = loadConfig({ SIYU_DATA_DIR: d });
    expect(again.encryptionKeySource).toBe('data-dir');
    expect(again.encryptionKey.equals(c.encryptionKey)).toBe(true);
    expect(readFileSync(join(d, 'encryption.key'), 'utf8').trim()).toHaveLength(64);
  });

  it('has database time limits and an empty outbound allow list by default, and reads both', () => {
    const c = loadConfig({ SIYU_DATA_DIR: dir() });
    expect([c.dbConnectTimeoutMs, c.dbApiTimeoutMs, c.dbWorkerTimeoutMs]).toEqual([5_000, 10_000, 600_000]);
    expect(c.outboundAllow).toEqual([]);
    const d = loadConfig({ SIYU_DATA_DIR: dir(), SIYU_OUTBOUND_ALLOW: ' sandbox.local , 127.0.0.1,10.0.0.0/8', SIYU_DB_API_TIMEOUT_MS: '2500' });
    expect(d.outboundAllow).toEqual(['sandbox.local', '127.0.0.1', '10.0.0.0/8']);
    expect(d.dbApiTimeoutMs).toBe(2500);
  });

  it('bounds segment previews and recomputes by default, never above the pool limits they run under', () => {
    const c = loadConfig({ SIYU_DATA_DIR: dir() });
    expect([c.segmentPreviewTimeoutMs, c.segmentRecomputeTimeoutMs, c.segmentWorkMem]).toEqual([10_000, 300_000, '64MB']);
    const short = loadConfig({ SIYU_DATA_DIR: dir(), SIYU_DB_API_TIMEOUT_MS: '4000', SIYU_DB_WORKER_TIMEOUT_MS: '60000' });
    expect([short.segmentPreviewTimeoutMs, short.segmentRecomputeTimeoutMs]).toEqual([4_000, 60_000]);
    const set = loadConfig({
      SIYU_DATA_DIR: dir(),
      SIYU_SEGMENT_PREVIEW_TIMEOUT_MS: '3000',
      SIYU_SEGMENT_RECOMPUTE_TIMEOUT_MS: '600000',
      SIYU_SEGMENT_WORK_MEM: '256MB',
    });
    expect([set.segmentPreviewTimeoutMs, set.segmentRecomputeTimeoutMs, set.segmentWorkMem]).toEqual([3_000, 600_000, '256MB']);
  });

  it('logs human-readable lines on a terminal and JSON otherwise, unless SIYU_LOG_FORMAT says', () => {
    expect(loadConfig({ SIYU_DATA_DIR: dir() }, true).logFormat).toBe('pretty');
    expect(loadConfig({ SIYU_DATA_DIR: dir() }, false).logFormat).toBe('json');
    expect(loadConfig({ SIYU_DATA_DIR: dir(), SIYU_LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
  });

  it('trusts no proxy and has no public URL by default; reads both', () => {
    const c = loadConfig({ SIYU_DATA_DIR: dir() });
    expect(c.trustedProxies).toEqual([]);
    expect(c.publicUrl).toBeUndefined();
    const d = loadConfig({ SIYU_DATA_DIR: dir(), SIYU_TRUSTED_PROXIES: ' 127.0.0.1, 10.0.0.0/8,::1 ', SIYU_PUBLIC_URL: 'https://cdp.example.com/siyu/' });
    expect(d.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(d.publicUrl).toBe('https://cdp.example.com/siyu');
  });

  it('reads PORT or SIYU_PORT', () => {
    expect(loadConfig({ SIYU_DATA_DIR: dir(), PORT: '4000' }).port).toBe(4000);
    expect(loadConfig({ SIYU_DATA_DIR: dir(), PORT: '4000', SIYU_PORT: '5000' }).port).toBe(5000);
  });

  const bad: [Record<string, string>, string, RegExp][] = [
    [{ PORT: 'eighty' }, 'PORT', /whole number/],
    [{ SIYU_PORT: '70000' }, 'SIYU_PORT', /from 0 to 65535/],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres:\/\//],
    [{ DATABASE_URL: 'postgres://x/y' }, 'SIYU_ENCRYPTION_KEY', /required when DATABASE_URL is set/],
    [{ SIYU_ENCRYPTION_KEY: 'short' }, 'SIYU_ENCRYPTION_KEY', /32 bytes/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of fatal, error/],
    [{ SIYU_DEFAULT_TIMEZONE: 'Mars/Olympus' }, 'SIYU_DEFAULT_TIMEZONE', /IANA time zone/],
    [{ SIYU_BOOTSTRAP_WORKSPACE: 'maybe' }, 'SIYU_BOOTSTRAP_WORKSPACE', /true or false/],
    [{ SIYU_OUTBOUND_ALLOW: '127.0.0.1,10.0.0.0/40' }, 'SIYU_OUTBOUND_ALLOW', /CIDR/],
    [{ SIYU_OUTBOUND_ALLOW: 'http://x' }, 'SIYU_OUTBOUND_ALLOW', /host name, an IP address nor a CIDR/],
    [{ SIYU_DB_API_TIMEOUT_MS: '5s' }, 'SIYU_DB_API_TIMEOUT_MS', /whole number/],
    [{ SIYU_LOG_FORMAT: 'xml' }, 'SIYU_LOG_FORMAT', /json or pretty/],
    [{ SIYU_SEGMENT_PREVIEW_TIMEOUT_MS: '20000' }, 'SIYU_SEGMENT_PREVIEW_TIMEOUT_MS', /must not exceed SIYU_DB_API_TIMEOUT_MS \(10000\)/],
    [{ SIYU_SEGMENT_RECOMPUTE_TIMEOUT_MS: '900000' }, 'SIYU_SEGMENT_RECOMPUTE_TIMEOUT_MS', /must not exceed SIYU_DB_WORKER_TIMEOUT_MS \(600000\)/],
    [{ SIYU_SEGMENT_WORK_MEM: '64' }, 'SIYU_SEGMENT_WORK_MEM', /from 64kB to 2GB/],
    [{ SIYU_SEGMENT_WORK_MEM: '4GB' }, 'SIYU_SEGMENT_WORK_MEM', /from 64kB to 2GB/],
    [{ SIYU_TRUSTED_PROXIES: '10.0.0.1,proxy.local' }, 'SIYU_TRUSTED_PROXIES', /"proxy.local" is neither an IP address nor a CIDR range/],
    [{ SIYU_TRUSTED_PROXIES: '10.0.0.0/33' }, 'SIYU_TRUSTED_PROXIES', /CIDR/],
    [{ SIYU_PUBLIC_URL: 'cdp.example.com' }, 'SIYU_PUBLIC_URL', /http:\/\/ or https:\/\/ URL/],
    [{ SIYU_PUBLIC_URL: 'https://cdp.example.com/?a=1' }, 'SIYU_PUBLIC_URL', /without query/],
  ];
  for (const [env, variable, message] of bad) {
    it(`names ${variable} when it is wrong (${JSON.stringify(env)})`, () => {
      let err: unknown;
      try {
        loadConfig({ SIYU_DATA_DIR: dir(), ...env });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({ SIYU_DATA_DIR: dir() }))).toBe(true);
  });
});
