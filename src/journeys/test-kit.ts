import { messagingTestApp } from '../messaging/test-kit.js';
import { activeGroupChatIds } from '../scrm/index.js';
import type { Engine } from '../platform/db/database.js';
import { basic } from '../../test/support/engines.js';
import { journeyDepsOf } from '../server/app.js';
import type { JourneyDeps } from './deps.js';
import { createExecutor } from './executor.js';
import { runTriggers } from './triggers.js';
import { sweepListeners } from './worker.js';

/**
 * A test app for journeys: the messaging test app (profiles, API, a dispatcher) plus the journey
 * engine driven by hand with the injected clock: `tick()` runs triggers, the listener sweep and
 * executor passes until nothing is due. `opts.deps` overrides the engine's deps (a loyalty module,
 * ports); the HTTP routes keep the root's deps.
 */
export async function journeyTestApp(engine: Engine, opts: { clockStart?: number; deps?: Partial<JourneyDeps> } = {}) {
  const m = await messagingTestApp(engine, { clockStart: opts.clockStart ?? Date.parse('2026-11-03T04:00:00Z') });
  const { t } = m;
  // The scrm port as the root fills it (journeys may not import scrm; its tests may).
  const deps: JourneyDeps = { ...journeyDepsOf(t.services), activeGroupChatIds, ...opts.deps };
  const executor = createExecutor(deps);
  let swept = 0;

  /** Runs triggers and executor passes until nothing more is due at the current clock. */
  async function tick(): Promise<{ entered: number; steps: number; sends: number }> {
    const out = { entered: 0, steps: 0, sends: 0 };
    // Events tracked since the last tick wake their listeners (the worker's durable sweep).
    await sweepListeners(deps, swept, t.clock.now());
    swept = t.clock.now() - 1; // events tracked at this same clock reading come after this tick
    for (let i = 0; i < 100; i++) {
      const tr = await runTriggers(deps);
      out.entered += tr.entered;
      const p = await executor.runOnce({ batchSize: 100 });
      out.steps += p.steps;
      out.sends += p.sends;
      if (p.claimed === 0 && tr.entered === 0) return out;
    }
    throw new Error('tick did not settle');
  }

  /** Tracks an event for a user (through the tracking API, at the clock's now). */
  async function track(userId: string, event: string, properties: Record<string, unknown> = {}) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(t.writeKey) }, payload: { userId, event, properties } });
    if (res.statusCode !== 200) throw new Error(`track: ${res.body}`);
  }

  /** Creates and publishes a journey; returns its id. */
  async function journey(name: string, definition: unknown): Promise<string> {
    const c = await m.api('POST', '/v1/journeys', { name, definition });
    if (c.status !== 201) throw new Error(`create journey: ${JSON.stringify(c.body)}`);
    const p = await m.api('POST', `/v1/journeys/${c.body.id}/publish`);
    if (p.status !== 200) throw new Error(`publish journey: ${JSON.stringify(p.body)}`);
    return c.body.id as string;
  }

  /** Messages a journey queued, oldest first. */
  async function messages(journeyId?: string) {
    let q = t.database.db
      .selectFrom('messages' as any)
      .selectAll()
      .where('workspace_id', '=', t.workspaceId)
      .where('source_kind', '=', 'journey');
    if (journeyId) q = q.where('source_id', '=', journeyId);
    return (await q.orderBy('created_at').orderBy('id').execute()) as any[];
  }

  /** The states of a journey. */
  async function states(journeyId: string) {
    return (await t.database.db
      .selectFrom('journey_states' as any)
      .selectAll()
      .where('workspace_id', '=', t.workspaceId)
      .where('journey_id', '=', journeyId)
      .orderBy('id')
      .execute()) as any[];
  }

  return { ...m, deps, executor, tick, track, journey, messages, states };
}
