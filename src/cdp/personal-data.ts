/**
 * What the CDP holds about a person (issue #19, data-subject export): the profile (traits,
 * consent, aggregates), its identifiers (PII ones decrypted), merges, events (the conversation
 * archive's WeCom messages and the delivery events among them), orders and tags.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/database.js';
import { parseJson } from '../platform/db/database.js';
import type { PiiKeyring } from '../platform/keys.js';
import { eraseCdpPerson } from './erasure.js';
import { isoOrNull, listedKind, pagedKind, type PersonalDataKind, type PersonalDataSource } from '../platform/personal-data.js';
import type { CdpDB } from './schema.js';

const EVENTS_PAGE = 500;
const json = (v: unknown) => (v === null || v === undefined ? null : parseJson<unknown>(v));

/** The profile ids of a person: the live profile and every profile merged into it, however many steps back. */
export async function personProfileIds(database: Database, ws: string, liveId: string): Promise<string[]> {
  const db = database.db as unknown as Kysely<CdpDB>;
  const ids = [liveId];
  for (let frontier = [liveId]; frontier.length;) {
    const rows = await db.selectFrom('profiles').select('id').where('workspace_id', '=', ws).where('merged_into', 'in', frontier).execute();
    frontier = rows.map((r) => r.id).filter((id) => !ids.includes(id));
    ids.push(...frontier);
  }
  return ids;
}

type EventRow = { message_id: string; profile_id: string; type: string; event: string | null; timestamp: number; received_at: number; payload: unknown };

/** The person's events, page by page in time order (the timeline can be long). */
function eventsKind(db: Kysely<CdpDB>, ws: string, ids: string[]): PersonalDataKind {
  return pagedKind<EventRow>(
    'events',
    async (after) => {
      let q = db
        .selectFrom('events')
        .select(['message_id', 'profile_id', 'type', 'event', 'timestamp', 'received_at', 'payload'])
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', ids);
      if (after)
        q = q.where((w) => w.or([w('timestamp', '>', after.timestamp), w.and([w('timestamp', '=', after.timestamp), w('message_id', '>', after.message_id)])]));
      return (await q.orderBy('timestamp').orderBy('message_id').limit(EVENTS_PAGE).execute()) as EventRow[];
    },
    EVENTS_PAGE,
    (e) => ({
      messageId: e.message_id,
      profileId: e.profile_id,
      type: e.type,
      event: e.event,
      timestamp: isoOrNull(e.timestamp),
      receivedAt: isoOrNull(e.received_at),
      payload: json(e.payload),
    }),
  );
}

/** The CDP's personal-data source. */
export function cdpPersonalData(deps: { database: Database; cipher: PiiKeyring }): PersonalDataSource {
  const db = deps.database.db as unknown as Kysely<CdpDB>;
  return {
    module: 'cdp',
    async read(ws, ids) {
      const cipher = await deps.cipher.forWorkspace(ws);
      return [
        listedKind('profiles', async () =>
          (await db.selectFrom('profiles').selectAll().where('workspace_id', '=', ws).where('id', 'in', ids).orderBy('created_at').execute()).map((p) => ({
            id: p.id,
            mergedInto: p.merged_into,
            traits: json(p.traits),
            consent: json(p.consent),
            firstSeenAt: isoOrNull(p.first_seen_at),
            lastSeenAt: isoOrNull(p.last_seen_at),
            orderCount: Number(p.order_count),
            totalSpentFen: Number(p.total_spent_fen),
            createdAt: isoOrNull(p.created_at),
          })),
        ),
        listedKind('identifiers', async () =>
          (await db.selectFrom('identities').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).orderBy('first_seen_at').execute()).map(
            (i) => ({
              profileId: i.profile_id,
              type: i.id_type,
              value: i.value_enc !== null ? cipher.decrypt(i.value_enc) : i.id_key,
              firstSeenAt: isoOrNull(i.first_seen_at),
            }),
          ),
        ),
        listedKind('merges', async () =>
          (
            await db
              .selectFrom('profile_merges')
              .selectAll()
              .where('workspace_id', '=', ws)
              .where((w) => w.or([w('from_profile_id', 'in', ids), w('into_profile_id', 'in', ids)]))
              .orderBy('created_at')
              .execute()
          ).map((m) => ({
            kind: m.kind,
            from: m.from_profile_id,
            into: m.into_profile_id,
            identifierType: m.id_type,
            reason: m.reason,
            at: isoOrNull(m.created_at),
          })),
        ),
        eventsKind(db, ws, ids),
        listedKind('orders', async () =>
          (await db.selectFrom('orders').selectAll().where('workspace_id', '=', ws).where('profile_id', 'in', ids).orderBy('ordered_at').execute()).map(
            (o) => ({
              orderId: o.order_id,
              profileId: o.profile_id,
              totalFen: Number(o.total_fen),
              currency: o.currency,
              status: o.status,
              refundedFen: Number(o.refunded_fen),
              orderedAt: isoOrNull(o.ordered_at),
              lines: json(o.lines),
            }),
          ),
        ),
        listedKind('tags', async () =>
          (
            await db
              .selectFrom('profile_tags')
              .innerJoin('tags', (j) => j.onRef('tags.workspace_id', '=', 'profile_tags.workspace_id').onRef('tags.id', '=', 'profile_tags.tag_id'))
              .select(['profile_tags.profile_id', 'tags.name', 'profile_tags.source', 'profile_tags.created_at'])
              .where('profile_tags.workspace_id', '=', ws)
              .where('profile_tags.profile_id', 'in', ids)
              .execute()
          ).map((t) => ({ profileId: t.profile_id, tag: t.name, source: t.source, at: isoOrNull(t.created_at) })),
        ),
      ];
    },
    erase: (ws, target) => eraseCdpPerson(deps, ws, target),
    eraseLast: true,
  };
}
