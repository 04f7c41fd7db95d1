/** `change_external_contact` events: a customer added, edited or deleted, and failed transfers; one handler per ChangeType. */
import type { ExternalContact, FollowUser, GetExternalContactResponse } from '../../wecom/index.js';
import { field } from '../callback-message.js';
import * as repo from '../contacts.repo.js';
import type { ScrmEvent } from '../events.js';
import { type Ctx, fromWeCom, type Handler, handlerOf, identifyMessage, required, type Run, trackMessage, type Tx } from './context.js';

const contactFacts = (c: ExternalContact): repo.ContactFacts => ({
  externalUserid: c.external_userid,
  name: c.name ?? '',
  type: c.type,
  unionid: c.unionid ?? null,
  avatar: c.avatar ?? null,
  gender: c.gender ?? null,
  corpName: c.corp_name ?? null,
});

const corpTagIds = (f: FollowUser) => (f.tags ?? []).filter((t) => t.type === 1 && t.tag_id).map((t) => t.tag_id!);

const followFacts = (externalUserid: string, f: FollowUser): repo.FollowFacts => ({
  externalUserid,
  userid: f.userid,
  addedAt: f.createtime * 1000,
  remark: f.remark ?? null,
  description: f.description ?? null,
  addWay: f.add_way ?? null,
  state: f.state || null,
  tagIds: corpTagIds(f),
});

/** What an add or edit event read from WeCom before its transaction. */
interface Read {
  ext: string;
  userid: string;
  detail: GetExternalContactResponse | undefined;
  contact: ExternalContact | undefined;
  /** The relation of the event's member, as WeCom lists it now. */
  mine: FollowUser | undefined;
  state: string | undefined;
}

async function readContact(ctx: Ctx): Promise<Read> {
  const ext = required(ctx, 'ExternalUserID');
  const userid = required(ctx, 'UserID');
  const detail = await fromWeCom(ctx, `externalcontact/get ${ext}`, (c) => c.getExternalContactWithAllFollowers(ext));
  const mine = detail?.follow_user.find((f) => f.userid === userid);
  return { ext, userid, detail, contact: detail?.external_contact, mine, state: field(ctx.msg, 'State') ?? (mine?.state || undefined) };
}

/** The contact and every relation WeCom lists, or (for an add) the one the event says exists. */
async function storeContact(ctx: Ctx, tx: Tx, r: Read, profileId: string, added: boolean): Promise<void> {
  await repo.upsertContact(tx.trx, ctx.ws, r.contact ? contactFacts(r.contact) : { externalUserid: r.ext }, profileId, tx.now);
  for (const f of r.detail?.follow_user ?? []) await repo.upsertFollow(tx.trx, ctx.ws, followFacts(r.ext, f), tx.now);
  // WeCom no longer lists the relation (deleted since, or a half add not yet accepted): the event itself says it exists.
  if (!r.mine && added) await repo.upsertFollow(tx.trx, ctx.ws, { externalUserid: r.ext, userid: r.userid, addedAt: ctx.at, state: r.state ?? null }, tx.now);
}

/** add_external_contact and add_half_external_contact (`half`: the customer has not accepted yet). */
async function contactAdded(ctx: Ctx, half: boolean): Promise<Run> {
  const r = await readContact(ctx);
  const { ext, userid, contact, mine, state } = r;
  return async (tx) => {
    const messages: Record<string, unknown>[] = contact ? [identifyMessage(ctx, contact)] : [];
    const props = { userid, external_userid: ext, state: state ?? null, add_way: mine?.add_way ?? null, half };
    messages.push(trackMessage(ctx, 'added', 'WeCom Contact Added', ext, props, contact?.unionid));
    await tx.ingest(messages);
    const profileId = await tx.profileOf(ext);
    await storeContact(ctx, tx, r, profileId, true);
    const welcomeCode = field(ctx.msg, 'WelcomeCode');
    const event: ScrmEvent = {
      type: 'contact.added',
      workspaceId: ctx.ws,
      userid,
      externalUserid: ext,
      profileId,
      at: ctx.at,
      ...(state ? { state } : {}),
      ...(welcomeCode ? { welcomeCode } : {}),
      ...(contact?.name ? { contactName: contact.name } : {}),
      ...(half ? { half: true } : {}),
    };
    return [event];
  };
}

/** edit_external_contact: remark, description and corp tags of the member's relation (tags added and removed since the stored ones). */
async function contactEdited(ctx: Ctx): Promise<Run> {
  const r = await readContact(ctx);
  const { ext, userid, contact, mine } = r;
  return async (tx) => {
    const before = await repo.followTagIds(tx.trx, ctx.ws, ext, userid);
    const messages: Record<string, unknown>[] = contact ? [identifyMessage(ctx, contact)] : [];
    const after = mine ? corpTagIds(mine) : undefined;
    const props: Record<string, unknown> = { userid, external_userid: ext };
    if (mine) Object.assign(props, { remark: mine.remark ?? '', description: mine.description ?? '', tags: after });
    if (before && after) Object.assign(props, { tags_added: after.filter((t) => !before.includes(t)), tags_removed: before.filter((t) => !after.includes(t)) });
    messages.push(trackMessage(ctx, 'edited', 'WeCom Contact Edited', ext, props, contact?.unionid));
    await tx.ingest(messages);
    const profileId = await tx.profileOf(ext);
    await storeContact(ctx, tx, r, profileId, false);
    return [{ type: 'contact.edited', workspaceId: ctx.ws, userid, externalUserid: ext, profileId, at: ctx.at }];
  };
}

/** del_follow_user (`by` customer: the customer deleted the member) and del_external_contact (`by` staff: the member deleted the customer). */
async function contactDeleted(ctx: Ctx, by: 'customer' | 'staff'): Promise<Run> {
  const ext = required(ctx, 'ExternalUserID');
  const userid = required(ctx, 'UserID');
  return async (tx) => {
    await tx.ingest([trackMessage(ctx, 'deleted', 'WeCom Contact Deleted', ext, { userid, external_userid: ext, by })]);
    const profileId = await tx.profileOf(ext);
    await repo.upsertContact(tx.trx, ctx.ws, { externalUserid: ext }, profileId, tx.now);
    await repo.endFollow(tx.trx, ctx.ws, ext, userid, ctx.at, by, tx.now);
    const type = by === 'customer' ? 'contact.deleted_by_customer' : 'contact.deleted_by_staff';
    return [{ type, workspaceId: ctx.ws, userid, externalUserid: ext, profileId, at: ctx.at }];
  };
}

/** transfer_fail: a handover of the customer to `UserID` failed (FailReason). */
async function transferFailed(ctx: Ctx): Promise<Run> {
  const ext = required(ctx, 'ExternalUserID');
  const userid = required(ctx, 'UserID');
  const failReason = field(ctx.msg, 'FailReason') ?? 'unknown';
  return async (tx) => {
    await tx.ingest([trackMessage(ctx, 'transfer-failed', 'WeCom Transfer Failed', ext, { userid, external_userid: ext, fail_reason: failReason })]);
    const profileId = await tx.profileOf(ext);
    await repo.upsertContact(tx.trx, ctx.ws, { externalUserid: ext }, profileId, tx.now);
    return [{ type: 'transfer.failed', workspaceId: ctx.ws, userid, externalUserid: ext, failReason, at: ctx.at }];
  };
}

const BY_CHANGE: Readonly<Record<string, Handler>> = {
  add_external_contact: (ctx) => contactAdded(ctx, false),
  add_half_external_contact: (ctx) => contactAdded(ctx, true),
  edit_external_contact: contactEdited,
  del_external_contact: (ctx) => contactDeleted(ctx, 'staff'),
  del_follow_user: (ctx) => contactDeleted(ctx, 'customer'),
  transfer_fail: transferFailed,
};

/** A `change_external_contact` event, by its ChangeType; other change types are ignored. */
export const contactEvent: Handler = async (ctx) => handlerOf(BY_CHANGE, field(ctx.msg, 'ChangeType'))?.(ctx);
