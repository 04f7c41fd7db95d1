import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { copySqliteTemplate, createSchemaFromTemplate } from './templates.js';
import { buildApp, createServices, type Services, type ServicesOptions } from '../../src/server/app.js';
import type { FastifyInstance } from 'fastify';
import { fixedClock, type Clock } from '../../src/platform/clock.js';
import type { Config } from '../../src/platform/config.js';
import { type Database, type Engine, openDatabase } from '../../src/platform/db/database.js';
import { createWorkspace } from '../../src/platform/workspaces.js';
import pino from 'pino';

/**
 * The engines every storage test runs on: SQLite always; PostgreSQL when SIYU_TEST_POSTGRES_URL
 * is set (CI always sets it, and a server that cannot be reached there fails the run).
 */
export const ENGINES: Engine[] = process.env.SIYU_TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/** Runs a describe block once per engine. */
export function describeEngines(name: string, fn: (engine: Engine) => void): void {
  for (const engine of ENGINES) describe(`${name} [${engine}]`, () => fn(engine));
}

/** A fresh, migrated database (a copy of the run's template, test/support/templates.ts): a temp SQLite file, or a new PostgreSQL schema dropped on close. */
export async function openTestDatabase(engine: Engine): Promise<Database & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'siyu-test-'));
  const templates = inject('siyuTemplates');
  if (engine === 'sqlite') {
    copySqliteTemplate(templates, dataDir);
    const d = openDatabase({ dataDir });
    return {
      ...d,
      dataDir,
      close: async () => {
        await d.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.SIYU_TEST_POSTGRES_URL!;
  const schema = `siyu_t_${randomBytes(6).toString('hex')}`;
  await createSchemaFromTemplate(templates, url, schema);
  const d = openDatabase({ databaseUrl: url, dataDir, searchPath: schema, poolSize: 4 });
  return {
    ...d,
    dataDir,
    close: async () => {
      await d.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A test configuration (no environment read). */
export function testConfig(dataDir: string, overrides: Partial<Config> = {}): Config {
  return Object.freeze({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    databaseUrl: undefined,
    logLevel: 'silent',
    logFormat: 'json',
    encryptionKey: Buffer.alloc(32, 7),
    encryptionKeySource: 'env',
    defaultTimezone: 'Asia/Shanghai',
    defaultPhoneRegion: 'CN',
    shutdownTimeoutMs: 5000,
    dbPoolSize: 4,
    bootstrapWorkspace: false,
    segmentRecheckMinutes: 60,
    keyRotationGraceMs: 60_000,
    segmentWorker: false,
    dbConnectTimeoutMs: 5_000,
    dbApiTimeoutMs: 10_000,
    dbWorkerTimeoutMs: 600_000,
    segmentPreviewTimeoutMs: 10_000,
    segmentRecomputeTimeoutMs: 300_000,
    segmentWorkMem: '64MB',
    // Tests talk to servers of their own on loopback (the WeCom sandbox, SMTP, webhooks).
    outboundAllow: ['127.0.0.1', '::1', 'localhost'],
    trustedProxies: [],
    publicUrl: undefined,
    ...overrides,
  }) as Config;
}

/** A running app over a fresh database, with one workspace and its keys. */
export interface TestApp {
  app: FastifyInstance;
  services: Services;
  database: Database;
  clock: Clock & { set(ms: number): void; advance(ms: number): void };
  workspaceId: string;
  writeKey: string;
  secretKey: string;
  /** Another workspace with its own keys (for isolation tests). */
  newWorkspace(name?: string): Promise<{ workspaceId: string; writeKey: string; secretKey: string }>;
  close(): Promise<void>;
}

/** Builds the full app over a fresh database of the given engine. */
export async function createTestApp(engine: Engine, opts: { clockStart?: number; demoSandboxes?: ServicesOptions['demoSandboxes'] } = {}): Promise<TestApp> {
  const database = await openTestDatabase(engine);
  const clock = fixedClock(opts.clockStart ?? Date.parse('2026-11-01T00:00:00Z'));
  const services = await createServices(testConfig(database.dataDir), {
    database,
    clock,
    log: pino({ level: 'silent' }),
    migrate: false,
    demoSandboxes: opts.demoSandboxes,
  });
  const app = await buildApp(services);
  await app.ready();
  const newWorkspace = async (name = 'Test') => {
    const c = await createWorkspace(database.db, { name });
    return { workspaceId: c.workspace.id, writeKey: c.writeKey, secretKey: c.secretKey };
  };
  const first = await newWorkspace();
  return {
    app,
    services,
    database,
    clock,
    ...first,
    newWorkspace,
    close: async () => {
      await app.close();
      await services.writer.drain();
      await services.close(); // the demo's stand-ins; the database is the test's, closed next
      await database.close();
    },
  };
}

/** HTTP Basic header for a write key (Segment style). */
export function basic(key: string): string {
  return 'Basic ' + Buffer.from(key + ':').toString('base64');
}
