/**
 * The retention job's deps (issue #19): every module's purgers, each over its own tables, handed
 * to compliance. The events table holds three kinds; the modules that record two of them name
 * their events (messaging its delivery events, scrm's archive lines through platform's WeCom names).
 */
import { cdpRetention } from '../cdp/index.js';
import { complianceRetention, type RetentionDeps } from '../compliance/index.js';
import { MESSAGE_DELIVERY_EVENTS, messagingRetention } from '../messaging/index.js';
import type { Database } from '../platform/db/database.js';
import { WECOM_EVENTS } from '../platform/event-names.js';
import type { Services } from './services.js';

/** The conversation archive's lines on the timeline: what a member of the corp and the customer said. */
const ARCHIVE_EVENTS = [WECOM_EVENTS.messageSent, WECOM_EVENTS.messageReceived];

/** The retention job's deps over `database` (the workers' by default). */
export function retentionDeps(s: Services, database: Database = s.workerDatabase): RetentionDeps {
  const now = () => s.clock.now();
  return {
    database,
    now,
    log: s.log,
    purgers: [
      ...cdpRetention({ database, now }, { delivery: MESSAGE_DELIVERY_EVENTS, archive: ARCHIVE_EVENTS }),
      ...messagingRetention({ database, now }),
      ...complianceRetention({ database }),
    ],
  };
}
