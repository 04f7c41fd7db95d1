/** The background workers' names and what each does (no imports: the CLI reads it for --help without loading the modules). */

/** Worker names, as `--only` takes them. */
export const WORKER_NAMES = [
  'segments',
  'journeys',
  'dispatcher',
  'broadcasts',
  'inbox',
  'scrm-ops',
  'live-codes',
  'clv',
  'coupons',
  'loyalty',
  'key-rotation',
  'retention',
] as const;
export type WorkerName = (typeof WORKER_NAMES)[number];

/** One line per worker. */
export const WORKER_DESCRIPTIONS: Record<WorkerName, string> = {
  segments: 'segment membership: change feed, recomputes, scheduled re-checks and models',
  journeys: 'journey triggers and the durable executor',
  dispatcher: 'the messaging outbox dispatcher',
  broadcasts: 'broadcast fan-out',
  inbox: 'the WeCom callback inbox',
  'scrm-ops': 'SOP ticks, mass-message and handover results',
  'live-codes': 'live-code expiry and staff caps',
  clv: 'daily refit of the predicted lifetime value models and their profile traits',
  coupons: 'coupon reversal when the order a coupon was used on is refunded or cancelled',
  'key-rotation': "PII data-key rotations: re-encrypts the old key versions' ciphertext in batches, then retires them",
  loyalty: 'points: earning rules, order holds, merged accounts, expiry and expiring notices; tiers, paid memberships, loyalty traits',
  retention: 'retention policies: purges old events, message bodies, archive lines, delivery events, closed requests, audit rows',
};

/** Parses `--only journeys,dispatcher`; throws naming the unknown ones. */
export function parseWorkerNames(list: string): WorkerName[] {
  const names = list
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(WORKER_NAMES as readonly string[]).includes(n));
  if (unknown.length || names.length === 0)
    throw new Error(`unknown worker${unknown.length === 1 ? '' : 's'} ${unknown.join(', ') || '(none given)'}; choose from ${WORKER_NAMES.join(', ')}`);
  return names as WorkerName[];
}

/** What each worker does, for `siyu worker --help`. */
export function describeWorkers(): string {
  return WORKER_NAMES.map((n) => `  ${n.padEnd(11)} ${WORKER_DESCRIPTIONS[n]}`).join('\n');
}
