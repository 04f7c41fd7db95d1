import { isIP } from 'node:net';
import { parseJson } from '../platform/db/database.js';
import { blockedRange, type OutboundAllowList } from '../platform/outbound.js';
import { MessagingError } from './errors.js';
import { type ChannelName, CHANNELS, isChannel } from './content.js';
import { type CallerDb, type DbScope, mdb, type MessagingDeps } from './deps.js';

type FieldType = 'string' | 'url' | 'int' | 'bool';
interface Spec {
  fields: Record<string, { type: FieldType; required?: boolean }>;
  secrets: Record<string, { required?: boolean }>;
}

/**
 * Per-channel configuration: plain fields are stored as JSON and shown; secret fields are
 * encrypted with the PII cipher and never returned (the API shows only which are set).
 * WeCom channels use the workspace's SCRM WeCom connection and need no configuration.
 */
export const CHANNEL_SPECS: Record<ChannelName, Spec> = {
  wecom: { fields: {}, secrets: {} },
  wecom_group: { fields: {}, secrets: {} },
  wechat_oa: { fields: { appId: { type: 'string', required: true }, apiBaseUrl: { type: 'url' } }, secrets: { appSecret: { required: true } } },
  miniprogram: { fields: { appId: { type: 'string', required: true }, apiBaseUrl: { type: 'url' } }, secrets: { appSecret: { required: true } } },
  sms: {
    fields: {
      endpoint: { type: 'url', required: true },
      accessKeyId: { type: 'string', required: true },
      signName: { type: 'string', required: true },
      timeoutMs: { type: 'int' },
    },
    secrets: { accessKeySecret: { required: true }, receiptSecret: {} },
  },
  email: {
    fields: {
      host: { type: 'string', required: true },
      port: { type: 'int', required: true },
      secure: { type: 'bool' },
      requireTls: { type: 'bool' },
      ignoreTls: { type: 'bool' },
      user: { type: 'string' },
      from: { type: 'string', required: true },
      replyTo: { type: 'string' },
    },
    secrets: { password: {} },
  },
  webhook: { fields: { url: { type: 'url', required: true }, timeoutMs: { type: 'int' } }, secrets: { signingSecret: { required: true } } },
};

/** A channel's configuration with its secrets decrypted; for the channel adapters only. */
export interface ChannelConfig {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

/** A channel's configuration as the API shows it. */
export interface ChannelConfigView {
  channel: ChannelName;
  configured: boolean;
  config: Record<string, unknown>;
  /** Names of the secret fields that hold a value (the values are never shown). */
  secretsSet: string[];
  updatedAt: string | null;
}

const bad = (ch: string, msg: string, field?: string): never => {
  throw new MessagingError('CHANNEL_CONFIG_INVALID', `${ch}: ${msg}`, field ? { field } : undefined);
};

/**
 * The internal destination a URL names literally (loopback, private, link-local, cloud metadata,
 * unspecified..., in any spelling the URL parser normalises: `2130706433`, `0x7f.1`,
 * `[::ffff:127.0.0.1]`; and `localhost`), unless the allow list lets it through; undefined for
 * public addresses and for other names, whose resolved address the guarded fetch checks when it
 * connects.
 */
export function internalDestination(url: string, allow: OutboundAllowList): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '')
      .toLowerCase();
  } catch {
    return undefined;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return blockedRange('127.0.0.1', allow, host) && `${host} (loopback)`;
  if (!isIP(host)) return undefined;
  const range = blockedRange(host, allow, host);
  return range && `${host} (${range} address)`;
}

function checkChannel(ch: string): ChannelName {
  if (!isChannel(ch)) throw new MessagingError('NOT_FOUND', `no channel "${ch}"; channels: ${CHANNELS.join(', ')}`);
  return ch;
}

/**
 * Replaces a channel's configuration. Secret fields left out keep their stored value, so an
 * operator can change the host without re-entering the password; `null` clears one.
 */
export async function putChannelConfig(
  deps: Pick<MessagingDeps, 'database' | 'cipher' | 'now' | 'outboundAllow'>,
  ws: string,
  channelName: string,
  body: unknown,
): Promise<ChannelConfigView> {
  const ch = checkChannel(channelName);
  const spec = CHANNEL_SPECS[ch];
  if (!body || typeof body !== 'object' || Array.isArray(body)) bad(ch, 'body must be an object of configuration fields');
  const input = body as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  const given: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(input)) {
    const f = spec.fields[k];
    if (f) {
      if (v === null || v === undefined) continue;
      const ok =
        f.type === 'int'
          ? Number.isInteger(v) && (v as number) >= 0
          : f.type === 'bool'
            ? typeof v === 'boolean'
            : typeof v === 'string' && v.length > 0 && v.length <= 2000;
      if (!ok) bad(ch, `${k} must be ${f.type === 'int' ? 'a non-negative integer' : f.type === 'bool' ? 'true or false' : 'a non-empty string'}`, k);
      if (f.type === 'url' && !/^https?:\/\/\S+$/.test(v as string)) bad(ch, `${k} must be an http(s) URL`, k);
      const internal = f.type === 'url' ? internalDestination(v as string, deps.outboundAllow) : undefined;
      if (internal)
        bad(
          ch,
          `${k} points to ${internal}, an internal destination Siyu does not call; give a public URL, or the operator allows it with SIYU_OUTBOUND_ALLOW`,
          k,
        );
      config[k] = v;
    } else if (spec.secrets[k]) {
      if (v !== null && (typeof v !== 'string' || !v)) bad(ch, `${k} must be a non-empty string, or null to clear it`, k);
      given[k] = v as string | null;
    } else {
      bad(ch, `"${k}" is not a setting of this channel; accepted: ${[...Object.keys(spec.fields), ...Object.keys(spec.secrets)].join(', ') || 'none'}`);
    }
  }
  for (const [k, f] of Object.entries(spec.fields)) if (f.required && config[k] === undefined) bad(ch, `${k} is required`, k);
  const db = mdb(deps.database.db);
  const now = deps.now();
  await db.transaction().execute(async (trx) => {
    const prev = await trx.selectFrom('channel_configs').select('secrets_enc').where('workspace_id', '=', ws).where('channel', '=', ch).executeTakeFirst();
    const cipher = await deps.cipher.forWorkspace(ws, trx);
    const secrets: Record<string, string> = prev?.secrets_enc ? JSON.parse(cipher.decrypt(prev.secrets_enc)) : {};
    for (const [k, v] of Object.entries(given)) {
      if (v === null) delete secrets[k];
      else secrets[k] = v;
    }
    for (const [k, s] of Object.entries(spec.secrets))
      if (s.required && !secrets[k]) bad(ch, `${k} is required (a secret: it is stored encrypted and never shown)`, k);
    const secretsEnc = Object.keys(secrets).length ? cipher.encrypt(JSON.stringify(secrets)) : null;
    await trx
      .insertInto('channel_configs')
      .values({ workspace_id: ws, channel: ch, config: JSON.stringify(config), secrets_enc: secretsEnc, updated_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'channel']).doUpdateSet({ config: JSON.stringify(config), secrets_enc: secretsEnc, updated_at: now }))
      .execute();
  });
  return getChannelConfigView(deps, ws, ch);
}

/** A channel's configuration without secrets. */
export async function getChannelConfigView(deps: Pick<MessagingDeps, 'database' | 'cipher'>, ws: string, channelName: string): Promise<ChannelConfigView> {
  const ch = checkChannel(channelName);
  const row = await mdb(deps.database.db).selectFrom('channel_configs').selectAll().where('workspace_id', '=', ws).where('channel', '=', ch).executeTakeFirst();
  if (!row) return { channel: ch, configured: false, config: {}, secretsSet: [], updatedAt: null };
  const secrets = row.secrets_enc ? Object.keys(JSON.parse((await deps.cipher.forWorkspace(ws, deps.database.db)).decrypt(row.secrets_enc))) : [];
  return { channel: ch, configured: true, config: parseJson(row.config), secretsSet: secrets.sort(), updatedAt: new Date(row.updated_at).toISOString() };
}

/** A channel's configuration with secrets, or undefined when the workspace has not configured it. */
export async function loadChannelConfig(deps: DbScope & Pick<MessagingDeps, 'cipher'>, ws: string, ch: ChannelName): Promise<ChannelConfig | undefined> {
  const row = await mdb(deps.database.db).selectFrom('channel_configs').selectAll().where('workspace_id', '=', ws).where('channel', '=', ch).executeTakeFirst();
  if (!row) return undefined;
  return {
    config: parseJson(row.config),
    secrets: row.secrets_enc ? JSON.parse((await deps.cipher.forWorkspace(ws, deps.database.db)).decrypt(row.secrets_enc)) : {},
  };
}

/** Whether the workspace has a configuration row for a channel (the WeCom channels use the SCRM connection instead: ask scrm). */
export async function isChannelConfigured(db: CallerDb, ws: string, channel: ChannelName): Promise<boolean> {
  const row = await mdb(db).selectFrom('channel_configs').select('channel').where('workspace_id', '=', ws).where('channel', '=', channel).executeTakeFirst();
  return row !== undefined;
}
