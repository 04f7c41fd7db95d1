/**
 * The background loop shared by the workers (outbox dispatcher, broadcasts, journeys, WeCom inbox,
 * SCRM operations, live codes, segments): one pass at a time on a timer, woken early on demand.
 * What a pass does, and how long to wait after it, is the worker's; the loop only sequences.
 */
import type { Logger } from 'pino';

/** Options of {@link startLoop}. */
export interface LoopOptions {
  /**
   * One pass. It may return the delay before the next one: `0` runs it at once (after a turn of
   * the event loop, so HTTP requests are answered between batches), nothing waits `idleMs`.
   */
  pass: () => Promise<number | void>;
  /** Delay after a pass that names none, and after a failed pass. */
  idleMs: number;
  log: Pick<Logger, 'error'>;
  /** Logged at error, with `err`, when a pass throws; the loop then waits `idleMs` and goes on. */
  failed: string;
  /** Delay of a pass asked for while another ran; default: the next turn of the event loop (setImmediate). */
  againMs?: number;
  /** Count `idleMs` from the start of a pass, as setInterval does (an overrun skips the ticks it missed); default: from its end. */
  fixedRate?: boolean;
}

/** A started loop. */
export interface Loop {
  /** Runs a pass now, or straight after the one in progress. */
  wake(): void;
  /**
   * Runs a pass within `ms`: brings a later pending timer forward, never puts an earlier one back
   * (so wake-ups arriving faster than `ms` cannot starve the loop), or straight after the pass in progress.
   */
  schedule(ms: number): void;
  /** Waits for the pass in progress, then runs one now and resolves when it has ended (a failure is logged, as in the loop). */
  runOnce(): Promise<void>;
  /** Runs `fn` in place of a pass (after the one in progress, none starting until it ends); returns its result and throws its error. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Stops the loop: no pass starts after this; resolves when the one in progress has ended. */
  stop(): Promise<void>;
  /** True while a pass (or an `exclusive` function) runs. */
  readonly busy: boolean;
  /** True once `stop` was called; long passes check it between batches. */
  readonly stopped: boolean;
}

/** Resolves on the next turn of the event loop (SQLite answers synchronously: without this, a run of batches holds the thread). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Creates a background loop; it stays idle until `wake` or `schedule` is called. */
// size: one closure over the loop's state (timer, running pass, again, stopped) that every method reads and sets; split, each part would pass that state around
export function startLoop(o: LoopOptions): Loop {
  let timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (Date.now() time). */
  let dueAt = 0;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const arm = (ms: number) => {
    clearTimeout(timer);
    dueAt = Date.now() + ms;
    timer = setTimeout(wake, ms);
    timer.unref(); // the serving process is held open by its HTTP server; CLI commands and tests exit when done
  };

  /** After a pass (`delay` set) or an exclusive function: the requested pass, else the timer. */
  const settle = (delay?: number) => {
    running = undefined;
    if (stopped) return;
    if (again) {
      again = false;
      if (o.againMs === undefined) setImmediate(wake);
      else arm(o.againMs);
    } else if (delay !== undefined) arm(delay);
  };

  async function run(): Promise<number> {
    const started = Date.now();
    let delay: number | void = undefined;
    try {
      while (!stopped && (delay = await o.pass()) === 0) await nextTurn();
    } catch (err) {
      o.log.error({ err }, o.failed);
      delay = undefined;
    }
    if (delay !== undefined) return delay;
    return o.fixedRate ? o.idleMs - ((Date.now() - started) % o.idleMs) : o.idleMs;
  }

  function wake(): void {
    if (stopped) return;
    // A pass runs now or straight after the one in progress: the pending timer has nothing left to do.
    clearTimeout(timer);
    timer = undefined;
    if (running) {
      again = true;
      return;
    }
    running = run().then(settle);
  }

  return {
    wake,
    schedule(ms) {
      if (stopped) return;
      if (running) again = true;
      else if (timer === undefined || Date.now() + ms < dueAt) arm(ms);
    },
    async runOnce() {
      while (running) await running;
      wake();
      await running;
    },
    async exclusive(fn) {
      while (running) await running;
      const result = fn();
      running = result.then(
        () => settle(),
        () => settle(),
      );
      return result;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (running) await running;
    },
    get busy() {
      return running !== undefined;
    },
    get stopped() {
      return stopped;
    },
  };
}
