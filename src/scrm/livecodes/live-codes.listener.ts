import { addTagsToProfile } from '../../cdp/index.js';
import { AppError } from '../../platform/errors.js';
import { isWeComFailure, WeComError } from '../../wecom/index.js';
import type { ScrmEvent, ScrmListener } from '../events.js';
import { sendWelcomeMessage, WELCOME_WINDOW_MS } from '../../messaging/index.js';
import { DEFAULT_TIME_ZONE } from '../../platform/time.js';
import { describeFailure } from '../shared.js';
import { liveDb, type LiveDeps } from './context.js';
import {
  findAdd,
  findLiveCodeByState,
  insertAdd,
  markDeleted,
  moveWelcome,
  saveRoundRobin,
  setTagsStatus,
  type AddKey,
  type LiveCode,
} from './live-codes.repo.js';
import { expireIfDue, rebalance } from './live-codes.service.js';
import { renderWelcome } from './welcome.js';

export { WELCOME_WINDOW_MS };

type Added = Extract<ScrmEvent, { type: 'contact.added' }>;

/** The customer's name for `{name}`: from the event, the mirrored contact, or WeCom. */
async function customerName(deps: LiveDeps, e: Added): Promise<string | undefined> {
  if (e.contactName) return e.contactName;
  const row = await liveDb(deps)
    .selectFrom('scrm_contacts')
    .select('name')
    .where('workspace_id', '=', e.workspaceId)
    .where('external_userid', '=', e.externalUserid)
    .executeTakeFirst();
  if (row?.name) return row.name;
  try {
    const client = await deps.clientFor(e.workspaceId);
    return (await client.getExternalContact(e.externalUserid)).external_contact.name;
  } catch (err) {
    if (!isWeComFailure(err) && !(err instanceof AppError)) throw err;
    deps.log.warn(
      { workspaceId: e.workspaceId, externalUserid: e.externalUserid, err: describeFailure(err) },
      'live code: customer name unknown, welcome uses the fallback',
    );
    return undefined;
  }
}

/**
 * Sends the code's welcome message once. The add row moves pending → sending before the call
 * and sending → sent/failed after it; a redelivered event finds it past pending and sends
 * nothing. A send whose answer was lost (network error) is recorded as failed and never
 * retried: WeCom may have used the one-time code, and a second message would be a duplicate.
 */
async function sendWelcome(deps: LiveDeps, code: LiveCode, e: Added, key: AddKey): Promise<void> {
  const skip = (reason: string) => moveWelcome(liveDb(deps), key, 'pending', { status: 'skipped', reason });
  if (!code.welcome) return void (await skip('the live code has no welcome message'));
  if (!e.welcomeCode) return void (await skip('the add event carried no WelcomeCode (WeCom leaves it out when another welcome message applies)'));
  const name = await customerName(deps, e);
  if (code.welcome.templateId) return sendTemplateWelcome(deps, code, e, key, name);
  const age = deps.now() - e.at;
  if (age > WELCOME_WINDOW_MS) return void (await skip(`too late: ${age} ms after the add event; WeCom accepts a WelcomeCode for ${WELCOME_WINDOW_MS} ms`));
  if (!(await moveWelcome(liveDb(deps), key, 'pending', { status: 'sending' }))) return;
  try {
    const client = await deps.clientFor(e.workspaceId);
    await client.sendWelcomeMsg(renderWelcome(code.welcome, e.welcomeCode, name));
    await moveWelcome(liveDb(deps), key, 'sending', { status: 'sent', at: deps.now() });
  } catch (err) {
    if (!isWeComFailure(err) && !(err instanceof AppError)) throw err;
    const reason = err instanceof WeComError ? describeFailure(err) : `${describeFailure(err)}; not retried, WeCom may have used the WelcomeCode`;
    await moveWelcome(liveDb(deps), key, 'sending', { status: 'failed', reason });
    deps.log.warn({ workspaceId: e.workspaceId, liveCode: code.id, reason }, 'live code: welcome message not sent');
  }
}

/**
 * Sends a welcome that names a messaging template through messaging, which renders it for the
 * profile, checks the 20 s window and records the message (`messages`, source `live_code`, and
 * the timeline). The add row follows: sent, skipped (too late) or failed, with the reason.
 */
async function sendTemplateWelcome(deps: LiveDeps, code: LiveCode, e: Added, key: AddKey, name: string | undefined): Promise<void> {
  if (!(await moveWelcome(liveDb(deps), key, 'pending', { status: 'sending' }))) return;
  try {
    const r = await sendWelcomeMessage(
      { database: { db: deps.db, dialect: deps.dialect }, now: deps.now, log: deps.log, defaultTimeZone: DEFAULT_TIME_ZONE, wecomClientFor: deps.clientFor },
      {
        workspaceId: e.workspaceId,
        profileId: e.profileId,
        welcomeCode: e.welcomeCode!,
        at: e.at,
        templateId: code.welcome!.templateId,
        name,
        source: { kind: 'live_code', id: code.id },
      },
    );
    const why = `message ${r.messageId}: ${r.reason ?? r.status}${r.errorCode ? ` (${r.errorCode})` : ''}`;
    if (r.status === 'sent') await moveWelcome(liveDb(deps), key, 'sending', { status: 'sent', reason: `message ${r.messageId}`, at: deps.now() });
    else await moveWelcome(liveDb(deps), key, 'sending', { status: r.status === 'suppressed' ? 'skipped' : 'failed', reason: why });
  } catch (err) {
    // The template was archived or deleted since the code was saved, or the profile is gone: nothing was sent.
    if (!(err instanceof AppError)) throw err;
    await moveWelcome(liveDb(deps), key, 'sending', { status: 'failed', reason: `${err.code}: ${err.message}` });
    deps.log.warn({ workspaceId: e.workspaceId, liveCode: code.id, err: err.message }, 'live code: template welcome not sent');
  }
}

/** Puts the code's Siyu tags on the profile and its corp tags on the customer in WeCom (both idempotent). */
async function applyTags(deps: LiveDeps, code: LiveCode, e: Added, key: AddKey): Promise<void> {
  const errors: string[] = [];
  if (code.tags.length) {
    try {
      await addTagsToProfile(deps.db, e.workspaceId, e.profileId, code.tags, 'rule', deps.now());
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      errors.push(`Siyu tags: ${err.message}`);
    }
  }
  if (code.corpTagIds.length) {
    try {
      const client = await deps.clientFor(e.workspaceId);
      await client.markTag({ userid: e.userid, external_userid: e.externalUserid, add_tag: code.corpTagIds });
    } catch (err) {
      if (!isWeComFailure(err) && !(err instanceof AppError)) throw err;
      errors.push(`WeCom corp tags: ${describeFailure(err)}`);
    }
  }
  await setTagsStatus(liveDb(deps), key, errors.length ? 'failed' : 'done', errors.length ? errors.join('; ') : null);
}

/**
 * An add through one of our codes: attribute it (once per event), send the welcome message
 * (first: its window is 20 s), apply the tags, then move the code's users on.
 */
async function onAdded(deps: LiveDeps, e: Added): Promise<void> {
  if (!e.state) return;
  const db = liveDb(deps);
  const found = await findLiveCodeByState(db, e.workspaceId, e.state);
  if (!found) return;
  const key: AddKey = { workspaceId: e.workspaceId, codeId: found.id, userid: e.userid, externalUserid: e.externalUserid, addedAt: e.at };
  const inserted = await insertAdd(db, {
    workspace_id: e.workspaceId,
    code_id: found.id,
    userid: e.userid,
    external_userid: e.externalUserid,
    added_at: e.at,
    profile_id: e.profileId,
    tags_status: 'pending',
    tags_error: null,
    welcome_status: 'pending',
    welcome_reason: null,
    welcome_at: null,
    deleted_at: null,
    deleted_by: null,
    created_at: deps.now(),
  });
  const row = (await findAdd(db, key))!;
  if (row.welcome_status === 'pending') await sendWelcome(deps, found, e, key);
  if (row.tags_status !== 'done') await applyTags(deps, found, e, key);
  let code = found;
  if (inserted && code.strategy === 'round_robin') {
    const i = code.staff.indexOf(e.userid);
    // The turn passes to whoever follows the member who just got a customer.
    if (i >= 0) {
      code = { ...code, rrNext: (i + 1) % code.staff.length };
      await saveRoundRobin(db, e.workspaceId, code.id, code.rrNext);
    }
  }
  code = await expireIfDue(deps, code);
  await rebalance(deps, code);
}

/** Live codes' listener for `contact.added` (attribution, welcome, tags, re-balancing) and deletions (statistics); days are the context's time zone's. */
export const liveCodeListener: ScrmListener = async (event, deps) => {
  switch (event.type) {
    case 'contact.added':
      return onAdded(deps, event);
    case 'contact.deleted_by_customer':
    case 'contact.deleted_by_staff':
      // Only adds attributed to a code carry the pair; anything else updates nothing.
      await markDeleted(
        liveDb(deps),
        event.workspaceId,
        event.userid,
        event.externalUserid,
        event.at,
        event.type === 'contact.deleted_by_customer' ? 'customer' : 'staff',
      );
      return;
    default:
      return;
  }
};
