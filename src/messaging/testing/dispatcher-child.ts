/**
 * A dispatcher in a process of its own, for the kill -9 test (dispatcher-crash.test.ts):
 * `tsx dispatcher-child.ts <sqlite dataDir | postgres url> [schema] --lease <ms>`.
 * Uses the test configuration's master key so it decrypts what the test app encrypted.
 */
import pino from 'pino';
import { createKeyring } from '../../platform/keys.js';
import { openDatabase } from '../../platform/db/database.js';
import { createHub } from '../../platform/hub.js';
import { createGuardedFetch, parseAllowList } from '../../platform/outbound.js';
import { createChannels } from '../channels/index.js';
import { createDispatcher } from '../dispatcher.js';
import { createLinkSigner } from '../links.js';

const [where, schema, , lease] = process.argv.slice(2);
const database = where!.startsWith('postgres')
  ? openDatabase({ databaseUrl: where, searchPath: schema, dataDir: '/tmp', poolSize: 4 })
  : openDatabase({ dataDir: where! });
const key = Buffer.alloc(32, 7);
const dispatcher = createDispatcher(
  {
    database,
    cipher: createKeyring(database, { masterKey: key, now: () => Date.now() }),
    links: createLinkSigner(key),
    now: () => Date.now(),
    log: pino({ level: 'silent' }),
    defaultTimeZone: 'Asia/Shanghai',
    hub: createHub(pino({ level: 'silent' })),
    keys: { resolve: async () => undefined },
    wecomClientFor: async () => {
      throw new Error('no WeCom in this test');
    },
    resolveProfile: async () => {
      throw new Error('no profile references in this test');
    },
    wecomGroupOwner: async () => {
      throw new Error('no WeCom in this test');
    },
    wecomFollower: async () => {
      throw new Error('no WeCom in this test');
    },
    // The test's receiver is on loopback, allow-listed as in the tests' configuration.
    fetch: createGuardedFetch(parseAllowList(['127.0.0.1'])),
    outboundAllow: parseAllowList(['127.0.0.1']),
  },
  createChannels(),
  { leaseMs: Number(lease), batchSize: 5, pollMs: 20 },
);
dispatcher.wake();
process.stdout.write('ready\n');
// Keep the process alive: the dispatcher's poll timer is unref'd.
setInterval(() => {}, 1 << 30);
