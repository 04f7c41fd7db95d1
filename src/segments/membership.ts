/**
 * Live segment membership. Two paths write `segment_members`, both in chunk transactions that
 * also move departures to `segment_member_history` (the timeline's "Segment Entered/Exited" come
 * from these two tables, see history.ts) and update the member count, so a crash leaves every
 * chunk either fully applied or not at all:
 *
 * - **Incremental**: the change feed over `profiles.updated_at` (feed.ts).
 * - **Full recompute** of one segment (recompute.ts): in place, range by range of profile ids
 *   (recompute-in-place.ts), or by one whole-workspace scan for rules that read events
 *   (recompute-scan.ts).
 *
 * Concurrency: each chunk transaction first locks what it writes (locks.ts) and only then reads
 * current members, so two processes never record the same entry twice.
 *
 * Deprecated shim: nothing in segments imports it (its files import the real ones). It stays only
 * for the tests of other modules that still import it directly (broadcasts); they are to import
 * index.ts, and then this file goes.
 * @deprecated Import from `src/segments/index.ts`.
 */
export { SEGMENT_ENTERED, SEGMENT_EXITED } from './history.js';
export { type LiveSegment, type MembershipChange, type MembershipDeps, membershipDeps, membershipOf } from './membership.deps.js';
export { dependencyLevels, dependentsOf, loadLiveSegments } from './live-segments.js';
export { type LockedSegment, listenedFlag, lockSegments, markListened } from './locks.js';
export { evaluateProfiles, propagate } from './evaluate.js';
export { ensureFeed, type FeedOptions, processFeed, rewindFeed } from './feed.js';
export type { RecomputeOptions, RecomputeProgress } from './recompute-common.js';
export { pendingRecomputes, recomputeSegment, requestModelSegmentRecomputes, requestRecompute } from './recompute.js';
