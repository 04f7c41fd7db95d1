import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWorkspace } from '../platform/workspaces.js';
import { describeEngines, openTestDatabase } from '../../test/support/engines.js';
import {
  activeSegmentIds,
  isSegmentListened,
  markSegmentListened,
  profileScores,
  segmentAudience,
  segmentEntriesSince,
  segmentExitsSince,
  segmentMemberPage,
  segmentMembersFrom,
  segmentStatus,
} from './index.js';

/** The functions other modules read and write the segments tables through, on both engines. */
describeEngines('segments published functions', (engine) => {
  let d: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    d = await openTestDatabase(engine);
  });
  afterAll(async () => d?.close());

  const T = Date.parse('2026-05-01T00:00:00Z');

  async function workspace(): Promise<string> {
    return (await createWorkspace(d.db, { name: 'published' })).workspace.id;
  }
  async function segment(ws: string, id: string, status: 'active' | 'archived' = 'active', listened = 0) {
    await d.db
      .insertInto('segments')
      .values({
        workspace_id: ws,
        id,
        name: id,
        description: '',
        kind: 'static',
        rule: null,
        version: 1,
        time_dependent: 0,
        status,
        member_count: 0,
        recompute_version: null,
        recompute_cursor: null,
        recompute_started_at: null,
        evaluated_at: null,
        entries_listened: listened,
        created_at: T,
        updated_at: T,
      })
      .execute();
  }
  async function profile(ws: string, id: string, mergedInto: string | null = null) {
    await d.db
      .insertInto('profiles')
      .values({
        workspace_id: ws,
        id,
        merged_into: mergedInto,
        traits: '{}',
        trait_times: '{}',
        consent: '{}',
        first_seen_at: null,
        last_seen_at: null,
        order_count: 0,
        total_spent_fen: 0,
        first_purchase_at: null,
        last_purchase_at: null,
        created_at: T,
        updated_at: T,
      })
      .execute();
  }
  async function member(ws: string, segmentId: string, profileId: string, enteredAt = T, listened = 1) {
    await d.db
      .insertInto('segment_members')
      .values({ workspace_id: ws, segment_id: segmentId, profile_id: profileId, version: 1, entered_at: enteredAt, listened })
      .execute();
  }
  async function departed(
    ws: string,
    segmentId: string,
    profileId: string,
    enteredAt: number,
    exitedAt: number,
    reason: 'rule' | 'merged' | 'manual' | 'archived',
  ) {
    await d.db
      .insertInto('segment_member_history')
      .values({
        workspace_id: ws,
        segment_id: segmentId,
        profile_id: profileId,
        entered_at: enteredAt,
        exited_at: exitedAt,
        version: 1,
        exit_version: 1,
        reason,
      })
      .execute();
  }

  it("segmentStatus and activeSegmentIds read a segment's status in its workspace only", async () => {
    const ws = await workspace();
    const other = await workspace();
    await segment(ws, 'seg_a');
    await segment(ws, 'seg_b', 'archived');
    await segment(other, 'seg_c');
    expect(await segmentStatus(d.db, ws, 'seg_a')).toBe('active');
    expect(await segmentStatus(d.db, ws, 'seg_b')).toBe('archived');
    expect(await segmentStatus(d.db, ws, 'seg_c')).toBeUndefined();
    expect(await segmentStatus(d.db, ws, 'seg_nope')).toBeUndefined();
    expect([...(await activeSegmentIds(d.db, ws, ['seg_a', 'seg_b', 'seg_c', 'seg_nope']))]).toEqual(['seg_a']);
  });

  it('markSegmentListened sets the mark once (also inside a transaction); isSegmentListened reads it', async () => {
    const ws = await workspace();
    await segment(ws, 'seg_l');
    expect(await isSegmentListened(d.db, ws, 'seg_l')).toBe(false);
    await d.db.transaction().execute(async (trx) => {
      await markSegmentListened(trx, ws, 'seg_l');
      expect(await isSegmentListened(trx, ws, 'seg_l')).toBe(true);
    });
    await markSegmentListened(d.db, ws, 'seg_l');
    expect(await isSegmentListened(d.db, ws, 'seg_l')).toBe(true);
    expect(await isSegmentListened(d.db, ws, 'seg_nope')).toBe(false);
    await markSegmentListened(d.db, ws, 'seg_nope'); // nothing to mark, no error
  });

  it('segmentMemberPage pages the members in id order', async () => {
    const ws = await workspace();
    await segment(ws, 'seg_p');
    for (const id of ['prf_3', 'prf_1', 'prf_2', 'prf_5', 'prf_4']) await member(ws, 'seg_p', id);
    expect(await segmentMemberPage(d.db, ws, 'seg_p', '', 2)).toEqual(['prf_1', 'prf_2']);
    expect(await segmentMemberPage(d.db, ws, 'seg_p', 'prf_2', 2)).toEqual(['prf_3', 'prf_4']);
    expect(await segmentMemberPage(d.db, ws, 'seg_p', 'prf_4', 2)).toEqual(['prf_5']);
  });

  it('segmentEntriesSince: current entries of a listened segment after the cursor, then departures that entered after it (not merges)', async () => {
    const ws = await workspace();
    await segment(ws, 'seg_e', 'active', 1);
    await member(ws, 'seg_e', 'prf_old', T - 10);
    await member(ws, 'seg_e', 'prf_new', T + 10);
    await member(ws, 'seg_e', 'prf_unlisted', T + 20, 0); // written before the mark: not in the entry-time index
    await departed(ws, 'seg_e', 'prf_gone', T + 5, T + 30, 'rule');
    await departed(ws, 'seg_e', 'prf_merged', T + 5, T + 30, 'merged');
    await departed(ws, 'seg_e', 'prf_before', T - 5, T + 30, 'rule');
    expect(await segmentEntriesSince(d.db, ws, 'seg_e', T)).toEqual([
      { profileId: 'prf_new', enteredAt: T + 10 },
      { profileId: 'prf_gone', enteredAt: T + 5 },
    ]);
    if (engine === 'sqlite') {
      // The current entries are read through the partial entry-time index.
      const plan = await sql<{ detail: string }>`explain query plan select profile_id, entered_at from segment_members
        where workspace_id = ${ws} and segment_id = ${'seg_e'} and entered_at > ${T} and listened = 1`.execute(d.db);
      expect(plan.rows.map((r) => r.detail).join(' ')).toContain('segment_members_entered');
    }
  });

  it('segmentExitsSince: departures after the cursor, merges left out', async () => {
    const ws = await workspace();
    await segment(ws, 'seg_x');
    await departed(ws, 'seg_x', 'prf_a', T - 100, T + 10, 'rule');
    await departed(ws, 'seg_x', 'prf_b', T - 100, T + 20, 'archived');
    await departed(ws, 'seg_x', 'prf_c', T - 100, T + 30, 'merged');
    await departed(ws, 'seg_x', 'prf_d', T - 100, T - 1, 'rule');
    const exits = await segmentExitsSince(d.db, ws, 'seg_x', T);
    expect(exits.sort((a, b) => a.exitedAt - b.exitedAt)).toEqual([
      { profileId: 'prf_a', exitedAt: T + 10 },
      { profileId: 'prf_b', exitedAt: T + 20 },
    ]);
  });

  it('segmentAudience: live members only, the exclusion as a flag or a filter, pageable and countable', async () => {
    const ws = await workspace();
    await segment(ws, 'seg_aud');
    await segment(ws, 'seg_excl');
    for (const id of ['prf_1', 'prf_2', 'prf_3', 'prf_4']) await profile(ws, id);
    await profile(ws, 'prf_m', 'prf_1');
    for (const id of ['prf_1', 'prf_2', 'prf_3', 'prf_4', 'prf_m']) await member(ws, 'seg_aud', id);
    await member(ws, 'seg_excl', 'prf_2');

    const plain = segmentAudience(d.db, ws, 'seg_aud', null);
    expect(plain.excluded).toBeUndefined();
    expect((await plain.q.select('m.profile_id').orderBy('m.profile_id').execute()).map((r) => r.profile_id)).toEqual(['prf_1', 'prf_2', 'prf_3', 'prf_4']);

    const { q, excluded } = segmentAudience(d.db, ws, 'seg_aud', 'seg_excl');
    const rows = await q
      .select('m.profile_id')
      .select((eb) => excluded!(eb).as('excluded'))
      .where('m.profile_id', '>', 'prf_1')
      .orderBy('m.profile_id')
      .limit(2)
      .execute();
    // PostgreSQL gives booleans, SQLite 0/1.
    expect(rows.map((r) => [r.profile_id, r.excluded === true || r.excluded === 1])).toEqual([
      ['prf_2', true],
      ['prf_3', false],
    ]);
    const count = await q
      .where((eb) => eb.not(excluded!(eb)))
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(3);
  });

  it('segmentMembersFrom starts a query the caller joins its own tables to', async () => {
    const ws = await workspace();
    await segment(ws, 'seg_j');
    await profile(ws, 'prf_j1');
    await profile(ws, 'prf_j2', 'prf_j1');
    await member(ws, 'seg_j', 'prf_j1');
    await member(ws, 'seg_j', 'prf_j2');
    await member(ws, 'seg_j', 'prf_nobody');
    const rows = await segmentMembersFrom(d.db, ws, 'seg_j')
      .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'sm.workspace_id').onRef('p.id', '=', 'sm.profile_id'))
      .select(['sm.profile_id', 'p.merged_into'])
      .where('p.merged_into', 'is', null)
      .execute();
    expect(rows).toEqual([{ profile_id: 'prf_j1', merged_into: null }]);
  });

  it('profileScores reads the RFM cell and lifecycle stage of the given profiles', async () => {
    const ws = await workspace();
    await d.db
      .insertInto('profile_scores')
      .values([
        { workspace_id: ws, profile_id: 'prf_s1', r: 5, f: 5, m: 5, rfm_cell: 'important_value', rfm_at: T, lifecycle_stage: 'loyal', lifecycle_at: T },
        { workspace_id: ws, profile_id: 'prf_s2', lifecycle_stage: 'new', lifecycle_at: T },
      ])
      .execute();
    const scores = await profileScores(d.db, ws, ['prf_s1', 'prf_s2', 'prf_none']);
    expect(scores.sort((a, b) => a.profileId.localeCompare(b.profileId))).toEqual([
      { profileId: 'prf_s1', rfmCell: 'important_value', lifecycleStage: 'loyal' },
      { profileId: 'prf_s2', rfmCell: null, lifecycleStage: 'new' },
    ]);
    expect(await profileScores(d.db, ws, [])).toEqual([]);
  });
});
