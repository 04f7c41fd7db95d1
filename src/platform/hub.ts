/**
 * The in-process event hub: how one domain tells others that something happened in this process
 * (events committed, segment membership changed, messages queued), without importing them. Each
 * domain declares the events it emits as a map of name to payload (`CdpHubEvents`, ...) and exports
 * it from its `index.ts`; the composition root creates one hub typed with all of them and wires
 * listeners. Delivery is synchronous and best effort, within this process only: a listener must be
 * quick (wake a worker, mark rows due) and anything that must survive a crash is a row, not a hub
 * event. A listener that throws is logged and does not stop the others or the emitter.
 */
import type { Logger } from 'pino';

/** Event name -> payload. */
export type HubEvents = object;

/** A typed hub over the events `E`. A hub of more events can be passed where one of fewer is wanted. */
export interface Hub<E extends HubEvents> {
  /** Tells every listener of `name`; never throws. */
  emit<K extends keyof E & string>(name: K, payload: E[K]): void;
  /** Listens to `name` until the returned function is called. */
  on<K extends keyof E & string>(name: K, listener: (payload: E[K]) => void): () => void;
}

/** Creates a hub; listener failures are logged at error on `log`. */
export function createHub<E extends HubEvents>(log: Pick<Logger, 'error'>): Hub<E> {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  return {
    emit(name, payload) {
      const set = listeners.get(name);
      if (!set) return;
      for (const fn of [...set]) {
        try {
          fn(payload);
        } catch (err) {
          log.error({ err, event: name }, 'hub listener failed');
        }
      }
    },
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const fn = listener as (payload: unknown) => void;
      set.add(fn);
      return () => void set.delete(fn);
    },
  };
}
