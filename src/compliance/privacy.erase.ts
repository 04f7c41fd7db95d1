/**
 * Erasure of a person through a data-subject request (issue #19). Each module forgets the person in
 * its own tables through the erase step of its personal-data source (platform/personal-data.ts);
 * this file runs them in order and keeps the request's record. Crash-safe: before the first step the
 * request holds its plan (the person's profile ids and their anonymous stand-in id) in `completion`
 * while `in_progress`, and after each module its counts; a request carried out again resumes with
 * the modules not done (each step is one transaction of its module, and idempotent besides). When
 * the last step is done the request is completed with the rows per module and kind, its subject
 * (and that of the person's other requests) replaced by a keyed hash, and the stand-in id dropped
 * from the record, so nothing links the kept records to the request.
 */
import type { Kysely } from 'kysely';
import { newId } from '../platform/ids.js';
import type { ErasureCounts } from '../platform/personal-data.js';
import { ComplianceError } from './errors.js';
import type { PrivacyExportDeps } from './privacy.export.js';
import { closePrivacyRequest, getPrivacyRequest, type PrivacyRequest, subjectProfile } from './privacy.service.js';
import type { ComplianceDB } from './schema.js';

/** What an erasure needs besides the export's deps: a keyed hash for the subjects it leaves behind. */
export interface PrivacyEraseDeps extends PrivacyExportDeps {
  /** A keyed one-way hash of a request's subject (the PII cipher's lookup key): equal subjects hash equal. */
  hashSubject: (subject: string) => string;
}

/** The plan an erasure in progress keeps in its request's `completion`. */
interface ErasurePlan {
  erasing: { profileIds: string[]; detachedId: string; at: string; rows: Record<string, ErasureCounts> };
}

const db = (deps: PrivacyEraseDeps) => deps.database.db as unknown as Kysely<ComplianceDB>;

/** Stores the plan and progress of an erasure on its request (moving it to in_progress); `from` is the status it must have. */
async function savePlan(deps: PrivacyEraseDeps, ws: string, id: string, plan: ErasurePlan, from: 'received' | 'in_progress'): Promise<boolean> {
  const res = await db(deps)
    .updateTable('privacy_requests')
    .set({ status: 'in_progress', completion: JSON.stringify(plan), updated_at: deps.now() })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The plan of an erasure: resumed from the request, or made now (the person resolved, claimed atomically). */
async function planOf(deps: PrivacyEraseDeps, ws: string, r: PrivacyRequest): Promise<ErasurePlan | null> {
  const saved = (r.completion as ErasurePlan | null)?.erasing;
  if (r.status === 'in_progress' && saved) return { erasing: saved };
  const live = (r.profileId && (await subjectProfile(deps, ws, r.profileId))) || (await subjectProfile(deps, ws, r.subject));
  if (!live) return null;
  const now = deps.now();
  const plan: ErasurePlan = {
    erasing: { profileIds: await deps.personProfileIds(ws, live), detachedId: newId('ers', now), at: new Date(now).toISOString(), rows: {} },
  };
  if (await savePlan(deps, ws, r.id, plan, r.status === 'received' ? 'received' : 'in_progress')) return plan;
  // Another call claimed it first: follow its plan.
  const again = await getPrivacyRequest(deps, ws, r.id);
  if (again.status !== 'in_progress' || !(again.completion as ErasurePlan | null)?.erasing)
    throw new ComplianceError('PRIVACY_REQUEST_STATE', `request ${r.id} is ${again.status}`, { status: again.status });
  return again.completion as ErasurePlan;
}

/**
 * Carries out an open erasure request: every module's erase step, then the request completed with
 * `{ erased: { at, profiles, rows: { module: { kind: n } } } }`. PRIVACY_SUBJECT_UNKNOWN when nobody
 * holds the subject (reject the request, answering that nothing is held).
 */
export async function carryOutErasure(deps: PrivacyEraseDeps, ws: string, id: string): Promise<PrivacyRequest> {
  const r = await getPrivacyRequest(deps, ws, id);
  if (r.kind !== 'erasure' || r.status === 'completed' || r.status === 'rejected')
    throw new ComplianceError('PRIVACY_REQUEST_STATE', `request ${id} is ${r.status === 'completed' || r.status === 'rejected' ? r.status : `an ${r.kind}`}`, {
      status: r.status,
    });
  const plan = await planOf(deps, ws, r);
  if (!plan) throw new ComplianceError('PRIVACY_SUBJECT_UNKNOWN', `nobody in this workspace is known by ${r.subject}: there is nothing to erase`);
  const { erasing } = plan;
  const target = { profileIds: erasing.profileIds, detachedId: erasing.detachedId, at: Date.parse(erasing.at) };
  const order = [...deps.sources.filter((s) => !s.eraseLast), ...deps.sources.filter((s) => s.eraseLast)];
  for (const source of order) {
    if (erasing.rows[source.module]) continue;
    erasing.rows[source.module] = await source.erase(ws, target);
    await savePlan(deps, ws, id, plan, 'in_progress');
  }
  // The person's requests keep no subject in clear: a keyed hash (equal subjects still match).
  const hashed = `hash:${deps.hashSubject(r.subject)}`;
  const others = await db(deps)
    .selectFrom('privacy_requests')
    .select(['id', 'subject'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', erasing.profileIds)
    .where('id', '<>', id)
    .execute();
  for (const o of others.filter((x) => !x.subject.startsWith('hash:')))
    await db(deps)
      .updateTable('privacy_requests')
      .set({ subject: `hash:${deps.hashSubject(o.subject)}` })
      .where('workspace_id', '=', ws)
      .where('id', '=', o.id)
      .execute();
  return closePrivacyRequest(deps, ws, id, {
    status: 'completed',
    subject: hashed,
    completion: { erased: { at: erasing.at, profiles: erasing.profileIds.length, rows: erasing.rows } },
  });
}
