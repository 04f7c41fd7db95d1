import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { type OpsFixture, startOpsFixture } from './test-helpers.js';
import { startScrmOpsWorker } from './worker.js';

describeEngines('SCRM operations worker: a failing step is backed off and shown', (engine) => {
  let f: OpsFixture;
  beforeEach(async () => {
    f = await startOpsFixture(engine);
  });
  afterEach(async () => {
    await f?.close();
  });

  const health = async () => {
    const res = await f.app.inject({ method: 'GET', url: '/v1/wecom/ops/health', headers: f.auth });
    expect(res.statusCode).toBe(200);
    return res.json().steps as Record<string, Record<string, any>>;
  };

  it('records the reason, skips the step until its retry time, lets the other steps run, and clears on success', async () => {
    // A corrupt SOP row (its steps are not a list): the SOP tick throws for this workspace.
    await sql`insert into scrm_sops (workspace_id, id, name, status, target, steps, created_at, updated_at)
      values (${f.workspaceId}, 'sop_corrupt', 'corrupt', 'active', ${'{"type":"customers","newContacts":true}'}, ${'null'}, ${f.clock.now()}, ${f.clock.now()})`.execute(
      f.database.db,
    );
    const worker = startScrmOpsWorker(f.services.scrm, { intervalMs: 3_600_000 });
    try {
      await worker.runOnce();
      let h = await health();
      expect(h['sop tick']).toMatchObject({ state: 'retrying', failures: 1 });
      expect(h['sop tick'].lastError).toMatch(/\S/);
      expect(Date.parse(h['sop tick'].retryAt) - f.clock.now()).toBe(30_000);
      // The other steps of the same cycle ran and are healthy.
      expect(h['sop results']).toMatchObject({ state: 'ok', failures: 0, lastError: null });
      expect(h['sop results'].lastOkAt).not.toBeNull();

      // Before the retry time the step is skipped: no second failure is counted.
      await worker.runOnce();
      expect((await health())['sop tick'].failures).toBe(1);

      // Past it, it fails again and waits twice as long.
      f.clock.advance(30_000);
      await worker.runOnce();
      h = await health();
      expect(h['sop tick'].failures).toBe(2);
      expect(Date.parse(h['sop tick'].retryAt) - f.clock.now()).toBe(60_000);

      // Fixed: the next try succeeds and clears the failures.
      await sql`delete from scrm_sops where id = 'sop_corrupt'`.execute(f.database.db);
      f.clock.advance(60_000);
      await worker.runOnce();
      h = await health();
      expect(h['sop tick']).toMatchObject({ state: 'ok', failures: 0, lastError: null, retryAt: null });
    } finally {
      await worker.stop();
    }
  });
});
