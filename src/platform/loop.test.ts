import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LoopOptions, startLoop } from './loop.js';

/** A pass that runs until the test ends it, counting how many run at once. */
function gatedPass() {
  const ends: Array<() => void> = [];
  let active = 0;
  let mostAtOnce = 0;
  const pass = vi.fn(async () => {
    active++;
    mostAtOnce = Math.max(mostAtOnce, active);
    await new Promise<void>((resolve) => ends.push(resolve));
    active--;
  });
  return {
    pass,
    /** Ends the pass started `n`-th (from 0). */
    end: (n: number) => ends[n]!(),
    mostAtOnce: () => mostAtOnce,
  };
}

/** Settles what a promise's handlers do, without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('startLoop', () => {
  const log = { error: vi.fn() };
  const loopOf = (o: Partial<LoopOptions> & Pick<LoopOptions, 'pass'>) => startLoop({ idleMs: 1000, log, failed: 'test pass failed', ...o });

  beforeEach(() => {
    vi.useFakeTimers();
    log.error.mockClear();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never runs two passes at once; wake-ups during a pass run one more straight after it', async () => {
    const g = gatedPass();
    const loop = loopOf({ pass: g.pass });
    loop.wake();
    expect(g.pass).toHaveBeenCalledTimes(1);
    expect(loop.busy).toBe(true);
    loop.wake();
    loop.schedule(5);
    loop.wake();
    await vi.advanceTimersByTimeAsync(5000);
    expect(g.pass).toHaveBeenCalledTimes(1);
    g.end(0);
    await settle();
    expect(g.pass).toHaveBeenCalledTimes(2);
    g.end(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(g.pass).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(g.pass).toHaveBeenCalledTimes(3);
    expect(g.mostAtOnce()).toBe(1);
  });

  it('waits the delay the pass returns, else idleMs', async () => {
    const delays = [250, undefined];
    const pass = vi.fn(async () => delays.shift());
    const loop = loopOf({ pass });
    loop.wake();
    await vi.advanceTimersByTimeAsync(249);
    expect(pass).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pass).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(pass).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(pass).toHaveBeenCalledTimes(3);
    await loop.stop();
  });

  it('runs the next pass at once when one returns 0, after a turn of the event loop', async () => {
    vi.useRealTimers();
    const order: string[] = [];
    const delays = [0, 0, 0, undefined];
    const pass = vi.fn(async () => {
      order.push(`pass ${pass.mock.calls.length}`);
      // Queued before the loop's own turn: it runs between the passes, as an HTTP request would.
      if (pass.mock.calls.length === 2) setImmediate(() => order.push('other work'));
      return delays.shift();
    });
    const loop = loopOf({ pass, idleMs: 60_000 });
    await loop.runOnce();
    expect(order).toEqual(['pass 1', 'pass 2', 'other work', 'pass 3', 'pass 4']);
    await loop.stop();
  });

  it('stop waits for the pass in progress and lets none start after it', async () => {
    const g = gatedPass();
    const loop = loopOf({ pass: g.pass });
    loop.wake();
    loop.wake();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    expect(loop.stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(stopped).toBe(false);
    g.end(0);
    await stopping;
    loop.wake();
    loop.schedule(0);
    await loop.runOnce();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(g.pass).toHaveBeenCalledTimes(1);
    expect(loop.busy).toBe(false);
  });

  it('logs a pass that throws and tries again after idleMs', async () => {
    const boom = new Error('boom');
    const pass = vi.fn<() => Promise<void>>().mockRejectedValueOnce(boom).mockResolvedValue(undefined);
    const loop = loopOf({ pass });
    loop.wake();
    await settle();
    expect(log.error).toHaveBeenCalledExactlyOnceWith({ err: boom }, 'test pass failed');
    await vi.advanceTimersByTimeAsync(999);
    expect(pass).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pass).toHaveBeenCalledTimes(2);
    expect(log.error).toHaveBeenCalledTimes(1);
    await loop.stop();
  });

  it('runOnce waits for the pass in progress, then runs one and resolves when it has ended', async () => {
    const g = gatedPass();
    const loop = loopOf({ pass: g.pass });
    loop.wake();
    let done = false;
    const once = loop.runOnce().then(() => (done = true));
    await settle();
    expect(g.pass).toHaveBeenCalledTimes(1);
    g.end(0);
    await settle();
    expect(g.pass).toHaveBeenCalledTimes(2);
    expect(done).toBe(false);
    g.end(1);
    await once;
    expect(g.pass).toHaveBeenCalledTimes(2);
    expect(g.mostAtOnce()).toBe(1);
    // A failure in runOnce's pass is logged like the loop's, not thrown.
    g.pass.mockRejectedValueOnce(new Error('boom'));
    await loop.runOnce();
    expect(log.error).toHaveBeenCalledOnce();
    await loop.stop();
  });

  it('exclusive runs a function in place of a pass, returning or throwing what it does', async () => {
    const g = gatedPass();
    const loop = loopOf({ pass: g.pass, idleMs: 100 });
    loop.wake();
    let endFn!: (v: number) => void;
    const fn = vi.fn(() => new Promise<number>((resolve) => (endFn = resolve)));
    const result = loop.exclusive(fn);
    await settle();
    expect(fn).not.toHaveBeenCalled();
    g.end(0);
    await settle();
    expect(fn).toHaveBeenCalledOnce();
    // The loop's timer comes due while fn runs: its pass waits for fn.
    await vi.advanceTimersByTimeAsync(500);
    expect(g.pass).toHaveBeenCalledTimes(1);
    endFn(42);
    await expect(result).resolves.toBe(42);
    await settle();
    expect(g.pass).toHaveBeenCalledTimes(2);
    g.end(1);
    await settle();
    await expect(loop.exclusive(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(log.error).not.toHaveBeenCalled();
    expect(g.mostAtOnce()).toBe(1);
    await loop.stop();
  });

  it('schedule replaces the pending timer; againMs spaces a pass asked for during another', async () => {
    const g = gatedPass();
    const loop = loopOf({ pass: g.pass, idleMs: 60_000, againMs: 10 });
    loop.schedule(500);
    loop.schedule(200);
    await vi.advanceTimersByTimeAsync(199);
    expect(g.pass).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(g.pass).toHaveBeenCalledTimes(1);
    loop.schedule(0);
    g.end(0);
    await vi.advanceTimersByTimeAsync(9);
    expect(g.pass).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(g.pass).toHaveBeenCalledTimes(2);
    g.end(1);
    await loop.stop();
  });

  it('schedule brings a later timer forward but never puts an earlier one back, so frequent wake-ups cannot starve the loop', async () => {
    const g = gatedPass();
    const loop = loopOf({ pass: g.pass, idleMs: 60_000 });
    loop.schedule(1000);
    loop.schedule(50); // forward
    // A wake-up every 20 ms asking for a pass within 50 ms: the first one's timer still fires at 50 ms.
    for (let t = 0; t < 40; t += 20) {
      await vi.advanceTimersByTimeAsync(20);
      loop.schedule(50);
    }
    expect(g.pass).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10);
    expect(g.pass).toHaveBeenCalledTimes(1);
    g.end(0);
    await settle();
    // After the pass, the idle timer (60 s) is pending; a later schedule brings it forward.
    loop.schedule(100);
    await vi.advanceTimersByTimeAsync(100);
    expect(g.pass).toHaveBeenCalledTimes(2);
    g.end(1);
    await loop.stop();
  });

  it('counts idleMs from the start of a pass with fixedRate (an overrun skips the missed ticks), else from its end', async () => {
    const startsOf = async (fixedRate: boolean) => {
      const t0 = Date.now();
      const starts: number[] = [];
      const durations = [300, 2500, 0];
      const loop = loopOf({
        fixedRate,
        pass: async () => {
          starts.push(Date.now() - t0);
          await new Promise((resolve) => setTimeout(resolve, durations.shift() ?? 0));
        },
      });
      loop.schedule(1000);
      await vi.advanceTimersByTimeAsync(5900);
      await loop.stop();
      return starts;
    };
    expect(await startsOf(true)).toEqual([1000, 2000, 5000]);
    expect(await startsOf(false)).toEqual([1000, 2300, 5800]);
  });

  it('unrefs its timers (the process may exit while it waits)', async () => {
    vi.useRealTimers();
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const quiet = loopOf({ pass: async () => {} });
    quiet.schedule(60_000);
    expect(timeouts()).toBe(before);
    const ref = setTimeout(() => {}, 60_000); // (the count does see a timer that holds the process)
    expect(timeouts()).toBe(before + 1);
    clearTimeout(ref);
    await quiet.stop();
    expect(timeouts()).toBe(before);
  });
});
