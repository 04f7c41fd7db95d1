import type { Kysely } from 'kysely';
import type { PiiCipher } from '../platform/crypto.js';
import type { ChannelConfig } from './channel-config.js';
import type { Channel } from './channels/types.js';
import { mdb } from './deps.js';

/** Where a message goes, or why it cannot go anywhere. */
export type Address = { ok: true; address?: string; sender?: string; chatId?: string } | { ok: false; reason: string };

async function identity(db: Kysely<any>, ws: string, ids: string[], type: string, cipher: PiiCipher): Promise<string | undefined> {
  const row = await mdb(db)
    .selectFrom('identities')
    .select(['id_key', 'value_enc'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', ids)
    .where('id_type', '=', type)
    .orderBy('first_seen_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  return row.value_enc !== null ? cipher.decrypt(row.value_enc) : row.id_key;
}

/**
 * Finds a profile's address for a channel: email and phone from its identifiers (decrypted) or
 * traits; openid for the configured app (`openid:<appId>`); for WeCom the `external_userid:<corp>`
 * identifier and, as sender, the staff member following the customer longest (scrm_follows, read only).
 */
export async function resolveAddress(
  db: Kysely<any>,
  cipher: PiiCipher,
  ws: string,
  channel: Channel,
  profile: { ids: string[]; traits: Record<string, unknown> } | undefined,
  recipient: { chatId?: string; sender?: string } | null,
  config: ChannelConfig | undefined,
): Promise<Address> {
  const m = mdb(db);
  switch (channel.address) {
    case 'none':
      return { ok: true };
    case 'group': {
      const chatId = recipient?.chatId;
      if (!chatId) return { ok: false, reason: 'no_address:chat_id' };
      if (recipient?.sender) return { ok: true, chatId, sender: recipient.sender };
      const g = await m.selectFrom('scrm_groups').select(['owner', 'status']).where('workspace_id', '=', ws).where('chat_id', '=', chatId).executeTakeFirst();
      if (!g) return { ok: false, reason: 'no_address:unknown_group' };
      if (g.status !== 'active') return { ok: false, reason: 'no_address:group_dismissed' };
      return { ok: true, chatId, sender: g.owner };
    }
    case 'email':
    case 'phone': {
      if (!profile) return { ok: false, reason: 'no_profile' };
      const v = (await identity(db, ws, profile.ids, channel.address, cipher)) ?? profile.traits[channel.address];
      return typeof v === 'string' && v ? { ok: true, address: v } : { ok: false, reason: `no_address:${channel.address}` };
    }
    case 'openid': {
      if (!profile) return { ok: false, reason: 'no_profile' };
      const appId = config?.config.appId;
      if (typeof appId !== 'string') return { ok: false, reason: 'channel_not_configured' };
      const v = await identity(db, ws, profile.ids, `openid:${appId}`, cipher);
      return v ? { ok: true, address: v } : { ok: false, reason: `no_address:openid:${appId}` };
    }
    case 'external_userid': {
      if (!profile) return { ok: false, reason: 'no_profile' };
      const row = await m
        .selectFrom('identities')
        .select('id_key')
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', profile.ids)
        .where('id_type', 'like', 'external_userid:%')
        .orderBy('first_seen_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!row) return { ok: false, reason: 'no_address:external_userid' };
      const eu = row.id_key;
      let q = m.selectFrom('scrm_follows').select('userid').where('workspace_id', '=', ws).where('external_userid', '=', eu).where('deleted_at', 'is', null);
      if (recipient?.sender) q = q.where('userid', '=', recipient.sender);
      const owner = await q.orderBy('added_at').orderBy('userid').limit(1).executeTakeFirst();
      if (!owner) return { ok: false, reason: 'no_address:no_owning_staff' };
      return { ok: true, address: eu, sender: owner.userid };
    }
  }
}
