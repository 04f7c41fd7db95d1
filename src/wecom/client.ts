/**
 * A client for WeCom's (企业微信) server API: typed calls for staff, customers, tags, contact
 * ways, welcome messages, customer groups, mass messages and handover, over one request core
 * (request.ts: access tokens, retries, errors). See docs/wecom-client.md for the policy in prose.
 */
import { contactWayApi } from './api/contact-ways.js';
import { corpTagApi, customerApi } from './api/customers.js';
import { groupApi } from './api/groups.js';
import { messageApi } from './api/messages.js';
import { staffApi } from './api/staff.js';
import { transferApi } from './api/transfers.js';
import { type CallSpec, createRequester, type WeComClientOptions } from './request.js';
import type { WeComOk } from './types.js';

export { WeComBadResponseError, WeComError, WeComNetworkError } from './errcodes.js';
export { createTokenCache, type CallSpec, type WeComClientOptions, type WeComLogger, type WeComTokenCache } from './request.js';

/** The WeCom client: every method resolves with WeCom's answer or throws one of the three errors of errcodes.ts. */
export type WeComClient = ReturnType<typeof createWeComClient>;

/** Builds a WeCom client for one corp and one secret. */
export function createWeComClient(options: WeComClientOptions) {
  const r = createRequester(options);
  return {
    /** The current access token, fetched or refreshed if needed (single-flight). */
    accessToken: r.accessToken,
    /** Calls any API under `/cgi-bin/` with the token, retries and errors of the typed calls. */
    request: <R extends WeComOk>(spec: CallSpec) => r.call<R>(spec),
    ...staffApi(r),
    ...customerApi(r),
    ...corpTagApi(r),
    ...contactWayApi(r),
    ...groupApi(r),
    ...messageApi(r),
    ...transferApi(r),
  };
}
