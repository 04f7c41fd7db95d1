import { randomBytes, timingSafeEqual } from 'node:crypto';
import { loadProfileConsent } from '../cdp/index.js';
import { MessagingError } from './errors.js';
import { hmacBase64 } from './channels/sms.js';
import { loadChannelConfig } from './channel-config.js';
import { consentAllows, recordConsentIn } from './consent.service.js';
import { isChannel } from './content.js';
import { mdb, type MessagingDeps } from './deps.js';
import type { LinkToken } from './links.js';
import { loadSettings } from './settings.js';
import { writeTimelineEvent } from './timeline.js';
import { newId } from '../platform/ids.js';

/** One delivery receipt from the SMS gateway. */
export interface SmsReceipt {
  /** The gateway's id (`bizId` of the send answer). */
  bizId?: string;
  /** Our message id (`outId` of the request). */
  outId?: string;
  status: 'DELIVERED' | 'FAILED';
  errorCode?: string;
  /** When the handset reported (ISO); default now. */
  reportedAt?: string;
}

const safeEq = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A secret nobody holds: the signature of a workspace without one is still computed and compared, so the answer takes as long. */
const NO_SECRET = randomBytes(32).toString('hex');

/**
 * Checks a signed callback of the workspace's SMS gateway (receipts, replies) and parses its body:
 * `X-Siyu-Timestamp` (unix seconds, within 5 minutes of now) and `X-Siyu-Signature` = base64
 * HMAC-SHA256(receiptSecret, else accessKeySecret, `<timestamp>\n<raw body>`). An unknown
 * workspace, one without SMS and a wrong signature get the same answer (401, same message), so the
 * callback URL does not tell whether a workspace exists or has SMS configured; the timestamp is
 * checked first, before anything about the workspace is read.
 */
export async function verifySmsHook(
  deps: Pick<MessagingDeps, 'database' | 'cipher' | 'now'>,
  ws: string,
  headers: { timestamp?: string; signature?: string },
  rawBody: string,
): Promise<unknown> {
  const ts = Number(headers.timestamp);
  if (!Number.isFinite(ts) || Math.abs(deps.now() / 1000 - ts) > 300)
    throw new MessagingError('UNAUTHORIZED', 'X-Siyu-Timestamp is missing or more than 5 minutes away from now');
  const cfg = await loadChannelConfig(deps, ws, 'sms');
  const secret = cfg?.secrets.receiptSecret ?? cfg?.secrets.accessKeySecret;
  const matches = safeEq(headers.signature ?? '', hmacBase64(secret ?? NO_SECRET, `${headers.timestamp}\n${rawBody}`));
  if (!secret || !matches)
    throw new MessagingError(
      'UNAUTHORIZED',
      'X-Siyu-Signature does not verify: base64 HMAC-SHA256 of "<X-Siyu-Timestamp>\\n<raw body>" under the workspace\'s SMS receiptSecret (else accessKeySecret)',
    );
  try {
    return JSON.parse(rawBody);
  } catch {
    throw new MessagingError('MALFORMED_JSON', 'callback body is not JSON');
  }
}

/**
 * Applies SMS delivery receipts. The gateway signs them: `X-Siyu-Timestamp` (unix seconds, within
 * 5 minutes) and `X-Siyu-Signature` = base64 HMAC-SHA256(receiptSecret, `<timestamp>\n<raw body>`);
 * the body is `{ "receipts": [SmsReceipt...] }`. Each receipt marks its message delivered (or
 * failed with the gateway's code) and puts `Message Delivered` / `Message Failed` on the timeline,
 * once per message whatever the number of redeliveries.
 */
export async function applySmsReceipts(
  deps: Pick<MessagingDeps, 'database' | 'cipher' | 'now'>,
  ws: string,
  headers: { timestamp?: string; signature?: string },
  rawBody: string,
): Promise<{ applied: number; unknown: number }> {
  const body = (await verifySmsHook(deps, ws, headers, rawBody)) as { receipts?: unknown };
  if (!Array.isArray(body.receipts) || body.receipts.length > 1000)
    throw new MessagingError(
      'VALIDATION_FAILED',
      'body must be { "receipts": [ { bizId|outId, status: DELIVERED|FAILED, errorCode?, reportedAt? } ] } with at most 1,000 receipts',
    );
  let applied = 0;
  let unknown = 0;
  await deps.database.db.transaction().execute(async (trx) => {
    const db = mdb(trx);
    for (const [i, r] of (body.receipts as SmsReceipt[]).entries()) {
      if (!r || (r.status !== 'DELIVERED' && r.status !== 'FAILED') || (typeof r.bizId !== 'string' && typeof r.outId !== 'string')) {
        throw new MessagingError('VALIDATION_FAILED', `receipts[${i}] needs bizId or outId and status DELIVERED or FAILED`);
      }
      let q = db.selectFrom('messages').selectAll().where('workspace_id', '=', ws).where('channel', '=', 'sms');
      q = typeof r.outId === 'string' ? q.where('id', '=', r.outId) : q.where('provider_message_id', '=', r.bizId!);
      const m = await q.executeTakeFirst();
      if (!m) {
        unknown++;
        continue;
      }
      const at = r.reportedAt && Number.isFinite(Date.parse(r.reportedAt)) ? Date.parse(r.reportedAt) : deps.now();
      const delivered = r.status === 'DELIVERED';
      await db
        .updateTable('messages')
        .set(
          delivered
            ? { status: 'delivered', delivered_at: at, updated_at: deps.now() }
            : { status: 'failed', reason: 'delivery_failed', error_code: r.errorCode ?? 'DELIVERY_FAILED', updated_at: deps.now() },
        )
        .where('workspace_id', '=', ws)
        .where('id', '=', m.id)
        .execute();
      if (m.profile_id) {
        await writeTimelineEvent(trx, deps.database.dialect, {
          workspaceId: ws,
          profileId: m.profile_id,
          eventId: `${m.id}:${delivered ? 'delivered' : 'failed'}`,
          event: delivered ? 'Message Delivered' : 'Message Failed',
          properties: {
            messageId: m.id,
            channel: 'sms',
            purpose: m.purpose,
            templateId: m.template_id,
            providerMessageId: m.provider_message_id,
            ...(delivered ? {} : { errorCode: r.errorCode ?? 'DELIVERY_FAILED' }),
          },
          at,
        });
      }
      applied++;
    }
  });
  return { applied, unknown };
}

async function messageOf(deps: Pick<MessagingDeps, 'database'>, ws: string, id: string) {
  return mdb(deps.database.db)
    .selectFrom('messages')
    .select(['id', 'profile_id', 'channel', 'purpose', 'template_id', 'opened_at', 'clicked_at'])
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Records a click of a tracked link (`Message Clicked` with the URL, every click) and returns the target. */
export async function recordClick(deps: Pick<MessagingDeps, 'database' | 'now'>, t: Extract<LinkToken, { k: 'c' }>): Promise<string> {
  const m = await messageOf(deps, t.w, t.m);
  if (m?.profile_id) {
    const now = deps.now();
    await deps.database.db.transaction().execute(async (trx) => {
      await mdb(trx)
        .updateTable('messages')
        .set({ clicked_at: now, opened_at: m.opened_at ?? now, updated_at: now })
        .where('workspace_id', '=', t.w)
        .where('id', '=', m.id)
        .where('clicked_at', 'is', null)
        .execute();
      await writeTimelineEvent(trx, deps.database.dialect, {
        workspaceId: t.w,
        profileId: m.profile_id!,
        eventId: newId('clk', now),
        event: 'Message Clicked',
        properties: { messageId: m.id, channel: m.channel, purpose: m.purpose, templateId: m.template_id, url: t.u },
        at: now,
      });
    });
  }
  return t.u;
}

/**
 * Follows a tracked link of this server (`<linkBaseUrl>/r/<token>`) as a visit to it does: checks
 * the signed token, records the click (and the open) and returns the link's target; undefined
 * for a URL that is not a valid tracked link.
 */
export async function followTrackedLink(deps: Pick<MessagingDeps, 'database' | 'now' | 'links'>, url: string): Promise<string | undefined> {
  const token = /\/r\/([^/?#]+)(?:[?#].*)?$/.exec(url)?.[1];
  const t = token ? deps.links.verify(decodeURIComponent(token)) : undefined;
  return t?.k === 'c' ? recordClick(deps, t) : undefined;
}

/** Records the first open of a message (`Message Opened`, once). */
export async function recordOpen(deps: Pick<MessagingDeps, 'database' | 'now'>, t: Extract<LinkToken, { k: 'o' }>): Promise<void> {
  const m = await messageOf(deps, t.w, t.m);
  if (!m?.profile_id || m.opened_at !== null) return;
  const now = deps.now();
  await deps.database.db.transaction().execute(async (trx) => {
    const res = await mdb(trx)
      .updateTable('messages')
      .set({ opened_at: now, updated_at: now })
      .where('workspace_id', '=', t.w)
      .where('id', '=', m.id)
      .where('opened_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return;
    await writeTimelineEvent(trx, deps.database.dialect, {
      workspaceId: t.w,
      profileId: m.profile_id!,
      eventId: `${m.id}:opened`,
      event: 'Message Opened',
      properties: { messageId: m.id, channel: m.channel, purpose: m.purpose, templateId: m.template_id },
      at: now,
    });
  });
}

/**
 * One-click unsubscribe: withdraws marketing consent for the link's channel in the ledger (source
 * `unsubscribe_link`, evidence: message, IP, user agent) and records `Message Unsubscribed`.
 * Clicking again changes nothing.
 */
export async function unsubscribe(
  deps: Pick<MessagingDeps, 'database' | 'now'>,
  t: Extract<LinkToken, { k: 'u' }>,
  evidence: { ip?: string; userAgent?: string },
): Promise<{ channel: string; already: boolean }> {
  if (!isChannel(t.c)) throw new MessagingError('LINK_INVALID', 'unsubscribe link names no channel');
  return deps.database.db.transaction().execute(async (trx) => {
    const settings = await loadSettings({ database: { ...deps.database, db: trx } }, t.w);
    // The live profile the link's profile stands for (a merge redirect followed), and its consent.
    const current = await loadProfileConsent(trx, t.w, t.p);
    if (!current) throw new MessagingError('LINK_INVALID', 'this unsubscribe link is for a profile that no longer exists');
    const { profileId: liveId, consent } = current;
    const state = await consentAllows(trx, t.w, { id: liveId, consent }, 'marketing', t.c, {
      ...settings,
      consent: { marketingRequiresOptIn: false, serviceRequiresOptIn: false },
    });
    if (!state.allowed) return { channel: t.c, already: true };
    const rec = await recordConsentIn(trx, deps, t.w, liveId, {
      purpose: 'marketing',
      channel: t.c,
      granted: false,
      source: 'unsubscribe_link',
      evidence: { messageId: t.m ?? null, ip: evidence.ip ?? null, userAgent: evidence.userAgent ?? null },
    });
    await writeTimelineEvent(trx, deps.database.dialect, {
      workspaceId: t.w,
      profileId: rec.profileId,
      eventId: t.m ? `${t.m}:unsubscribed` : `${rec.id}:unsubscribed`,
      event: 'Message Unsubscribed',
      properties: { messageId: t.m ?? null, channel: t.c, consentRecordId: rec.id },
      at: deps.now(),
    });
    return { channel: t.c, already: false };
  });
}
