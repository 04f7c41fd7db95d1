/** The sandbox's types: its options, its credentials and the running sandbox (server.ts builds it; control.ts drives it). */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { CallbackTarget, FiredCallback, SealedCallback, VerifiedUrl } from './callbacks.js';
import type { FakeCorp } from './corp.js';
import type { CallbackScenario } from './scenarios.js';
import type { GroupMsg, SandboxState, SandboxStateOptions } from './state.js';

/** Options of `createSandbox` (server.ts). */
export interface SandboxOptions extends Omit<SandboxStateOptions, 'corpId'> {
  /** The corp id (`ww` + 16 hex characters in WeCom); derived from the seed when absent. */
  corpId?: string;
  /** The app secret gettoken accepts; derived from the seed when absent. */
  secret?: string;
  /** AgentID written in callback envelopes (default 1000002). */
  agentId?: string;
  /** Callback Token used by {@link Sandbox.fireCallback} unless one is given there; derived from the seed. */
  callbackToken?: string;
  /** Callback EncodingAESKey, 43 characters; derived from the seed. */
  encodingAesKey?: string;
  /** Lifetime of an access_token in seconds (WeCom: 7200). */
  tokenTtlSeconds?: number;
  /** Calls allowed per API per window before errcode 45009; false for none. Default 10,000 a minute, WeCom's per-corp limit. */
  rateLimit?: { limit: number; windowMs: number } | false;
  /** follow_user entries per page of externalcontact/get (WeCom: 500). */
  followUserPageSize?: number;
  /** Fastify's logger option; off by default. */
  logger?: FastifyServerOptions['logger'];
}

/** What a client of the sandbox needs to know. */
export interface SandboxCredentials {
  corpId: string;
  secret: string;
  agentId: string;
  callbackToken: string;
  encodingAesKey: string;
}

/** A running (or ready to run) WeCom sandbox. */
export interface Sandbox {
  readonly app: FastifyInstance;
  readonly state: SandboxState;
  readonly corp: FakeCorp;
  readonly credentials: SandboxCredentials;
  /** The base URL once listening (give it to the WeCom client as baseUrl). */
  readonly url: string | undefined;
  listen(options?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
  /** Makes every access_token issued so far expired (the next call with one answers 42001). */
  expireTokens(): void;
  /** Applies a scenario and POSTs its encrypted event to `targetUrl` (Token and key default to the sandbox's). */
  fireCallback(targetUrl: string, event: CallbackScenario, target?: Partial<CallbackTarget>): Promise<FiredCallback>;
  /** Applies a scenario and returns its event sealed as WeCom would POST it, without sending it (a receiver in this process). */
  sealCallback(event: CallbackScenario, target?: Partial<CallbackTarget>): SealedCallback;
  /** Verifies a callback URL with an encrypted echostr, as WeCom's console does. */
  verifyUrl(targetUrl: string, target?: Partial<CallbackTarget>): Promise<VerifiedUrl>;
  /** Marks a mass message as sent by its members (all, or one), as confirming in WeCom does. */
  confirmGroupMsg(msgid: string, userid?: string): GroupMsg;
  /** Completes every waiting handover now instead of after 24 hours. */
  completeTransfers(): number;
}
