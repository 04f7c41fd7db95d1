import { describe, expect, it } from 'vitest';
import { fromGraph, newStep, STEP_TYPES, stepOfPath, toGraph, TRIGGER_NODE, type CanvasDefinition } from '../console/src/pages/journeys/graph.js';
import { RECIPES, validateDefinition } from '../src/journeys/index.js';
import { STEP_TYPES as SERVER_STEP_TYPES } from '../src/journeys/definition.types.js';

/**
 * The journey canvas's serialisation (issue #16): definition → nodes and edges → definition gives
 * back the same JSON for every step type and every recipe, and edits made on the canvas (a new
 * edge, a removed one, a new step) land in the right exit field and pass the server's validator.
 */

/** A valid definition that holds every step type with every kind of exit. */
const everyStep: CanvasDefinition = {
  trigger: { type: 'event', event: 'Signed Up' },
  entry: { reentry: 'never' },
  steps: [
    { id: 'w', type: 'wait', duration: { hours: 1 }, next: 'we' },
    { id: 'we', type: 'wait_for_event', event: 'Order Completed', timeout: { days: 2 }, next: 'g', timeoutNext: 'b' },
    { id: 'b', type: 'branch', branches: [{ name: 'vip', rule: { type: 'trait', key: 'plan', op: 'eq', value: 'vip' }, next: 'sp' }], defaultNext: 'ut' },
    {
      id: 'sp',
      type: 'split',
      variants: [
        { key: 'a', weight: 1, next: 's' },
        { key: 'b', weight: 1, next: 't' },
      ],
    },
    { id: 's', type: 'send', channel: 'webhook', content: { body: { hi: 1 } }, next: 'aw' },
    { id: 't', type: 'tag', add: [{ group: 'j', name: 'x' }], next: 'aw' },
    { id: 'ut', type: 'update_trait', set: { seen: true }, next: 'wh' },
    { id: 'aw', type: 'award', points: 5, reason: 'r', next: 'wh' },
    { id: 'wh', type: 'webhook', body: { a: 1 }, next: 'g' },
    { id: 'g', type: 'goal', event: 'Order Completed', withinDays: 7, next: 'x' },
    { id: 'x', type: 'exit' },
  ],
};

describe('journey canvas serialisation', () => {
  it('knows the same step types as the server, and the test definition uses each of them and is valid', () => {
    expect([...STEP_TYPES].sort()).toEqual([...SERVER_STEP_TYPES].sort());
    expect(new Set(everyStep.steps.map((s) => s.type)).size).toBe(STEP_TYPES.length);
    expect(validateDefinition(everyStep)).toMatchObject({ ok: true });
  });

  it('round-trips every step type and every recipe without changing the JSON', () => {
    const defs: CanvasDefinition[] = [everyStep, ...RECIPES.map((r) => r.build({ segmentId: 'seg_x', nameContains: '门店' }) as unknown as CanvasDefinition)];
    for (const def of defs) {
      const { nodes, edges } = toGraph(def);
      expect(nodes[0]!.id).toBe(TRIGGER_NODE);
      expect(nodes.length).toBe(def.steps.length + 1);
      expect(fromGraph(def, nodes, edges)).toEqual(def);
    }
  });

  it('writes canvas edits into the exits: a moved edge, a removed one, and a new step connected after another', () => {
    const { nodes, edges } = toGraph(everyStep);
    // The split's second variant now goes to the webhook; the branch's default exit is removed.
    const moved = edges
      .map((e) => (e.source === 'sp' && e.handle === 'variants[1].next' ? { ...e, target: 'wh' } : e))
      .filter((e) => !(e.source === 'b' && e.handle === 'defaultNext'));
    const extra = newStep('wait', 'w2');
    const def = fromGraph(
      everyStep,
      [...nodes, { id: 'w2', step: extra, x: 0, y: 0 }],
      [...moved, { id: 'w2:next', source: 'w2', handle: 'next', target: 'x' }, { id: 'x0', source: 'g', handle: 'next', target: 'w2' }].filter(
        (e) => !(e.source === 'g' && e.target === 'x'),
      ),
    );
    const step = (id: string) => def.steps.find((s) => s.id === id)!;
    expect((step('sp').variants as { next?: string }[])[1]!.next).toBe('wh');
    expect(step('b').defaultNext).toBeUndefined();
    expect(step('g').next).toBe('w2');
    expect(step('w2')).toEqual({ id: 'w2', type: 'wait', duration: { days: 1 }, next: 'x' });
    // The steps the edits cut off are reported on their nodes, as the canvas shows them.
    const res = validateDefinition(def);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.errors.map((e) => stepOfPath(def, e.path)).sort()).toEqual(['t', 'ut']);
    // Reconnected (the branch's default back to ut, the split's second variant back to t), it is valid again.
    const fixed = fromGraph(def, toGraph(def).nodes, [
      ...toGraph(def).edges.filter((e) => !(e.source === 'sp' && e.handle === 'variants[1].next')),
      { id: 'd', source: 'b', handle: 'defaultNext', target: 'ut' },
      { id: 'v', source: 'sp', handle: 'variants[1].next', target: 't' },
    ]);
    const again = validateDefinition(fixed);
    expect(again.ok ? [] : again.errors).toEqual([]);
  });

  it('gives every new step the fields the validator requires', () => {
    for (const type of STEP_TYPES) {
      const def = { trigger: { type: 'manual' }, entry: { reentry: 'always' }, steps: [newStep(type, 's1')] };
      const res = validateDefinition(def);
      expect(res.ok ? [] : res.errors, type).toEqual([]);
    }
  });

  it("maps a validation error's path to its step node", () => {
    expect(stepOfPath(everyStep, 'definition.steps[4].channel')).toBe('s');
    expect(stepOfPath(everyStep, 'steps[10]')).toBe('x');
    expect(stepOfPath(everyStep, 'definition.trigger.event')).toBe(TRIGGER_NODE);
    expect(stepOfPath(everyStep, 'definition.entry')).toBeUndefined();
  });
});
