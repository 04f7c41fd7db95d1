import { latestIdentifier } from '../cdp/index.js';
import type { ChannelConfig } from './channel-config.js';
import type { Channel } from './channels/types.js';
import type { CallerDb, MessagingDeps } from './deps.js';

/** Where a message goes, or why it cannot go anywhere. */
export type Address = { ok: true; address?: string; sender?: string; chatId?: string } | { ok: false; reason: string };

/** What finding an address needs: the transaction, the cipher, and SCRM's answers about WeCom groups and followers. */
export type AddressPorts = Pick<MessagingDeps, 'cipher' | 'wecomGroupOwner' | 'wecomFollower'>;

/** One message's addressing question. */
interface Ask {
  db: CallerDb;
  ports: AddressPorts;
  ws: string;
  profile: { ids: string[]; traits: Record<string, unknown> } | undefined;
  recipient: { chatId?: string; sender?: string } | null;
  config: ChannelConfig | undefined;
}

async function identity(a: Ask, ids: string[], type: string): Promise<string | undefined> {
  const row = await latestIdentifier(a.db, a.ws, ids, type);
  if (!row) return undefined;
  return row.valueEnc !== null ? (await a.ports.cipher.forWorkspace(a.ws, a.db)).decrypt(row.valueEnc) : row.key;
}

/** A WeCom group: the chat id given, sent by the sender given or else the group's owner (SCRM's record). */
async function groupAddress(a: Ask): Promise<Address> {
  const chatId = a.recipient?.chatId;
  if (!chatId) return { ok: false, reason: 'no_address:chat_id' };
  if (a.recipient?.sender) return { ok: true, chatId, sender: a.recipient.sender };
  const g = await a.ports.wecomGroupOwner(a.db, a.ws, chatId);
  if (!g) return { ok: false, reason: 'no_address:unknown_group' };
  if (g.status !== 'active') return { ok: false, reason: 'no_address:group_dismissed' };
  return { ok: true, chatId, sender: g.owner };
}

/** Email or phone: the newest identifier of that type (decrypted), else the trait of that name. */
const contactAddress =
  (kind: 'email' | 'phone') =>
  async (a: Ask): Promise<Address> => {
    if (!a.profile) return { ok: false, reason: 'no_profile' };
    const v = (await identity(a, a.profile.ids, kind)) ?? a.profile.traits[kind];
    return typeof v === 'string' && v ? { ok: true, address: v } : { ok: false, reason: `no_address:${kind}` };
  };

/** WeChat: the openid of the configured app (`openid:<appId>`). */
async function openidAddress(a: Ask): Promise<Address> {
  if (!a.profile) return { ok: false, reason: 'no_profile' };
  const appId = a.config?.config.appId;
  if (typeof appId !== 'string') return { ok: false, reason: 'channel_not_configured' };
  const v = await identity(a, a.profile.ids, `openid:${appId}`);
  return v ? { ok: true, address: v } : { ok: false, reason: `no_address:openid:${appId}` };
}

/** WeCom 1:1: the customer's `external_userid:<corp>` identifier, sent by the staff member following them longest. */
async function externalUseridAddress(a: Ask): Promise<Address> {
  if (!a.profile) return { ok: false, reason: 'no_profile' };
  const eu = (await latestIdentifier(a.db, a.ws, a.profile.ids, { like: 'external_userid:%' }))?.key;
  if (!eu) return { ok: false, reason: 'no_address:external_userid' };
  const owner = await a.ports.wecomFollower(a.db, a.ws, eu, a.recipient?.sender);
  if (!owner) return { ok: false, reason: 'no_address:no_owning_staff' };
  return { ok: true, address: eu, sender: owner };
}

/** One resolver per address kind a channel names. */
const RESOLVERS: Record<Channel['address'], (a: Ask) => Promise<Address>> = {
  none: async () => ({ ok: true }),
  group: groupAddress,
  email: contactAddress('email'),
  phone: contactAddress('phone'),
  openid: openidAddress,
  external_userid: externalUseridAddress,
};

/**
 * Finds a profile's address for a channel: email and phone from its identifiers (decrypted) or
 * traits; openid for the configured app (`openid:<appId>`); for WeCom the `external_userid:<corp>`
 * identifier and, as sender, the staff member following the customer longest (asked of SCRM).
 */
export async function resolveAddress(
  db: CallerDb,
  ports: AddressPorts,
  ws: string,
  channel: Channel,
  profile: { ids: string[]; traits: Record<string, unknown> } | undefined,
  recipient: { chatId?: string; sender?: string } | null,
  config: ChannelConfig | undefined,
): Promise<Address> {
  return RESOLVERS[channel.address]({ db, ports, ws, profile, recipient, config });
}
