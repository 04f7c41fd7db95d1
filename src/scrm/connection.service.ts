/**
 * A workspace's WeCom connection: validation, encryption of the secrets at rest, the masked view
 * the API returns, and the per-workspace WeCom client and callback crypto built from it.
 */
import type { Logger } from 'pino';
import type { PiiKeyring } from '../platform/keys.js';
import type { Database } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import {
  createTokenCache,
  createWeComClient,
  createWeComCrypto,
  decodeEncodingAesKey,
  WeComCryptoError,
  type WeComClient,
  type WeComCrypto,
} from '../wecom/index.js';
import { deleteConnection, findConnection, type StoredConnection, upsertConnection } from './connection.repo.js';
import { ScrmError } from './errors.js';

/** WeCom's API base URL unless a connection names another (the sandbox, a proxy). */
export const DEFAULT_WECOM_API = 'https://qyapi.weixin.qq.com';

/** What `PUT /v1/wecom/connection` accepts. */
export interface ConnectionInput {
  corpId: string;
  secret: string;
  callbackToken: string;
  encodingAesKey: string;
  agentId?: string | number | null;
  apiBaseUrl?: string | null;
}

/** A connection as the API shows it: secrets are never returned, only whether they are set. */
export interface ConnectionView {
  corpId: string;
  agentId: string | null;
  apiBaseUrl: string;
  secretSet: boolean;
  callbackTokenSet: boolean;
  encodingAesKeySet: boolean;
  /** Where to point WeCom's 接收事件服务器 URL (prefix it with this server's public origin). */
  callbackPath: string;
  createdAt: string;
  updatedAt: string;
}

/** A connection with its secrets decrypted, for building clients and callback crypto. */
export interface OpenConnection {
  workspaceId: string;
  corpId: string;
  agentId: string | null;
  secret: string;
  callbackToken: string;
  encodingAesKey: string;
  apiBaseUrl: string;
}

const bad = (message: string): never => {
  throw new ScrmError('VALIDATION_FAILED', message);
};

/** Checks and normalises a connection body; every message names the field and what is accepted. `defaultApiBaseUrl` is taken when the body names none. */
export function validateConnectionInput(
  body: ConnectionInput,
  defaultApiBaseUrl = DEFAULT_WECOM_API,
): Required<Omit<ConnectionInput, 'agentId' | 'apiBaseUrl'>> & { agentId: string | null; apiBaseUrl: string } {
  const corpId = typeof body.corpId === 'string' ? body.corpId.trim() : '';
  // WeCom corp ids are `ww` + 16 hex characters; older ones start with `wx`. Letters and digits only.
  if (!/^[A-Za-z0-9]{1,64}$/.test(corpId)) bad('corpId must be the corp id from 我的企业 → 企业信息 (letters and digits, e.g. ww1234567890abcdef)');
  const secret = typeof body.secret === 'string' ? body.secret.trim() : '';
  if (!/^[\x21-\x7e]{1,256}$/.test(secret)) bad('secret must be the 客户联系 (or self-built app) Secret: 1 to 256 printable characters without spaces');
  const callbackToken = typeof body.callbackToken === 'string' ? body.callbackToken : '';
  // The console generates English letters and digits, at most 32 of them.
  if (!/^[A-Za-z0-9]{1,32}$/.test(callbackToken)) bad('callbackToken must be the Token of 接收事件服务器: 1 to 32 letters and digits');
  try {
    decodeEncodingAesKey(body.encodingAesKey);
  } catch (err) {
    if (err instanceof WeComCryptoError) bad(`encodingAesKey: ${err.message}`);
    throw err;
  }
  let agentId: string | null = null;
  if (body.agentId !== undefined && body.agentId !== null && body.agentId !== '') {
    agentId = String(body.agentId);
    if (!/^\d{1,12}$/.test(agentId)) bad('agentId must be the numeric AgentId of the self-built app, e.g. 1000002');
  }
  let apiBaseUrl = defaultApiBaseUrl;
  if (body.apiBaseUrl !== undefined && body.apiBaseUrl !== null && body.apiBaseUrl !== '') {
    let url: URL | undefined;
    try {
      url = new URL(body.apiBaseUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) {
      bad(`apiBaseUrl must be an http(s) URL without query, fragment or credentials, such as ${DEFAULT_WECOM_API}; got ${JSON.stringify(body.apiBaseUrl)}`);
    }
    apiBaseUrl = url!.toString().replace(/\/+$/, '');
  }
  return { corpId, secret, callbackToken, encodingAesKey: body.encodingAesKey, agentId, apiBaseUrl };
}

function view(row: StoredConnection): ConnectionView {
  return {
    corpId: row.corp_id,
    agentId: row.agent_id,
    apiBaseUrl: row.api_base_url,
    secretSet: row.secret_enc.length > 0,
    callbackTokenSet: row.callback_token_enc.length > 0,
    encodingAesKeySet: row.encoding_aes_key_enc.length > 0,
    callbackPath: `/wecom/callback/${row.workspace_id}`,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

/** What the connection functions need. */
export interface ConnectionDeps {
  database: Database;
  cipher: PiiKeyring;
  now: () => number;
  /** WeCom's API base URL for connections that name none (default https://qyapi.weixin.qq.com). */
  wecomApiBaseUrl?: string;
}

/** Stores (or replaces) the workspace's connection with its secrets encrypted; returns the masked view. */
export async function saveConnection(deps: ConnectionDeps, workspaceId: string, body: ConnectionInput): Promise<ConnectionView> {
  const input = validateConnectionInput(body, deps.wecomApiBaseUrl);
  const now = deps.now();
  const cipher = await deps.cipher.forWorkspace(workspaceId);
  const row = await upsertConnection(deps.database.db, {
    workspace_id: workspaceId,
    corp_id: input.corpId,
    agent_id: input.agentId,
    secret_enc: cipher.encrypt(input.secret),
    callback_token_enc: cipher.encrypt(input.callbackToken),
    encoding_aes_key_enc: cipher.encrypt(input.encodingAesKey),
    api_base_url: input.apiBaseUrl,
    created_at: now,
    updated_at: now,
  });
  return view(row);
}

/** The masked view of the workspace's connection; WECOM_NOT_CONNECTED when there is none. */
export async function getConnectionView(deps: ConnectionDeps, workspaceId: string): Promise<ConnectionView> {
  const row = await findConnection(deps.database.db, workspaceId);
  if (!row) throw notConnected(workspaceId);
  return view(row);
}

/** Removes the workspace's connection (callbacks are refused from then on); WECOM_NOT_CONNECTED when there is none. */
export async function removeConnection(deps: ConnectionDeps, workspaceId: string): Promise<void> {
  if (!(await deleteConnection(deps.database.db, workspaceId))) throw notConnected(workspaceId);
}

/** The error for a workspace without a connection. */
export function notConnected(workspaceId: string): AppError {
  return new ScrmError('WECOM_NOT_CONNECTED', `workspace ${workspaceId} has no WeCom connection; configure one with PUT /v1/wecom/connection`);
}

/** The workspace's connection with its secrets decrypted, or undefined. */
export async function openConnection(deps: Pick<ConnectionDeps, 'database' | 'cipher'>, workspaceId: string): Promise<OpenConnection | undefined> {
  const row = await findConnection(deps.database.db, workspaceId);
  if (!row) return undefined;
  const cipher = await deps.cipher.forWorkspace(workspaceId);
  return {
    workspaceId,
    corpId: row.corp_id,
    agentId: row.agent_id,
    secret: cipher.decrypt(row.secret_enc),
    callbackToken: cipher.decrypt(row.callback_token_enc),
    encodingAesKey: cipher.decrypt(row.encoding_aes_key_enc),
    apiBaseUrl: row.api_base_url,
  };
}

/** A workspace's callback settings, ready to verify and decrypt. */
export interface CallbackKeys {
  corpId: string;
  crypto: WeComCrypto;
}

/** The per-workspace WeCom clients and callback crypto of a process, cached, rebuilt on change. */
export interface WeComConnections {
  /** The workspace's WeCom client; throws WECOM_NOT_CONNECTED when it has no connection. */
  clientFor(workspaceId: string): Promise<WeComClient>;
  /** The workspace's callback crypto, or undefined when it has no connection. */
  callbackKeysFor(workspaceId: string): Promise<CallbackKeys | undefined>;
  /** Forgets what is cached for a workspace (after its connection changed in this process). */
  invalidate(workspaceId: string): void;
}

/**
 * Cached entries live this long (wall time): a connection changed by another process is seen
 * within it; this process invalidates at once on PUT and DELETE.
 */
const CACHE_MS = 30_000;

/**
 * Builds the process's WeCom connections: one client per workspace, all sharing one token cache
 * (so a token is fetched once per corp and secret, single-flight), built from the stored connection.
 */
export function createClientResolver(s: { database: Database; cipher: PiiKeyring; now: () => number; log: Logger }): WeComConnections {
  const tokens = createTokenCache();
  const clients = new Map<string, { value: Promise<WeComClient>; until: number }>();
  const keys = new Map<string, { value: Promise<CallbackKeys | undefined>; until: number }>();
  const log = s.log.child({ component: 'wecom' });

  const cached = <T>(map: Map<string, { value: Promise<T>; until: number }>, ws: string, build: () => Promise<T>): Promise<T> => {
    const hit = map.get(ws);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = build();
    map.set(ws, { value, until: Date.now() + CACHE_MS });
    // A failed look-up is not remembered.
    value.catch(() => map.get(ws)?.value === value && map.delete(ws));
    return value;
  };

  return {
    clientFor(workspaceId) {
      return cached(clients, workspaceId, async () => {
        const c = await openConnection(s, workspaceId);
        if (!c) throw notConnected(workspaceId);
        return createWeComClient({ baseUrl: c.apiBaseUrl, corpId: c.corpId, secret: c.secret, now: s.now, tokens, log });
      });
    },
    callbackKeysFor(workspaceId) {
      return cached(keys, workspaceId, async () => {
        const c = await openConnection(s, workspaceId);
        // Absence is not cached: workspace ids come from URLs, and anyone can send many.
        if (!c) {
          keys.delete(workspaceId);
          return undefined;
        }
        return { corpId: c.corpId, crypto: createWeComCrypto({ token: c.callbackToken, encodingAesKey: c.encodingAesKey, receiveId: c.corpId }) };
      });
    },
    invalidate(workspaceId) {
      clients.delete(workspaceId);
      keys.delete(workspaceId);
    },
  };
}
