import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { parseAllowList } from './outbound-rules.js';

/** Validated, frozen runtime configuration; the only place that reads `process.env`. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** PostgreSQL connection string; absent means embedded SQLite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `pretty`: human-readable lines (the default when stdout is a terminal); `json`: one JSON object a line (otherwise). */
  readonly logFormat: 'json' | 'pretty';
  /** 32-byte key for PII encryption and lookup hashing. */
  readonly encryptionKey: Buffer;
  /** The server key before a rotation of it (`SIYU_ENCRYPTION_KEY_PREVIOUS`): unwraps data keys until `siyu keys rewrap` ran. */
  readonly encryptionKeyPrevious: Buffer | undefined;
  /** Where the key came from, so the server can warn about a generated one. */
  readonly encryptionKeySource: 'env' | 'generated' | 'data-dir';
  readonly defaultTimezone: string;
  readonly defaultPhoneRegion: string;
  readonly shutdownTimeoutMs: number;
  /** Size of a PostgreSQL connection pool per process. */
  readonly dbPoolSize: number;
  /** Create a workspace and keys on first start of an empty database. */
  readonly bootstrapWorkspace: boolean;
  /** Minutes between scheduled re-checks of time-dependent segments and model runs (0 turns the schedule off). */
  readonly segmentRecheckMinutes: number;
  /** How long a key rotation waits before re-encrypting (`SIYU_KEY_ROTATION_GRACE_MS`, default 60 s: other processes' key caches expire); 0 when one process runs alone. */
  readonly keyRotationGraceMs: number;
  /** Profiles per range of an in-place segment recompute; 0: sized by time (the default). */
  readonly segmentRangeSize: number;
  /** Run the background segment worker in this process (`serve`); a dedicated worker process may take it instead. */
  readonly segmentWorker: boolean;
  /** PostgreSQL: longest wait for a connection (new, or a free one of the pool) before the request fails with 503. */
  readonly dbConnectTimeoutMs: number;
  /** PostgreSQL: longest statement of an API request (server statement_timeout; the client gives up 2 s later, also when the server is frozen). */
  readonly dbApiTimeoutMs: number;
  /** PostgreSQL: longest statement of background work (segment recomputes, models, imports, migrations excepted). */
  readonly dbWorkerTimeoutMs: number;
  /** Longest statement of a segment preview (PostgreSQL statement_timeout; SQLite: the preview's read); at most dbApiTimeoutMs. */
  readonly segmentPreviewTimeoutMs: number;
  /** Longest statement of a segment recompute or of the change feed; at most dbWorkerTimeoutMs. */
  readonly segmentRecomputeTimeoutMs: number;
  /** PostgreSQL work_mem of segment previews and recomputes (`64MB`). */
  readonly segmentWorkMem: string;
  /** Internal destinations outbound HTTP may reach anyway (SIYU_OUTBOUND_ALLOW: host names, addresses, CIDR ranges). */
  readonly outboundAllow: readonly string[];
  /** Proxies (addresses, CIDR ranges) whose X-Forwarded-For/-Proto/-Host the tracking API believes (SIYU_TRUSTED_PROXIES); none by default. */
  readonly trustedProxies: readonly string[];
  /** The URL browsers reach this server by (SIYU_PUBLIC_URL), e.g. https://cdp.example.com; default: each request's Host. */
  readonly publicUrl: string | undefined;
}

/** A configuration problem, naming the variable at fault. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, names: string[], def: number, min: number, max: number): number {
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(name, `must be from ${min} to ${max}, got ${n}`);
    return n;
  }
  return def;
}

/** A time limit that defaults to `def` but never above `cap` (another variable's value), and may not be set above it. */
function cappedVar(env: Env, name: string, def: number, min: number, cap: number, capName: string): number {
  const n = intVar(env, [name], Math.min(def, cap), min, 86_400_000);
  if (n > cap) throw new ConfigError(name, `must not exceed ${capName} (${cap}), got ${n}`);
  return n;
}

/** PostgreSQL's memory units as work_mem takes them: 64kB to 2GB. */
function memoryVar(env: Env, name: string, def: string): string {
  const raw = (env[name] || def).trim();
  const m = /^(\d+)\s*(kB|MB|GB)$/.exec(raw);
  const kb = m ? Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[m[2] as 'kB' | 'MB' | 'GB'] : NaN;
  if (!(kb >= 64 && kb <= 2 * 1024 * 1024)) throw new ConfigError(name, `must be an amount from 64kB to 2GB such as 64MB (units kB, MB, GB), got "${raw}"`);
  return `${m![1]}${m![2]}`;
}

/** The database's time limits (PostgreSQL) and the segment queries' own, which stay within them. */
function databaseLimits(env: Env) {
  const dbConnectTimeoutMs = intVar(env, ['SIYU_DB_CONNECT_TIMEOUT_MS'], 5_000, 100, 600_000);
  const dbApiTimeoutMs = intVar(env, ['SIYU_DB_API_TIMEOUT_MS'], 10_000, 100, 3_600_000);
  const dbWorkerTimeoutMs = intVar(env, ['SIYU_DB_WORKER_TIMEOUT_MS'], 600_000, 1_000, 86_400_000);
  return {
    dbConnectTimeoutMs,
    dbApiTimeoutMs,
    dbWorkerTimeoutMs,
    segmentPreviewTimeoutMs: cappedVar(env, 'SIYU_SEGMENT_PREVIEW_TIMEOUT_MS', 10_000, 100, dbApiTimeoutMs, 'SIYU_DB_API_TIMEOUT_MS'),
    segmentRecomputeTimeoutMs: cappedVar(env, 'SIYU_SEGMENT_RECOMPUTE_TIMEOUT_MS', 300_000, 1_000, dbWorkerTimeoutMs, 'SIYU_DB_WORKER_TIMEOUT_MS'),
    segmentWorkMem: memoryVar(env, 'SIYU_SEGMENT_WORK_MEM', '64MB'),
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** `SIYU_ENCRYPTION_KEY_PREVIOUS`, the key being rotated out, if set. */
function loadPreviousKey(env: Env): Buffer | undefined {
  const raw = env.SIYU_ENCRYPTION_KEY_PREVIOUS;
  if (raw === undefined || raw === '') return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError('SIYU_ENCRYPTION_KEY_PREVIOUS', 'must be 32 bytes as 64 hex characters or base64, like SIYU_ENCRYPTION_KEY');
  return key;
}

function loadKey(env: Env, dataDir: string, usesSqlite: boolean): { key: Buffer; source: Config['encryptionKeySource'] } {
  const raw = env.SIYU_ENCRYPTION_KEY;
  if (raw !== undefined && raw !== '') {
    const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
    if (key.length !== 32) {
      throw new ConfigError('SIYU_ENCRYPTION_KEY', 'must be 32 bytes as 64 hex characters or base64 (try `openssl rand -hex 32`)');
    }
    return { key, source: 'env' };
  }
  if (!usesSqlite) {
    throw new ConfigError(
      'SIYU_ENCRYPTION_KEY',
      'is required when DATABASE_URL is set (every process must share it); generate one with `openssl rand -hex 32`',
    );
  }
  // Embedded default: generate once and keep it beside the database.
  const file = join(dataDir, 'encryption.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new ConfigError('SIYU_ENCRYPTION_KEY', `${file} does not hold a 64-hex-character key`);
    return { key, source: 'data-dir' };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600 });
  return { key, source: 'generated' };
}

/** A comma-separated list, entries trimmed, empty ones dropped. */
function listVar(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
}

/** Reads and validates configuration from an environment; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env = process.env, stdoutIsTty: boolean = process.stdout.isTTY === true): Config {
  const port = intVar(env, ['SIYU_PORT', 'PORT'], 3000, 0, 65535);
  const dataDir = resolve(env.SIYU_DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL (leave it unset for embedded SQLite)');
  }
  const logLevel = (env.SIYU_LOG_LEVEL || env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(env.SIYU_LOG_LEVEL ? 'SIYU_LOG_LEVEL' : 'LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const logFormat = (env.SIYU_LOG_FORMAT || (stdoutIsTty ? 'pretty' : 'json')) as Config['logFormat'];
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new ConfigError('SIYU_LOG_FORMAT', 'must be json or pretty');
  const defaultTimezone = env.SIYU_DEFAULT_TIMEZONE || 'Asia/Shanghai';
  if (!isValidTimezone(defaultTimezone)) {
    throw new ConfigError('SIYU_DEFAULT_TIMEZONE', `"${defaultTimezone}" is not an IANA time zone (e.g. Asia/Shanghai)`);
  }
  const defaultPhoneRegion = (env.SIYU_DEFAULT_PHONE_REGION || 'CN').toUpperCase();
  if (!/^[A-Z]{2}$/.test(defaultPhoneRegion)) {
    throw new ConfigError('SIYU_DEFAULT_PHONE_REGION', 'must be a two-letter region code such as CN');
  }
  const host = env.SIYU_HOST || '0.0.0.0';
  const shutdownTimeoutMs = intVar(env, ['SIYU_SHUTDOWN_TIMEOUT_MS'], 10_000, 0, 600_000);
  const dbPoolSize = intVar(env, ['SIYU_DB_POOL_SIZE'], 10, 1, 200);
  const bootstrap = env.SIYU_BOOTSTRAP_WORKSPACE ?? 'true';
  if (!['true', 'false', '1', '0'].includes(bootstrap)) {
    throw new ConfigError('SIYU_BOOTSTRAP_WORKSPACE', 'must be true or false');
  }
  const segmentRecheckMinutes = intVar(env, ['SIYU_SEGMENT_RECHECK_MINUTES'], 60, 0, 10_080);
  const segmentRangeSize = intVar(env, ['SIYU_SEGMENT_RANGE_SIZE'], 0, 0, 10_000_000);
  const worker = env.SIYU_SEGMENT_WORKER ?? 'true';
  if (!['true', 'false', '1', '0'].includes(worker)) throw new ConfigError('SIYU_SEGMENT_WORKER', 'must be true or false');
  const limits = databaseLimits(env);
  const outboundAllow = listVar(env.SIYU_OUTBOUND_ALLOW);
  try {
    parseAllowList(outboundAllow);
  } catch (err) {
    throw new ConfigError('SIYU_OUTBOUND_ALLOW', `${(err as Error).message}; give a comma-separated list of host names, IP addresses and CIDR ranges`);
  }
  const trustedProxies = listVar(env.SIYU_TRUSTED_PROXIES);
  for (const e of trustedProxies) {
    const ok = e.includes('/') ? ipaddr.isValidCIDR(e) : ipaddr.isValid(e.replace(/^\[|\]$/g, ''));
    if (!ok)
      throw new ConfigError(
        'SIYU_TRUSTED_PROXIES',
        `"${e}" is neither an IP address nor a CIDR range; give a comma-separated list such as 127.0.0.1,10.0.0.0/8`,
      );
  }
  const publicUrl = env.SIYU_PUBLIC_URL ? env.SIYU_PUBLIC_URL.trim().replace(/\/+$/, '') : undefined;
  if (publicUrl !== undefined && (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(publicUrl) || !URL.canParse(publicUrl))) {
    throw new ConfigError('SIYU_PUBLIC_URL', `must be an http:// or https:// URL without query, such as https://cdp.example.com, got "${env.SIYU_PUBLIC_URL}"`);
  }
  const { key, source } = loadKey(env, dataDir, databaseUrl === undefined);
  return Object.freeze({
    host,
    port,
    dataDir,
    databaseUrl,
    logLevel,
    logFormat,
    encryptionKey: key,
    encryptionKeyPrevious: loadPreviousKey(env),
    encryptionKeySource: source,
    defaultTimezone,
    defaultPhoneRegion,
    shutdownTimeoutMs,
    dbPoolSize,
    bootstrapWorkspace: bootstrap === 'true' || bootstrap === '1',
    segmentRecheckMinutes,
    keyRotationGraceMs: intVar(env, ['SIYU_KEY_ROTATION_GRACE_MS'], 60_000, 0, 3_600_000),
    segmentRangeSize,
    segmentWorker: worker === 'true' || worker === '1',
    ...limits,
    outboundAllow: Object.freeze(outboundAllow),
    trustedProxies: Object.freeze(trustedProxies),
    publicUrl,
  });
}
