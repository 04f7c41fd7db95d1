/**
 * Attribution by tracked events: a sign-up (or any event the programme lists in
 * `attributionEvents`) carrying `properties.referral_code` attributes its profile to the code's
 * owner at the event's time, with the same checks and decisions as the API. Each event is decided
 * once (the decision keeps its message id); events before the programme was saved are not read,
 * and an unknown code is skipped (there is no referrer to record it against).
 */
import { liveProfileIds, type StoredEvent } from '../cdp/index.js';
import type { LoyaltyDeps } from './deps.js';
import type { Conn } from './ledger.repo.js';
import { readAfterCursor } from './referrals.cursor.js';
import { referralProgramme, workspacesWithProgramme } from './referrals.programme.js';
import { attributeInTrx } from './referrals.service.js';

/** What the pass did. */
export interface AttributionEventsReport {
  events: number;
  accepted: number;
  rejected: number;
}

const empty = (): AttributionEventsReport => ({ events: 0, accepted: 0, rejected: 0 });

/** The referral code an event carries, if any. */
function codeOf(e: StoredEvent): string | undefined {
  const v = (e.payload.properties as Record<string, unknown> | undefined)?.referral_code;
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** Decides a page of attribution events. */
async function applyPage(trx: Conn, deps: LoyaltyDeps, ws: string, rows: StoredEvent[]): Promise<AttributionEventsReport> {
  const report = empty();
  report.events = rows.length;
  const coded = rows.filter((e) => codeOf(e) !== undefined);
  if (coded.length === 0) return report;
  const seen = new Set(
    (
      await trx
        .selectFrom('referral_decisions')
        .select('message_id')
        .where('workspace_id', '=', ws)
        .where(
          'message_id',
          'in',
          coded.map((e) => e.messageId),
        )
        .execute()
    ).map((r) => r.message_id),
  );
  const live = await liveProfileIds(trx, ws, [...new Set(coded.map((e) => e.profileId))]);
  for (const e of coded) {
    if (seen.has(e.messageId)) continue;
    const r = await attributeInTrx(trx, deps, ws, { code: codeOf(e)!, referee: live.get(e.profileId) ?? e.profileId, at: e.timestamp, messageId: e.messageId });
    if (r && !r.replayed) report[r.decision.outcome === 'accepted' ? 'accepted' : 'rejected']++;
  }
  return report;
}

/** Runs the attribution events of every workspace whose programme is on (or one). */
export async function runAttributionEvents(deps: LoyaltyDeps, opts: { workspaceId?: string } = {}): Promise<AttributionEventsReport> {
  const report = empty();
  const wss = (await workspacesWithProgramme(deps.database.db)).filter((w) => !opts.workspaceId || w.workspaceId === opts.workspaceId);
  for (const { workspaceId: ws, savedAt } of wss) {
    const p = await referralProgramme(deps.database.db, ws);
    for (const name of p.attributionEvents) {
      const at = { key: `attribution:${name}`, name, start: savedAt };
      const r = await readAfterCursor(deps, ws, at, empty, (trx, rows) => applyPage(trx, deps, ws, rows));
      for (const k of Object.keys(report) as (keyof AttributionEventsReport)[]) report[k] += r[k];
    }
  }
  return report;
}
