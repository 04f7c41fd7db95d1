import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/database.js';
import { describeEngines, openTestDatabase } from '../../../test/support/engines.js';
import { COMMUNITY_EVENTS, communityRole, computeModels, defaultSegmentationSettings, topRank } from './index.js';
import { daysAgo, insertEvents, insertProfiles, NOW, scoresOf, workspace } from './test-fixtures.js';
import { WECOM_PROPS as P } from '../../platform/event-names.js';

// Events in the shape scrm records them (the end-to-end test from WeCom callbacks and an archive
// import is src/scrm/community-roles.test.ts).
const { joined, left } = COMMUNITY_EVENTS;
type Kind = 'message' | 'reply' | 'invite';
const [message, reply, invite]: Kind[] = ['message', 'reply', 'invite'];
const propsOf = (kind: Kind, group: unknown, i: number): Record<string, unknown> =>
  kind === 'invite'
    ? { [P.chatId]: group, [P.invitee]: `wm_invitee_${i}` }
    : kind === 'reply'
      ? { [P.roomId]: group, [P.replyTo]: `msg_${i}` }
      : { [P.roomId]: group };
// The 30-day window of NOW (2026-11-01 12:00 Asia/Shanghai) starts at 2026-10-02 00:00 local.
const WINDOW_START = Date.parse('2026-10-01T16:00:00Z');

type Ev = { profileId: string; event: string; at: number; properties?: Record<string, unknown> };
const times = (n: number, profileId: string, kind: Kind, at = daysAgo(1), group: unknown = 'g1'): Ev[] =>
  Array.from({ length: n }, (_, i) => ({
    profileId,
    event: kind === 'invite' ? COMMUNITY_EVENTS.invite : COMMUNITY_EVENTS.message,
    at: at + i,
    properties: propsOf(kind, group, i),
  }));
const join = (profileId: string, at = daysAgo(100), group: unknown = 'g1'): Ev => ({ profileId, event: joined, at, properties: { [P.chatId]: group } });
const leave = (profileId: string, at: number, group: unknown = 'g1'): Ev => ({ profileId, event: left, at, properties: { [P.chatId]: group } });

/**
 * Members and their activity in the window (score = messages + 3 × replies + 10 × invites; a
 * reply is a group message too):
 *   koc_invite 80 m (2 of them r) + 2 i = 106 | top_a 150 m = 150 | top_b 60 m (30 r) = 150
 *   steady 120 m = 120 | five_msgs 5 m = 5 | four_msgs 4 m, all r = 16 | one_invite 3 m + 1 i = 13
 *   quiet 0 (its 1:1 messages and one with an empty roomid are not group messages)
 *   rejoined 1 m = 1 | two_groups 2 m = 2 | edge_in 5 m at the window's first instant = 5
 *   edge_out 5 m one ms before it = 0 | future 5 m after now = 0
 * Not members: gone (left), tie (joined and left at the same ms), never (no join), no_group (join without group_id).
 */
function dataset(): Ev[] {
  const p = (s: string) => `prf_${s}`;
  const members = ['koc_invite', 'top_a', 'top_b', 'steady', 'five_msgs', 'four_msgs', 'one_invite', 'quiet', 'edge_in', 'edge_out', 'future'];
  return [
    ...members.map((m) => join(p(m))),
    ...times(78, p('koc_invite'), message),
    ...times(2, p('koc_invite'), reply),
    ...times(2, p('koc_invite'), invite),
    ...times(150, p('top_a'), message),
    ...times(30, p('top_b'), message),
    ...times(30, p('top_b'), reply),
    ...times(120, p('steady'), message),
    ...times(5, p('five_msgs'), message),
    ...times(4, p('four_msgs'), reply),
    ...Array.from({ length: 20 }, (_, i) => ({ profileId: p('quiet'), event: COMMUNITY_EVENTS.message, at: daysAgo(2) + i, properties: { [P.replyTo]: 'x' } })),
    { profileId: p('quiet'), event: COMMUNITY_EVENTS.message, at: daysAgo(2), properties: { [P.roomId]: '' } },
    ...times(3, p('one_invite'), message),
    ...times(1, p('one_invite'), invite),
    ...times(5, p('edge_in'), message, WINDOW_START),
    ...times(5, p('edge_out'), message, WINDOW_START - 5),
    ...times(5, p('future'), message, NOW + 1),
    // Left, joined again: a member.
    join(p('rejoined'), daysAgo(90)),
    leave(p('rejoined'), daysAgo(80)),
    join(p('rejoined'), daysAgo(70)),
    ...times(1, p('rejoined'), message),
    // Left one of two groups (group ids may be numbers): still a member.
    join(p('two_groups'), daysAgo(90)),
    join(p('two_groups'), daysAgo(90), 42),
    leave(p('two_groups'), daysAgo(5)),
    ...times(2, p('two_groups'), message),
    // Left its only group: active before, no role now.
    join(p('gone'), daysAgo(90)),
    ...times(50, p('gone'), message),
    leave(p('gone'), daysAgo(0)),
    // Joined and left at the same millisecond: leaving wins.
    join(p('tie'), daysAgo(3)),
    leave(p('tie'), daysAgo(3)),
    ...times(200, p('never'), message),
    ...times(3, p('never'), invite),
    { profileId: p('no_group'), event: joined, at: daysAgo(10), properties: {} },
    // The old generic names count for nothing.
    { profileId: p('never'), event: 'Group Joined', at: daysAgo(10), properties: { group_id: 'g1' } },
  ];
}

const ALL = [
  'koc_invite',
  'top_a',
  'top_b',
  'steady',
  'five_msgs',
  'four_msgs',
  'one_invite',
  'quiet',
  'rejoined',
  'two_groups',
  'edge_in',
  'edge_out',
  'future',
  'gone',
  'tie',
  'never',
  'no_group',
];

describe('community roles', () => {
  const s = defaultSegmentationSettings().community;
  it('scores and ranks', () => {
    expect(communityRole({ messages: 0, replies: 0, invites: 10 }, null, s)).toBe('koc'); // 100 with invites
    expect(communityRole({ messages: 99, replies: 0, invites: 0 }, 99, s)).toBe('koc'); // top percent, no invite needed
    expect(communityRole({ messages: 99, replies: 0, invites: 0 }, 100, s)).toBe('active');
    expect(communityRole({ messages: 4, replies: 0, invites: 0 }, null, s)).toBe('lurker');
    expect(communityRole({ messages: 0, replies: 0, invites: 0 }, 0, s)).toBe('lurker'); // a score of 0 is never top
    expect([topRank(5, 10), topRank(5, 20), topRank(5, 21), topRank(0, 100), topRank(5, 0), topRank(0.01, 10000), topRank(33.33, 3)]).toEqual([
      1, 1, 2, 0, 0, 1, 1,
    ]);
  });
});

describeEngines('community', (engine) => {
  let d: Database;
  beforeAll(async () => {
    d = await openTestDatabase(engine);
  });
  afterAll(async () => d?.close());

  const seed = async (ws: string) => {
    await insertProfiles(
      d,
      ws,
      ALL.map((id) => ({ id: `prf_${id}`, lastSeenAt: daysAgo(1) })),
    );
    await insertEvents(d, ws, dataset());
  };
  const run = async (ws: string) => (await computeModels(d.db, d.dialect, ws, NOW, { models: ['community'], chunkSize: 5 })).community!;
  const rolesOf = async (ws: string) =>
    Object.fromEntries(
      [...(await scoresOf(d.db, ws)).values()]
        .filter((s) => s.community_role !== null)
        .map((s) => [s.profile_id.slice(4), [s.community_role, s.community_score]]),
    );

  it('gives members koc/active/lurker from the window, and non-members nothing', async () => {
    const ws = await workspace(d.db);
    await seed(ws);
    const res = await run(ws);
    expect(res).toMatchObject({
      members: 13,
      scoredMembers: 10,
      kocCutoff: 150,
      roles: { koc: 3, active: 3, lurker: 7 },
      windowFrom: new Date(WINDOW_START).toISOString(),
    });
    expect(await rolesOf(ws)).toEqual({
      koc_invite: ['koc', 106],
      top_a: ['koc', 150],
      top_b: ['koc', 150],
      steady: ['active', 120],
      five_msgs: ['active', 5],
      four_msgs: ['lurker', 16],
      one_invite: ['lurker', 13],
      quiet: ['lurker', 0],
      rejoined: ['lurker', 1],
      two_groups: ['lurker', 2],
      edge_in: ['active', 5],
      edge_out: ['lurker', 0],
      future: ['lurker', 0],
    });
    const at = [...(await scoresOf(d.db, ws)).values()].filter((s) => s.community_role).map((s) => Number(s.community_at));
    expect(new Set(at)).toEqual(new Set([NOW]));
  });

  it('follows the workspace settings: top percent, minimum score and messages', async () => {
    const ws = await workspace(d.db, { segmentation: { community: { kocTopPercent: 30, kocMinScore: 13, activeMinMessages: 4 } } });
    await seed(ws);
    // 30% of 10 scored members: rank 3 of 150, 150, 120, 106, ... -> cut-off 120.
    expect(await run(ws)).toMatchObject({ kocCutoff: 120, roles: { koc: 5, active: 3, lurker: 5 } });
    const roles = await rolesOf(ws);
    expect(Object.fromEntries(Object.entries(roles).map(([k, v]) => [k, v[0]]))).toEqual({
      koc_invite: 'koc',
      top_a: 'koc',
      top_b: 'koc',
      steady: 'koc',
      one_invite: 'koc', // 13 with an invite
      five_msgs: 'active',
      four_msgs: 'active',
      edge_in: 'active',
      quiet: 'lurker',
      rejoined: 'lurker',
      two_groups: 'lurker',
      edge_out: 'lurker',
      future: 'lurker',
    });
  });

  it('turns the top-percent rule off with kocTopPercent 0', async () => {
    const ws = await workspace(d.db, { segmentation: { community: { kocTopPercent: 0 } } });
    await seed(ws);
    expect(await run(ws)).toMatchObject({ scoredMembers: 10, kocCutoff: null, roles: { koc: 1, active: 5, lurker: 7 } });
    const roles = await rolesOf(ws);
    expect(roles.koc_invite).toEqual(['koc', 106]);
    expect(roles.top_a).toEqual(['active', 150]);
    // Active counts group messages, replies among them; invites do not count: 1 invite and 3 messages is a lurker.
    expect(roles.top_b).toEqual(['active', 150]);
    expect(roles.one_invite).toEqual(['lurker', 13]);
  });

  it('clears the role of a member who left or was merged away', async () => {
    const ws = await workspace(d.db);
    await seed(ws);
    await run(ws);
    await insertEvents(d, ws, [leave('prf_two_groups', daysAgo(1), 42)]);
    await d.db.updateTable('profiles').set({ merged_into: 'prf_top_a' }).where('workspace_id', '=', ws).where('id', '=', 'prf_quiet').execute();
    expect(await run(ws)).toMatchObject({ members: 11, cleared: 2 });
    const scores = await scoresOf(d.db, ws);
    for (const id of ['prf_two_groups', 'prf_quiet']) {
      const s = scores.get(id)!;
      expect([s.community_role, s.community_score, s.community_at]).toEqual([null, null, null]);
    }
  });
});
