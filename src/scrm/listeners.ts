/**
 * The registry of SCRM event listeners (live codes, churn alerts, handover, groups, SOPs). The
 * inbox processor publishes each event after the state it describes is committed; a listener's
 * failure is logged and returned to the caller to record, and never stops the other listeners.
 */
import type { ScrmContext, ScrmEvent, ScrmListener } from './events.js';

/** A listener failure, for the inbox row's record. */
export interface ListenerFailure {
  listener: string;
  event: ScrmEvent['type'];
  error: string;
}

/** Listeners by name; publishing runs them one after the other, in registration order. */
export interface ScrmListeners {
  /** Adds a listener under a unique name (used in logs and error records); returns a function removing it. */
  add(name: string, listener: ScrmListener): () => void;
  /** The registered names, in order. */
  names(): string[];
  /** Runs every listener on every event; resolves with the failures (never rejects). */
  publish(events: readonly ScrmEvent[], ctx: ScrmContext): Promise<ListenerFailure[]>;
}

/** A new, empty registry (one per process, in `Services.scrm.listeners`). */
export function createScrmListeners(): ScrmListeners {
  const listeners = new Map<string, ScrmListener>();
  return {
    add(name, listener) {
      if (listeners.has(name)) throw new Error(`an SCRM listener named "${name}" is already registered`);
      listeners.set(name, listener);
      return () => {
        if (listeners.get(name) === listener) listeners.delete(name);
      };
    },
    names: () => [...listeners.keys()],
    async publish(events, ctx) {
      const failures: ListenerFailure[] = [];
      for (const event of events) {
        for (const [name, listener] of [...listeners]) {
          try {
            await listener(event, ctx);
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            ctx.log.error({ err, listener: name, event: event.type, workspaceId: event.workspaceId }, 'SCRM listener failed');
            failures.push({ listener: name, event: event.type, error });
          }
        }
      }
      return failures;
    },
  };
}
