import { optInt, optString, reqString, type ApiRoute } from '../api.js';
import { fail } from '../errors.js';
import { SALT } from '../ids.js';
import type { SandboxState } from '../state.js';

/** An app message as the sandbox received it (what the members would see in WeCom). */
export interface SentAppMessage {
  msgid: string;
  agentid: number;
  /** Members it reached. */
  touser: string[];
  msgtype: 'text' | 'markdown';
  content: string;
  /** Epoch ms. */
  at: number;
}

// Kept beside the state instead of inside it: app messages are this route file's concern only.
const sentByState = new WeakMap<SandboxState, SentAppMessage[]>();

/** The app messages a sandbox has accepted, oldest first (tests read what staff were told). */
export function appMessagesOf(state: SandboxState): SentAppMessage[] {
  let list = sentByState.get(state);
  if (!list) sentByState.set(state, (list = []));
  return list;
}

/**
 * `message/send` (应用消息) for the sandbox's one self-built app, `agentId`: text and markdown to
 * members by userid. Members who left or do not exist come back in `invaliduser`; if nobody is
 * reachable WeCom answers 81013.
 */
export function messageRoutes(agentId: string): ApiRoute[] {
  return [
    {
      method: 'POST',
      api: 'message/send',
      handler: (state, { body }) => {
        const agentid = optInt(body.agentid, 'agentid') ?? fail('INVALID_AGENTID', 'agentid is required');
        if (String(agentid) !== agentId) fail('INVALID_AGENTID', `the sandbox app is agentid ${agentId}`);
        const msgtype = reqString(body.msgtype, 'msgtype');
        if (msgtype !== 'text' && msgtype !== 'markdown')
          fail('INVALID_PARAMETER', `msgtype "${msgtype}" is not supported by the sandbox; text or markdown is`);
        const content = optString((body[msgtype] as { content?: unknown } | undefined)?.content, `${msgtype}.content`);
        if (!content) fail('EMPTY_CONTENT', `${msgtype}.content is required`);
        if (Buffer.byteLength(content) > 2048) fail('INVALID_PARAMETER', `${msgtype}.content is longer than 2048 bytes`);
        const touser = optString(body.touser, 'touser') ?? '';
        const named = touser === '@all' ? state.corp.activeStaff().map((s) => s.userid) : touser.split('|').filter(Boolean);
        if (named.length > 1000) fail('INVALID_PARAMETER', `touser names ${named.length} members, at most 1000 are accepted`);
        const valid = named.filter((u) => state.corp.findStaff(u)?.resigned === false);
        const invalid = named.filter((u) => !valid.includes(u));
        if (!valid.length) fail('ALL_RECIPIENTS_INVALID', 'touser names no member of the corp who has not left');
        const msgid = state.newId(SALT.msgid, 32);
        appMessagesOf(state).push({ msgid, agentid, touser: valid, msgtype, content, at: state.corp.now() });
        return { invaliduser: invalid.join('|'), invalidparty: '', invalidtag: '', unlicenseduser: '', msgid };
      },
    },
  ];
}
