/**
 * The durable executor. A journey state row is the whole truth about one (journey, subject,
 * entry): current step, `wake_at`, attempt. A pass claims due rows in a small batch (`FOR
 * UPDATE SKIP LOCKED` on PostgreSQL, so several processes share the work without overlap; SQLite
 * has one writer), advances each as far as it can go without waiting, and writes everything —
 * the new state, the step log, A/B assignments, and outbox rows for sends — in the one
 * transaction that holds the claim. A crash anywhere rolls the batch back and the rows are
 * claimed again: a retry, never a duplicate (each outbox row also carries a unique idempotency
 * key `journey:<state id>:<step id>:<step number>`).
 */
import { createHash } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { addTagsToProfile } from '../cdp/index.js';
import { lockProfileFollowingMerges, rowToState, writeTraits } from '../cdp/profiles.repo.js';
import { removeTagFromProfile, resolveTagRef } from '../cdp/tags.service.js';
import { enqueueMessage, type EnqueueInput } from '../messaging/index.js';
import { parseJson } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { compileRule } from '../segments/compile.js';
import { localDate } from '../platform/time.js';
import type { PropertyFilter } from '../segments/rule.types.js';
import { type Definition, durationMs, type Step, stepById } from './definition.js';
import { jdb, type JDB, type JourneyDeps } from './deps.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import type { JourneyStatesTable } from './schema.js';
import { anniversaryIn, localTimeOn, matchesFilters, nextLocalTime, profileTimeZone, traitDate } from './timing.js';
import {} from '../platform/time.js';

type StateRow = Selectable<JourneyStatesTable>;
const DAY = 86_400_000;
/** Steps one state may take in one pass (a definition cannot loop without a wait; this is a backstop). */
const MAX_STEPS_PER_PASS = 100;
/** The columns an executor pass changes. */
const STATE_COLUMNS = ['step_id', 'status', 'wake_at', 'timer_at', 'step_at', 'listen', 'attempt', 'steps_taken', 'end_reason', 'ended_at', 'updated_at'];
/** Failed attempts at one step before the state is marked failed. */
const MAX_ATTEMPTS = 5;

/** Counts of one executor pass. */
export interface PassStats {
  claimed: number;
  steps: number;
  sends: number;
}

interface Work {
  row: StateRow;
  def: Definition;
  traits: Record<string, unknown>;
  tz: string;
  /** Parked (waiting) or finished in this pass. */
  settled: boolean;
  /** Matching events of the subject (goal and wait-for-event checks), oldest first. */
  events: { event: string; timestamp: number; properties: unknown }[];
}

interface Writes {
  log: Record<string, unknown>[];
  assignments: Record<string, unknown>[];
  sends: number;
}

/** The executor of one process: `runOnce` claims and advances one batch. */
export interface Executor {
  runOnce(opts?: { batchSize?: number }): Promise<PassStats>;
  /** The earliest `wake_at` of an active state (when the next pass has work), or undefined. */
  nextWake(): Promise<number | undefined>;
}

/** Creates an executor; definitions (immutable per version) are cached for its lifetime. */
export function createExecutor(deps: JourneyDeps): Executor {
  const { database } = deps;
  const cache = new Map<string, Definition>();

  async function definitionOf(db: Kysely<JDB>, ws: string, journeyId: string, version: number): Promise<Definition> {
    const key = `${ws}\u0000${journeyId}\u0000${version}`;
    let def = cache.get(key);
    if (!def) {
      const row = await db
        .selectFrom('journey_versions')
        .select('definition')
        .where('workspace_id', '=', ws)
        .where('journey_id', '=', journeyId)
        .where('version', '=', version)
        .executeTakeFirstOrThrow();
      def = parseJson<Definition>(row.definition);
      cache.set(key, def);
    }
    return def;
  }

  async function claim(trx: Kysely<JDB>, now: number, limit: number, ids?: string[]): Promise<StateRow[]> {
    let q = trx.selectFrom('journey_states').selectAll().where('status', '=', 'active').where('wake_at', '<=', now);
    if (ids) q = q.where('id', 'in', ids);
    q = q.orderBy('wake_at').limit(limit);
    q = database.dialect.claim(q);
    return q.execute();
  }

  async function process(trx: Kysely<JDB>, rows: StateRow[], now: number): Promise<PassStats> {
    const writes: Writes = { log: [], assignments: [], sends: 0 };
    const works: Work[] = [];
    // Journey status: an archived journey's states stop where they are.
    const journeys = new Map<string, string>();
    for (const r of rows) {
      const k = `${r.workspace_id}\u0000${r.journey_id}`;
      if (!journeys.has(k)) {
        const j = await trx
          .selectFrom('journeys')
          .select('status')
          .where('workspace_id', '=', r.workspace_id)
          .where('id', '=', r.journey_id)
          .executeTakeFirst();
        journeys.set(k, j?.status ?? 'archived');
      }
    }
    const byWs = new Map<string, StateRow[]>();
    for (const r of rows) byWs.set(r.workspace_id, [...(byWs.get(r.workspace_id) ?? []), r]);
    for (const [ws, list] of byWs) {
      const wsZone = await workspaceTimeZone(trx, ws, deps.defaultTimeZone);
      const ids = [...new Set(list.filter((r) => r.subject_kind === 'profile').map((r) => r.subject_id))];
      const traits = new Map<string, Record<string, unknown>>();
      if (ids.length) {
        const ps = await trx.selectFrom('profiles').select(['id', 'traits']).where('workspace_id', '=', ws).where('id', 'in', ids).execute();
        for (const p of ps) traits.set(p.id, parseJson(p.traits));
      }
      for (const r of list) {
        const t = traits.get(r.subject_id) ?? {};
        works.push({
          row: { ...r },
          def: await definitionOf(trx, ws, r.journey_id, r.version),
          traits: t,
          tz: profileTimeZone(t, wsZone),
          settled: false,
          events: [],
        });
      }
    }
    for (const w of works) {
      if (journeys.get(`${w.row.workspace_id}\u0000${w.row.journey_id}`) === 'archived') finish(w, 'exited', 'archived', now);
    }
    await loadEvents(
      trx,
      works.filter((w) => !w.settled),
      now,
    );
    for (const w of works) {
      if (w.settled) continue;
      const g = w.def.goal;
      if (g && converted(w, g.event, g.where, w.row.entered_at, w.row.entered_at + g.withinDays * DAY)) {
        log(w, writes, 'converted', now);
        finish(w, 'converted', 'goal', now);
      }
    }
    // Rounds: every unsettled state takes one step per round; branch steps are evaluated for all
    // states at the same branch in one query per rule.
    for (let round = 0; round < MAX_STEPS_PER_PASS && works.some((w) => !w.settled); round++) {
      const branchGroups = new Map<string, Work[]>();
      for (const w of works) {
        if (w.settled) continue;
        const step = stepById(w.def, w.row.step_id ?? '');
        if (!step) {
          finish(w, 'failed', `step "${w.row.step_id}" is not in version ${w.row.version}`, now);
          continue;
        }
        if (step.type === 'branch') {
          const k = `${w.row.workspace_id}\u0000${w.row.journey_id}\u0000${w.row.version}\u0000${step.id}`;
          branchGroups.set(k, [...(branchGroups.get(k) ?? []), w]);
          continue;
        }
        await stepOne(trx, w, step, writes, now);
      }
      for (const group of branchGroups.values()) await branch(trx, group, writes, now);
    }
    for (const w of works) if (!w.settled) park(w, now, null); // backstop: continue next pass
    // One statement for the whole batch (an upsert on the primary key of rows that exist and are
    // locked by this transaction): per-row UPDATEs cost ~0.3 ms each in query building alone.
    const stateRows = works.map((w) => ({
      ...w.row,
      context: typeof w.row.context === 'string' ? w.row.context : JSON.stringify(w.row.context),
      updated_at: now,
    }));
    await database.dialect.insertMany(trx as any, 'journey_states' as any, stateRows, { columns: ['workspace_id', 'id'], update: STATE_COLUMNS });
    if (writes.log.length) await database.dialect.insertMany(trx as any, 'journey_step_log' as any, writes.log);
    if (writes.assignments.length)
      await database.dialect.insertMany(trx as any, 'journey_assignments' as any, writes.assignments, {
        columns: ['workspace_id', 'state_id', 'step_id'],
        update: [],
      });
    return { claimed: rows.length, steps: writes.log.length, sends: writes.sends };
  }

  /** Loads each subject's events that a goal or a woken wait-for-event step may be waiting for. */
  async function loadEvents(trx: Kysely<JDB>, works: Work[], now: number): Promise<void> {
    const byWs = new Map<string, { ids: Set<string>; names: Set<string>; since: number; works: Work[] }>();
    for (const w of works) {
      if (w.row.subject_kind !== 'profile') continue;
      const names: [string, number][] = [];
      const g = w.def.goal;
      if (g && now < w.row.entered_at + g.withinDays * DAY + DAY) names.push([g.event, w.row.entered_at]);
      const step = stepById(w.def, w.row.step_id ?? '');
      if (step && (step.type === 'wait_for_event' || step.type === 'goal') && w.row.timer_at !== null) names.push([step.event, w.row.step_at]);
      if (!names.length) continue;
      let e = byWs.get(w.row.workspace_id);
      if (!e) byWs.set(w.row.workspace_id, (e = { ids: new Set(), names: new Set(), since: Infinity, works: [] }));
      e.ids.add(w.row.subject_id);
      for (const [n, since] of names) {
        e.names.add(n);
        e.since = Math.min(e.since, since);
      }
      e.works.push(w);
    }
    for (const [ws, e] of byWs) {
      const rows = await trx
        .selectFrom('events')
        .select(['profile_id', 'event', 'timestamp', 'payload'])
        .where('workspace_id', '=', ws)
        .where('profile_id', 'in', [...e.ids])
        .where('event', 'in', [...e.names])
        .where('timestamp', '>=', e.since)
        .orderBy('timestamp')
        .execute();
      const bySubject = new Map<string, Work['events']>();
      for (const r of rows) {
        const props = parseJson<{ properties?: unknown }>(r.payload).properties;
        bySubject.set(r.profile_id, [...(bySubject.get(r.profile_id) ?? []), { event: r.event ?? '', timestamp: r.timestamp, properties: props }]);
      }
      for (const w of e.works) w.events = bySubject.get(w.row.subject_id) ?? [];
    }
  }

  function converted(w: Work, event: string, where: PropertyFilter[] | undefined, from: number, to: number): boolean {
    return w.events.some((e) => e.event === event && e.timestamp >= from && e.timestamp <= to && matchesFilters(e.properties, where));
  }

  function log(w: Work, writes: Writes, outcome: string, now: number): void {
    w.row.steps_taken += 1;
    writes.log.push({
      workspace_id: w.row.workspace_id,
      state_id: w.row.id,
      seq: w.row.steps_taken,
      journey_id: w.row.journey_id,
      step_id: w.row.step_id ?? '-',
      outcome: outcome.slice(0, 200),
      at: now,
    });
  }

  /** The event names that should wake the state early while it waits (its goal, and `extra`). */
  function listenFor(w: Work, now: number, extra?: string): string | null {
    const names = new Set<string>();
    const g = w.def.goal;
    if (g && now < w.row.entered_at + g.withinDays * DAY) names.add(g.event);
    if (extra) names.add(extra);
    return names.size ? `|${[...names].join('|')}|` : null;
  }

  function finish(w: Work, status: string, reason: string, now: number): void {
    Object.assign(w.row, { status, end_reason: reason.slice(0, 500), ended_at: now, wake_at: null, timer_at: null, listen: null });
    w.settled = true;
  }

  function park(w: Work, timer: number | null, listen: string | null): void {
    w.row.timer_at = timer;
    w.row.wake_at = timer;
    w.row.listen = listen;
    w.settled = true;
  }

  /** Records the step's outcome and moves to `to` (the journey completes when there is none). */
  function go(w: Work, writes: Writes, to: string | undefined, outcome: string, now: number): void {
    log(w, writes, outcome, now);
    if (to === undefined) {
      finish(w, 'completed', 'end', now);
      return;
    }
    Object.assign(w.row, { step_id: to, step_at: now, timer_at: null, wake_at: now, attempt: 0, listen: null });
  }

  function messageKey(w: Work, step: Step): string {
    return `journey:${w.row.id}:${step.id}:${w.row.steps_taken + 1}`;
  }

  async function stepOne(trx: Kysely<JDB>, w: Work, step: Step, writes: Writes, now: number): Promise<void> {
    const r = w.row;
    const ws = r.workspace_id;
    const profileId = r.subject_kind === 'profile' ? r.subject_id : undefined;
    switch (step.type) {
      case 'wait': {
        if (r.timer_at === null) {
          const until = waitEnd(w, step, now);
          if (until === undefined) return go(w, writes, step.next, 'skipped: no date', now);
          if (until > now) return park(w, until, listenFor(w, now));
          return go(w, writes, step.next, 'waited', now);
        }
        if (now >= r.timer_at) return go(w, writes, step.next, 'waited', now);
        return park(w, r.timer_at, listenFor(w, now));
      }
      case 'wait_for_event':
      case 'goal': {
        const window = step.type === 'goal' ? step.withinDays * DAY : durationMs(step.timeout);
        if (r.timer_at === null) return park(w, now + window, listenFor(w, now, step.event));
        if (converted(w, step.event, step.where, r.step_at, r.timer_at)) {
          if (step.type === 'goal') {
            log(w, writes, 'converted', now);
            return finish(w, 'converted', 'goal', now);
          }
          return go(w, writes, step.next, 'event', now);
        }
        if (now >= r.timer_at) return go(w, writes, step.type === 'goal' ? step.next : step.timeoutNext, 'timeout', now);
        return park(w, r.timer_at, listenFor(w, now, step.event));
      }
      case 'split': {
        const salt = step.salt ?? `${r.journey_id}:${step.id}`;
        const bucket = parseInt(createHash('md5').update(`${salt}:${r.subject_id}`).digest('hex').slice(0, 8), 16) % 10_000;
        const hold = (step.holdoutPercent ?? 0) * 100;
        let key = 'holdout';
        let next: string | undefined;
        if (bucket >= hold) {
          const total = step.variants.reduce((a, v) => a + v.weight, 0);
          let pos = ((bucket - hold) / (10_000 - hold)) * total;
          for (const v of step.variants) {
            if (pos < v.weight) {
              key = v.key;
              next = v.next;
              break;
            }
            pos -= v.weight;
          }
          if (key === 'holdout') ({ key, next } = step.variants[step.variants.length - 1]!);
        }
        writes.assignments.push({ workspace_id: ws, state_id: r.id, journey_id: r.journey_id, step_id: step.id, branch: key, at: now });
        if (key === 'holdout') {
          log(w, writes, 'variant:holdout', now);
          return finish(w, 'exited', 'holdout', now);
        }
        return go(w, writes, next, `variant:${key}`, now);
      }
      case 'send': {
        const input: EnqueueInput = {
          workspaceId: ws,
          channel: step.channel,
          purpose: step.purpose ?? 'marketing',
          idempotencyKey: messageKey(w, step),
          source: { kind: 'journey', id: r.journey_id, step: step.id },
          data: { ...parseJson<Record<string, unknown>>(r.context), ...step.data },
          now,
          ...(profileId !== undefined && { profileId }),
          ...(step.templateId !== undefined && { templateId: step.templateId }),
          ...(step.content !== undefined && { content: step.content }),
          ...(r.subject_kind === 'wecom_group'
            ? { recipient: { ...step.recipient, chatId: r.subject_id } }
            : step.recipient
              ? { recipient: step.recipient }
              : {}),
        };
        const ctx = parseJson<{ event?: { properties?: unknown } }>(r.context);
        if (ctx.event?.properties && typeof ctx.event.properties === 'object') input.event = ctx.event.properties as Record<string, unknown>;
        try {
          const res = await enqueueMessage(trx, input);
          if (res.created) writes.sends++;
          return go(w, writes, step.next, `queued:${res.id}`, now);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          log(w, writes, `failed: ${err.code}`, now);
          return finish(w, 'failed', `send: ${err.message}`, now);
        }
      }
      case 'webhook': {
        try {
          const res = await enqueueMessage(trx, {
            workspaceId: ws,
            profileId: r.subject_id,
            channel: 'webhook',
            purpose: 'service',
            content: { body: step.body },
            idempotencyKey: messageKey(w, step),
            source: { kind: 'journey', id: r.journey_id, step: step.id },
            data: parseJson<Record<string, unknown>>(r.context),
            now,
          });
          if (res.created) writes.sends++;
          return go(w, writes, step.next, `queued:${res.id}`, now);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          log(w, writes, `failed: ${err.code}`, now);
          return finish(w, 'failed', `webhook: ${err.message}`, now);
        }
      }
      case 'update_trait': {
        const live = await lockProfileFollowingMerges(trx as any, ws, r.subject_id, now);
        if (live === undefined) return go(w, writes, step.next, 'skipped: no profile', now);
        const row = await trx.selectFrom('profiles').selectAll().where('workspace_id', '=', ws).where('id', '=', live).executeTakeFirstOrThrow();
        const state = rowToState(row, []);
        // Last write wins by time, as on the ingest path: a trait written by a later-dated event stays.
        for (const [k, v] of Object.entries(step.set ?? {})) {
          if ((state.traitTimes[k] ?? -Infinity) > now) continue;
          state.traits[k] = v;
          state.traitTimes[k] = now;
        }
        for (const k of step.unset ?? []) {
          if ((state.traitTimes[k] ?? -Infinity) > now) continue;
          delete state.traits[k];
          state.traitTimes[k] = now;
        }
        await writeTraits(trx as any, ws, live, state.traits, state.traitTimes, now);
        return go(w, writes, step.next, 'updated', now);
      }
      case 'tag': {
        try {
          if (step.add?.length)
            await addTagsToProfile(
              trx as any,
              ws,
              r.subject_id,
              step.add.map((t) => ({ name: t.name, ...(t.group !== undefined && { group: t.group }) })),
              'rule',
              now,
            );
          for (const t of step.remove ?? []) {
            let ids: string[] = [];
            try {
              ids = await resolveTagRef(trx as any, ws, `${t.group ?? 'default'}/${t.name}`);
            } catch (err) {
              if (!(err instanceof AppError && err.code === 'TAG_NOT_FOUND')) throw err;
            }
            for (const id of ids) await removeTagFromProfile(trx as any, ws, r.subject_id, id, now);
          }
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'PROFILE_NOT_FOUND')) throw err;
          return go(w, writes, step.next, 'skipped: no profile', now);
        }
        return go(w, writes, step.next, 'tagged', now);
      }
      case 'award': {
        const loyalty = deps.loyalty;
        if (!loyalty) return go(w, writes, step.next, 'skipped: no loyalty module', now);
        const reason = step.reason ?? `journey ${r.journey_id}`;
        const key = messageKey(w, step);
        const parts: string[] = [];
        if (step.points !== undefined) {
          const res = await loyalty.awardPoints(trx, {
            workspaceId: ws,
            profileId: r.subject_id,
            points: step.points,
            reason,
            idempotencyKey: `${key}:points`,
            now,
          });
          parts.push(res.ok ? `points:${step.points}` : `points refused: ${res.reason}`);
        }
        if (step.couponTemplateId !== undefined) {
          const res = await loyalty.issueCoupon(trx, {
            workspaceId: ws,
            profileId: r.subject_id,
            couponTemplateId: step.couponTemplateId,
            reason,
            idempotencyKey: `${key}:coupon`,
            now,
          });
          parts.push(res.ok ? `coupon:${res.couponCode ?? step.couponTemplateId}` : `coupon refused: ${res.reason}`);
        }
        return go(w, writes, step.next, parts.join(', '), now);
      }
      case 'exit':
        log(w, writes, 'exit', now);
        return finish(w, 'exited', 'exit_step', now);
      case 'branch':
        throw new Error('branch steps are evaluated in groups');
    }
  }

  /** When a wait step ends, or undefined when its date trait is missing. */
  function waitEnd(w: Work, step: Extract<Step, { type: 'wait' }>, now: number): number | undefined {
    if (step.duration) return now + durationMs(step.duration);
    if (step.untilTime) return nextLocalTime(now, step.untilTime, w.tz);
    const u = step.untilDate!;
    const date = traitDate(w.traits[u.trait]);
    if (!date) return undefined;
    const at = u.at ?? '00:00';
    const shift = (d: string) => {
      const t = new Date(`${d}T00:00:00Z`);
      t.setUTCDate(t.getUTCDate() + (u.offsetDays ?? 0));
      return t.toISOString().slice(0, 10);
    };
    if (!u.annual) return localTimeOn(shift(date), at, w.tz);
    // The next anniversary (± offset) at or after today.
    const today = localDate(now, w.tz);
    const year = Number(today.slice(0, 4));
    for (const y of [year - 1, year, year + 1]) {
      const t = localTimeOn(shift(anniversaryIn(date, y)), at, w.tz);
      if (t >= now - 60_000 && shift(anniversaryIn(date, y)) >= today) return t;
    }
    return localTimeOn(shift(anniversaryIn(date, year + 1)), at, w.tz);
  }

  /** Evaluates one branch step for every state at it: one query per rule over `profiles as p`. */
  async function branch(trx: Kysely<JDB>, group: Work[], writes: Writes, now: number): Promise<void> {
    const first = group[0]!;
    const ws = first.row.workspace_id;
    const step = stepById(first.def, first.row.step_id!) as Extract<Step, { type: 'branch' }>;
    const timeZone = await workspaceTimeZone(trx, ws, deps.defaultTimeZone);
    let remaining = group;
    for (let i = 0; i < step.branches.length && remaining.length; i++) {
      const b = step.branches[i]!;
      const cond = compileRule(b.rule, { workspaceId: ws, now, timeZone }, database.dialect);
      const ids = remaining.map((w) => w.row.subject_id);
      const rows = await sql<{ id: string }>`select p.id from profiles as p where p.workspace_id = ${ws} and p.id in (${sql.join(ids)}) and ${cond}`.execute(
        trx,
      );
      const hit = new Set(rows.rows.map((x) => x.id));
      const rest: Work[] = [];
      for (const w of remaining) {
        if (hit.has(w.row.subject_id)) go(w, writes, b.next, `branch:${b.name ?? i}`, now);
        else rest.push(w);
      }
      remaining = rest;
    }
    for (const w of remaining) go(w, writes, step.defaultNext, 'branch:default', now);
  }

  async function runBatch(now: number, limit: number, ids?: string[]): Promise<PassStats> {
    return database.db.transaction().execute(async (t) => {
      const trx = jdb(t);
      const rows = await claim(trx, now, limit, ids);
      if (rows.length === 0) return { claimed: 0, steps: 0, sends: 0 };
      return process(trx, rows, now);
    });
  }

  return {
    async runOnce(opts = {}) {
      const now = deps.now();
      const limit = opts.batchSize ?? 200;
      let stats: PassStats;
      try {
        stats = await runBatch(now, limit);
      } catch (err) {
        if (database.dialect.isRetryable(err)) throw err;
        // One bad state must not hold up the batch: find it by running the due rows one by one.
        deps.log.warn({ err }, 'journey batch failed; advancing states one by one');
        const due = await jdb(database.db)
          .selectFrom('journey_states')
          .select('id')
          .where('status', '=', 'active')
          .where('wake_at', '<=', now)
          .orderBy('wake_at')
          .limit(limit)
          .execute();
        stats = { claimed: 0, steps: 0, sends: 0 };
        for (const { id } of due) {
          try {
            const s = await runBatch(now, 1, [id]);
            stats.claimed += s.claimed;
            stats.steps += s.steps;
            stats.sends += s.sends;
          } catch (e) {
            await recordFailure(id, e, now);
          }
        }
      }
      if (stats.sends > 0) deps.onMessages?.();
      return stats;
    },
    async nextWake() {
      const row = await jdb(database.db)
        .selectFrom('journey_states')
        .select((eb) => eb.fn.min('wake_at').as('t'))
        .where('status', '=', 'active')
        .executeTakeFirst();
      return row?.t === null || row?.t === undefined ? undefined : Number(row.t);
    },
  };

  async function recordFailure(id: string, err: unknown, now: number): Promise<void> {
    deps.log.error({ err, stateId: id }, 'journey step failed');
    const db = jdb(database.db);
    const row = await db.selectFrom('journey_states').select(['attempt', 'workspace_id']).where('id', '=', id).executeTakeFirst();
    if (!row) return;
    const attempt = row.attempt + 1;
    const message = err instanceof Error ? err.message : String(err);
    await db
      .updateTable('journey_states')
      .set(
        attempt >= MAX_ATTEMPTS
          ? { status: 'failed', attempt, wake_at: null, end_reason: `error: ${message}`.slice(0, 500), ended_at: now, updated_at: now }
          : { attempt, wake_at: now + 2 ** attempt * 1000, updated_at: now },
      )
      .where('workspace_id', '=', row.workspace_id)
      .where('id', '=', id)
      .where('status', '=', 'active')
      .execute();
  }
}
