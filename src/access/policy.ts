/**
 * What each console role may call. Routes are classified by method and Fastify route pattern, so a
 * route added tomorrow falls into a class the day it is added (a GET is a read, anything else a
 * change) and `roles.test.ts` calls every route as every role:
 *
 * | class | owner | operator | analyst | guide |
 * | --- | --- | --- | --- | --- |
 * | admin (keys, users, WeCom connection, workspace name and time zone, the audit log, rate limits, privacy requests, retention, encryption keys, CSV exports of segment members) | yes | — | — | — |
 * | change (every other POST/PUT/PATCH/DELETE) | yes | yes | — | — |
 * | read (GET, and POSTs that only compute an answer) | yes | yes | yes | — |
 * | guide (their own workbench, tasks and customers) | yes | yes | yes (reads) | own only |
 * | member (`/v1/member/…`: a member token only, never a console session or a key) | — | — | — | — |
 */
import type { Role } from '../platform/principal.js';

/** How a route is classified. */
export type RouteClass = 'admin' | 'change' | 'read' | 'member';

/** Owner-only routes: API keys, console users and invitations, the WeCom connection (its secret), the workspace's name and time zone, the audit log, changes of the rate limits, data-subject requests, retention periods, PII encryption keys. */
const ADMIN: RegExp[] = [
  /^[A-Z]+ \/v1\/keys(\/|$)/,
  /^[A-Z]+ \/v1\/users(\/|$)/,
  /^(PUT|DELETE) \/v1\/wecom\/connection$/,
  /^PATCH \/v1\/workspace$/,
  /^GET \/v1\/audit(\/|$)/,
  /^PUT \/v1\/rate-limits$/,
  // Data-subject requests: exports and erasures of one person's data (#19: the owner's alone).
  /^[A-Z]+ \/v1\/privacy(\/|$)/,
  // PII encryption keys: their status and rotation (#19).
  /^[A-Z]+ \/v1\/encryption(\/|$)/,
  // Retention periods and the job's reports (#19): how long personal data is kept is the owner's decision.
  /^[A-Z]+ \/v1\/retention(\/|$)/,
];

/**
 * Reads that, with `format=csv`, export personal data in bulk (#19: "exports of personal data require
 * the owner role and are audited"; CSV exports are recorded in the audit log). Their JSON pages stay
 * reads, for the console's lists. Other CSV exports (funnels, metrics, cohorts) hold no person's data.
 */
const PERSONAL_EXPORTS = new Set(['GET /v1/segments/:id/members']);

/** The member-facing API (loyalty's member routes): authenticated by member tokens alone. */
const MEMBER = /^[A-Z]+ \/v1\/member(\/|$)/;

/** POSTs that change nothing: they compute an answer from a body (previews, queries). */
const READ_POSTS = new Set([
  'POST /v1/segments/preview',
  'POST /v1/templates/:id/preview',
  'POST /v1/insight/funnels',
  // A quote of points at checkout: reads the member's balance and the settings.
  'POST /v1/loyalty/checkout/quote',
  // Asks WeCom for a token and one read with the stored connection; changes nothing.
  'POST /v1/wecom/connection/test',
]);

/**
 * What a guide may reach, and the check that keeps them to their own: the staff id in the path or
 * query, the task's staff member, or the profile's following staff member (checked by GuideScope).
 */
export type GuideCheck =
  { kind: 'none' } | { kind: 'staff-param' } | { kind: 'staff-query' } | { kind: 'task'; task: 'sop' | 'follow-up' } | { kind: 'profile' };

const GUIDE_ROUTES: Record<string, GuideCheck> = {
  'GET /v1/workspace': { kind: 'none' },
  'GET /v1/errors': { kind: 'none' },
  'GET /v1/wecom/staff/:userid/customers': { kind: 'staff-param' },
  'GET /v1/wecom/staff/:userid/today': { kind: 'staff-param' },
  'GET /v1/wecom/staff/:userid/recommendations': { kind: 'staff-param' },
  'GET /v1/wecom/staff/:userid': { kind: 'staff-param' },
  'GET /v1/wecom/tasks': { kind: 'staff-query' },
  'POST /v1/wecom/tasks/:id/complete': { kind: 'task', task: 'sop' },
  'POST /v1/wecom/guide-tasks/:id/complete': { kind: 'task', task: 'follow-up' },
  'GET /v1/profiles/:id': { kind: 'profile' },
  'GET /v1/profiles/:id/events': { kind: 'profile' },
  'GET /v1/profiles/:id/consent': { kind: 'profile' },
  'GET /v1/profiles/:id/points': { kind: 'profile' },
  'GET /v1/profiles/:id/coupons': { kind: 'profile' },
  'GET /v1/profiles/:id/wecom': { kind: 'profile' },
};

/** The class of a route (`method`, Fastify pattern such as `/v1/segments/:id`). */
export function classify(method: string, routeUrl: string): RouteClass {
  const key = `${method.toUpperCase()} ${routeUrl}`;
  if (MEMBER.test(key)) return 'member';
  if (ADMIN.some((re) => re.test(key))) return 'admin';
  if (method === 'GET' || method === 'HEAD' || READ_POSTS.has(key)) return 'read';
  return 'change';
}

/** The class of one request: its route's class, or admin for a bulk export of personal data (format=csv). */
export function classifyRequest(method: string, routeUrl: string, query: unknown): RouteClass {
  const format = query !== null && typeof query === 'object' ? (query as Record<string, unknown>).format : undefined;
  if (format === 'csv' && PERSONAL_EXPORTS.has(`${method.toUpperCase()} ${routeUrl}`)) return 'admin';
  return classify(method, routeUrl);
}

/** The guide check of a route, or undefined when guides may not call it at all. */
export function guideCheck(method: string, routeUrl: string): GuideCheck | undefined {
  return GUIDE_ROUTES[`${method.toUpperCase()} ${routeUrl}`];
}

/** Whether a role other than guide may call a route of a class (guides go through {@link guideCheck}). */
export function roleAllows(role: Exclude<Role, 'guide'>, cls: RouteClass): boolean {
  // Member routes serve the member a token names: no console role acts as a member.
  if (cls === 'member') return false;
  if (role === 'owner') return true;
  if (role === 'operator') return cls !== 'admin';
  return cls === 'read';
}
