/**
 * Referral codes and attribution: a member's code (create or get) and staff codes with their
 * commission rate; attributing a referee to the owner of a code, with every refusal recorded with
 * its reason (self-referral, a shared identifier, an already-known referee, a second referral,
 * the referrer's velocity limit) and the registration rewards, milestones and `referral_count`
 * trait of an accepted one. See docs/loyalty-referrals.md.
 */
import { recordSystemEvents, resolveProfileId } from '../cdp/index.js';
import { withRetries } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { DAY_MS } from '../platform/time.js';
import { randomCodes, normaliseCode } from './coupons.codes.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';
import { REFERRAL_EVENTS } from './event-names.js';
import type { Conn } from './ledger.repo.js';
import { alreadyKnown, familyOf, type Refusal, samePerson } from './referrals.checks.js';
import { type ReferralProgramme, referralProgramme } from './referrals.programme.js';
import { afterReferralsChanged, grantFor } from './referrals.outcomes.js';
import type { RewardRow } from './referrals.rewards.js';
import type { ReferralCodesTable, ReferralDecisionsTable } from './referrals.tables.js';
import { type DecisionView, decisionView, type RewardView, rewardView } from './referrals.views.js';

/** A referral code as the API answers it. */
export interface ReferralCodeView {
  code: string;
  ownerKind: 'member' | 'staff';
  ownerId: string;
  commissionBp: number | null;
  /** The programme's share URL with the code in it, or null when the programme names none. */
  shareLink: string | null;
  createdAt: string;
}

function codeView(r: ReferralCodesTable, p: ReferralProgramme): ReferralCodeView {
  return {
    code: r.code,
    ownerKind: r.owner_kind,
    ownerId: r.owner_id,
    commissionBp: r.commission_bp === null ? null : Number(r.commission_bp),
    shareLink: p.shareUrl ? p.shareUrl.replace('{code}', encodeURIComponent(r.code)) : null,
    createdAt: new Date(Number(r.created_at)).toISOString(),
  };
}

async function codeOfOwner(db: Conn, ws: string, kind: 'member' | 'staff', owner: string) {
  return db
    .selectFrom('referral_codes')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('owner_kind', '=', kind)
    .where('owner_id', '=', owner)
    .executeTakeFirst();
}

/** A member's referral code, created on first ask (idempotent: the same member always gets the same code). */
export async function referralCodeOf(deps: LoyaltyDeps, ws: string, profileRef: string): Promise<ReferralCodeView> {
  const profileId = await deps.resolveProfile(ws, profileRef);
  const db = deps.database.db;
  const p = await referralProgramme(db, ws);
  const found = await codeOfOwner(db, ws, 'member', profileId);
  if (found) return codeView(found, p);
  const row: ReferralCodesTable = {
    workspace_id: ws,
    code: randomCodes(1, 'R')[0]!,
    owner_kind: 'member',
    owner_id: profileId,
    commission_bp: null,
    created_at: deps.now(),
  };
  // Two first asks at once: one insert wins, the other reads it.
  await db
    .insertInto('referral_codes')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .execute();
  return codeView((await codeOfOwner(db, ws, 'member', profileId)) ?? row, p);
}

/** What a staff code is created or changed with. */
export interface StaffCodeBody {
  staffId: string;
  /** The code to use (letters and digits); default a generated one. Ignored once the staff member has a code. */
  code?: string;
  /** Commission in basis points of each qualifying order's net amount (1000 = 10%). */
  commissionBp: number;
}

/** A staff member's distribution code: created on first ask, its commission rate set on every ask. */
export async function staffReferralCode(deps: LoyaltyDeps, ws: string, b: StaffCodeBody): Promise<ReferralCodeView> {
  const db = deps.database.db;
  const p = await referralProgramme(db, ws);
  const found = await codeOfOwner(db, ws, 'staff', b.staffId);
  if (found) {
    await db.updateTable('referral_codes').set({ commission_bp: b.commissionBp }).where('workspace_id', '=', ws).where('code', '=', found.code).execute();
    return codeView({ ...found, commission_bp: b.commissionBp }, p);
  }
  const code = b.code ? normaliseCode(b.code) : randomCodes(1, 'S')[0]!;
  const row: ReferralCodesTable = { workspace_id: ws, code, owner_kind: 'staff', owner_id: b.staffId, commission_bp: b.commissionBp, created_at: deps.now() };
  const res = await db
    .insertInto('referral_codes')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) {
    const again = await codeOfOwner(db, ws, 'staff', b.staffId);
    if (again) return codeView(again, p);
    throw new LoyaltyError('REFERRAL_CODE_TAKEN', `referral code "${code}" belongs to someone else; choose another or leave code out`, { code });
  }
  return codeView(row, p);
}

/** What an attribution answers: the decision, the rewards it gave at once, and whether it is a replay of an earlier acceptance. */
export interface AttributionResult {
  decision: DecisionView;
  rewards: RewardView[];
  replayed: boolean;
}

/** Records a decision (and, for a refusal, `Referral Rejected` on the referee's timeline). */
export async function recordDecision(
  trx: Conn,
  deps: Pick<LoyaltyDeps, 'database'>,
  d: Omit<ReferralDecisionsTable, 'id' | 'created_at' | 'message_id'> & { message_id?: string | null },
  now: number,
): Promise<ReferralDecisionsTable> {
  const row: ReferralDecisionsTable = { ...d, message_id: d.message_id ?? null, id: newId('rfd', now), created_at: now };
  await trx.insertInto('referral_decisions').values(row).execute();
  if (d.outcome === 'rejected') {
    const properties = { decision_id: row.id, code: d.code, referrer_kind: d.referrer_kind, referrer_id: d.referrer_id, reason: d.reason, detail: d.detail };
    await recordSystemEvents(trx, deps.database.dialect, [
      { workspaceId: d.workspace_id, profileId: d.referee_id, event: REFERRAL_EVENTS.rejected, properties, at: now, eventId: `${row.id}:rejected` },
    ]);
  }
  return row;
}

/** The first refusal of the checks an attribution runs, in order; undefined when it may be accepted. */
async function refusalOf(trx: Conn, ws: string, code: ReferralCodesTable, referrerLive: string, referee: string, p: ReferralProgramme, now: number) {
  if (!p.enabled) return { reason: 'programme_disabled', detail: 'the referral programme of this workspace is off' } satisfies Refusal;
  if (code.owner_kind === 'member') {
    const self = await samePerson(trx, ws, { recorded: code.owner_id, live: referrerLive }, referee);
    if (self) return self;
  }
  const known = await alreadyKnown(trx, ws, referee, now, p.newWithinMinutes);
  if (known) return known;
  const since = now - DAY_MS;
  const q = trx
    .selectFrom('referral_decisions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws);
  const row = await q.where('referrer_id', '=', code.owner_id).where('outcome', '=', 'accepted').where('created_at', '>', since).executeTakeFirst();
  if (Number(row?.n ?? 0) >= p.maxPerReferrerPerDay) {
    return {
      reason: 'velocity_limit',
      detail: `the referrer already has ${Number(row?.n)} accepted referrals in the last 24 hours (the limit is ${p.maxPerReferrerPerDay})`,
    } satisfies Refusal;
  }
  return undefined;
}

/**
 * Attributes the profile `profile` names to the owner of `code`. Checks run under a lock on the
 * code's row (so one referrer's velocity count cannot race); a refusal is recorded with its reason
 * and answered (200, outcome rejected); an acceptance is the referee's one referral (asking again
 * with the same code answers it again, `replayed`), gives the registration rewards, the
 * referrer's milestones and updates their `referral_count` trait.
 */
export async function attributeReferral(deps: LoyaltyDeps, ws: string, b: { code: string; profile: string }): Promise<AttributionResult> {
  const referee = await deps.resolveProfile(ws, b.profile);
  return withRetries(deps.database, () =>
    deps.database.db.transaction().execute(async (trx) => {
      const r = await attributeInTrx(trx, deps, ws, { code: b.code, referee, at: deps.now() });
      if (!r) throw new LoyaltyError('REFERRAL_CODE_NOT_FOUND', `no referral code "${b.code}" in this workspace`, { code: b.code });
      return r;
    }),
  );
}

/** What an attribution is asked inside a transaction: the code as typed, the referee's live profile, the time it happened and, for a tracked event, its id. */
export interface AttributionRequest {
  code: string;
  referee: string;
  at: number;
  messageId?: string;
}

/** An attribution inside the caller's transaction (the API's, or the event pass's page); undefined when no code is like `code`. */
export async function attributeInTrx(trx: Conn, deps: LoyaltyDeps, ws: string, req: AttributionRequest): Promise<AttributionResult | undefined> {
  const { referee, at: now } = req;
  const q = trx.selectFrom('referral_codes').selectAll().where('workspace_id', '=', ws).where('code', '=', normaliseCode(req.code));
  const code = await deps.database.dialect.forUpdate(q).executeTakeFirst();
  if (!code) return undefined;
  const p = await referralProgramme(trx, ws);
  const base = {
    workspace_id: ws,
    code: code.code,
    referrer_kind: code.owner_kind,
    referrer_id: code.owner_id,
    referee_id: referee,
    message_id: req.messageId ?? null,
  };
  const earlier = await referralOfFamily(trx, ws, referee);
  if (earlier && earlier.code === code.code) return replayOf(trx, ws, earlier.decision_id);
  const referrerLive = code.owner_kind === 'member' ? ((await resolveProfileId(trx, ws, code.owner_id)) ?? code.owner_id) : code.owner_id;
  const refusal: Refusal | undefined = earlier
    ? {
        reason: 'already_referred',
        detail: `the referee was already referred with code ${earlier.code} on ${new Date(Number(earlier.attributed_at)).toISOString()}`,
      }
    : await refusalOf(trx, ws, code, referrerLive, referee, p, now);
  if (refusal) {
    const d = await recordDecision(trx, deps, { ...base, outcome: 'rejected', reason: refusal.reason, detail: refusal.detail }, now);
    return { decision: decisionView(d), rewards: [], replayed: false };
  }
  const decision = await recordDecision(trx, deps, { ...base, outcome: 'accepted', reason: 'accepted', detail: null }, now);
  const { message_id: _, ...fields } = base;
  const referral = { ...fields, status: 'active' as const, decision_id: decision.id, attributed_at: now };
  await trx.insertInto('referrals').values(referral).execute();
  const rewards = await acceptedEffects(trx, deps, p, referral, referrerLive, now);
  return { decision: decisionView(decision), rewards: rewards.map(rewardView), replayed: false };
}

/** What an acceptance does: the timeline events, the registration rewards, milestones and the trait. */
async function acceptedEffects(
  trx: Conn,
  deps: LoyaltyDeps,
  p: ReferralProgramme,
  r: { workspace_id: string; code: string; referrer_kind: 'member' | 'staff'; referrer_id: string; referee_id: string; decision_id: string },
  referrerLive: string,
  now: number,
): Promise<RewardRow[]> {
  const ws = r.workspace_id;
  const properties = { decision_id: r.decision_id, code: r.code, referrer_kind: r.referrer_kind, referrer_id: referrerLive, referee_id: r.referee_id };
  const events = [{ workspaceId: ws, profileId: r.referee_id, event: REFERRAL_EVENTS.completed, properties, at: now, eventId: `${r.decision_id}:referee` }];
  if (r.referrer_kind === 'member') events.push({ ...events[0]!, profileId: referrerLive, eventId: `${r.decision_id}:referrer` });
  await recordSystemEvents(trx, deps.database.dialect, events);
  const out: RewardRow[] = [];
  for (const rule of p.rules.filter((x) => x.on === 'registration')) {
    out.push(...(await grantFor(trx, deps, rule, { ...r, referrerLive }, { key: `reg:${rule.id}:${r.referee_id}`, orderId: null }, now)));
  }
  if (r.referrer_kind === 'member') out.push(...(await afterReferralsChanged(trx, deps, p, ws, referrerLive, now)));
  return out;
}

/** The accepted referral of a referee (or of a profile merged into it), if any. */
export async function referralOfFamily(trx: Conn, ws: string, referee: string) {
  const ids = await familyOf(trx, ws, referee);
  return trx.selectFrom('referrals').selectAll().where('workspace_id', '=', ws).where('referee_id', 'in', ids).orderBy('attributed_at').executeTakeFirst();
}

/** The answer of an acceptance asked again: its decision and the rewards it gave at registration. */
async function replayOf(trx: Conn, ws: string, decisionId: string): Promise<AttributionResult> {
  const d = await trx.selectFrom('referral_decisions').selectAll().where('workspace_id', '=', ws).where('id', '=', decisionId).executeTakeFirstOrThrow();
  const rewards = await trx
    .selectFrom('referral_rewards')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('referee_id', '=', d.referee_id)
    .where('trigger', '=', 'registration')
    .orderBy('id')
    .execute();
  return { decision: decisionView(d), rewards: rewards.map(rewardView), replayed: true };
}
