import { accessMigrations } from '../access/index.js';
import type { Kysely } from 'kysely';
import { broadcastMigrations } from '../broadcasts/index.js';
import { cdpMigrations } from '../cdp/index.js';
import { complianceMigrations } from '../compliance/index.js';
import { insightMigrations } from '../insight/index.js';
import { journeyMigrations } from '../journeys/index.js';
import { loyaltyMigrations } from '../loyalty/index.js';
import { messagingMigrations } from '../messaging/index.js';
import type { Engine } from '../platform/db/database.js';
import { type MigrationSet, migrateToLatest } from '../platform/db/migrations.js';
import { platformMigrations } from '../platform/migrations.js';
import { scrmMigrations } from '../scrm/index.js';
import { segmentMigrations } from '../segments/index.js';

/** Every module's migrations, platform first: the parts of a shared name (0001_core, 0002_segments) run in this order. */
export function siyuMigrations(engine: Engine): MigrationSet[] {
  return [
    platformMigrations(engine),
    cdpMigrations(engine),
    segmentMigrations(engine),
    scrmMigrations(engine),
    messagingMigrations(engine),
    journeyMigrations(engine),
    broadcastMigrations(engine),
    loyaltyMigrations(engine),
    insightMigrations(engine),
    accessMigrations(engine),
    complianceMigrations(engine),
  ];
}

/** Applies Siyu's pending migrations (see `migrateToLatest`); returns the names applied. */
export function migrateSiyu(db: Kysely<any>, engine: Engine, opts: { schema?: string } = {}): Promise<string[]> {
  return migrateToLatest(db, engine, siyuMigrations, opts);
}
