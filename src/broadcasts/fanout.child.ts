/**
 * A broadcast worker alone in its own process, for the crash test (fanout.durability.test.ts):
 * it runs every due fan-out to its end and exits 0, unless the test kills it first. Arguments:
 * one JSON object `{ dataDir, databaseUrl?, searchPath?, now, chunkSize }`.
 */
import pino from 'pino';
import { openDatabase } from '../platform/db/database.js';
import { createHub } from '../platform/hub.js';
import { createBroadcastWorker } from './worker.js';

const args = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string; databaseUrl?: string; searchPath?: string; now: number; chunkSize: number };
const database = openDatabase({ dataDir: args.dataDir, databaseUrl: args.databaseUrl, searchPath: args.searchPath, poolSize: 2 });
const log = pino({ level: 'silent' });
const worker = createBroadcastWorker({ database, now: () => args.now, log, hub: createHub(log) }, { chunkSize: args.chunkSize });
const stats = await worker.runOnce();
process.stdout.write(JSON.stringify(stats) + '\n');
await database.close();
