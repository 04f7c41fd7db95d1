/**
 * Applying WeCom's 客户联系 events to Siyu: the SCRM state (contacts, follow relations, groups,
 * members, corp tags), the customer's One ID profile (identifiers `external_userid:<corpid>` and
 * `unionid`, through the CDP ingest path) and an event on the profile's timeline. Details the event
 * does not carry (name, unionid, remarks, tags, group members) are read from WeCom first, outside
 * the transaction: that is the incremental sync. Everything one event changes is written in one
 * transaction; timeline events have message ids derived from the inbox dedup key, so applying an
 * event twice (a crash before the row was marked done) stores nothing twice. One handler per
 * event (`Event`), each a table of handlers per `ChangeType` (contacts.ts, chats.ts, tags.ts).
 */
import { createHash } from 'node:crypto';
import { applyEvents, isTombstoned, liveProfileByIdentifier, normaliseMessage } from '../../cdp/index.js';
import { withRetries } from '../../platform/db/database.js';
import { WeComCryptoError } from '../../wecom/index.js';
import { type CallbackMessage, field, parseCallbackMessage } from '../callback-message.js';
import type { ScrmEvent } from '../events.js';
import { chatEvent } from './chats.js';
import { contactEvent } from './contacts.js';
import { type Ctx, ErasedContactError, type Handler, type HandlerDeps, type InboxItem, type Tx, UnusableEventError } from './context.js';
import { tagEvent } from './tags.js';

const HANDLERS: Record<string, Handler> = {
  change_external_contact: contactEvent,
  change_external_chat: chatEvent,
  change_external_tag: tagEvent,
};

function parseStored(item: InboxItem): CallbackMessage {
  try {
    return parseCallbackMessage(item.payload);
  } catch (err) {
    if (err instanceof WeComCryptoError) throw new UnusableEventError(`the stored message does not parse: ${err.message}`);
    throw err;
  }
}

/**
 * Applies one inbox message: reads what it needs from WeCom, then writes SCRM state and timeline
 * in one transaction (through the ingest writer, so the segment change feed waits for it). Returns
 * the SCRM events to publish; kinds without a handler return none.
 */
export async function applyInboxMessage(deps: HandlerDeps, item: InboxItem): Promise<ScrmEvent[]> {
  const msg = parseStored(item);
  const handler = HANDLERS[field(msg, 'Event') ?? ''];
  if (!handler) return [];
  const corpId = field(msg, 'ToUserName');
  if (!corpId) throw new UnusableEventError(`${item.kind} has no ToUserName (the corp id)`);
  const created = field(msg, 'CreateTime');
  const at = created && /^\d{1,12}$/.test(created) ? Number(created) * 1000 : item.receivedAt;
  const ctx: Ctx = { deps, ws: item.workspaceId, corpId, msg, at, idBase: `wecom:${createHash('sha256').update(item.dedupKey).digest('hex').slice(0, 32)}` };
  const run = await handler(ctx);
  if (!run) return [];
  const settings = await deps.writer.settingsFor(item.workspaceId);
  const idType = `external_userid:${corpId}`;
  return withRetries(deps.database, () =>
    deps.writer.exclusive(async (trx) => {
      const now = deps.now();
      const tx: Tx = {
        trx,
        now,
        async ingest(messages) {
          if (!messages.length) return;
          const normalised = messages.map((m, i) =>
            normaliseMessage(
              m,
              `${item.kind}[${i}]`,
              { receivedAt: now, rules: settings.rules, defaultRegion: deps.defaultRegion, currency: settings.currency },
              { traitIdentifiersSuffice: true },
            ),
          );
          await applyEvents(trx, deps.ingest, item.workspaceId, settings, normalised);
        },
        profileOf: async (ext) => {
          const id = await liveProfileByIdentifier(trx, item.workspaceId, idType, ext);
          if (id !== undefined) return id;
          // Ingest dropped the event: the customer was erased and has not consented anew.
          if (await isTombstoned(trx, await deps.ingest.cipher.forWorkspace(item.workspaceId, trx), item.workspaceId, idType, ext))
            throw new ErasedContactError(`${item.kind}: the customer was erased`);
          throw new Error(`no profile holds ${idType} ${ext} after ingest`);
        },
      };
      return run(tx);
    }),
  );
}
