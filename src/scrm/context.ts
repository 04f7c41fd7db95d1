import type { Scrm } from './deps.js';
import type { ScrmContext } from './events.js';

/** The context SCRM features and listeners work with, from the module; `clientFor` defaults to the connections' (tests replace it). */
export function scrmContextOf(scrm: Scrm, clientFor: ScrmContext['clientFor'] = (ws) => scrm.connections.clientFor(ws)): ScrmContext {
  return { db: scrm.database.db, dialect: scrm.database.dialect, now: scrm.now, log: scrm.log, clientFor, timeZoneOf: scrm.timeZoneOf };
}
